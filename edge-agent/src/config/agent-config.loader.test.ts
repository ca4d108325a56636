import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { demoEstatePath, estateToAgentConfigs, loadEstate } from '@warden/simulators';
import { AgentConfigError, loadAgentConfig, parseAgentConfig } from './agent-config.loader.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const valid = () => ({
  site: 'riverside',
  agent: 'agent-bldg-a',
  building: 'bldg-a',
  mqtt: { url: 'mqtt://127.0.0.1:1883', password: 's3cret' },
  queue: { dir: 'queue' },
  devices: [{ id: 'em-1', type: 'meter.electricity', name: 'Meter', adapter: { kind: 'simulated', model: 'meter.electricity', seed: 1 } }],
});

function write(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

function issuesOf(value: unknown): string[] {
  try {
    loadAgentConfig(write('bad.json', value));
  } catch (err) {
    expect(err).toBeInstanceOf(AgentConfigError);
    expect((err as Error).message).toContain(join(dir, 'bad.json'));
    return (err as AgentConfigError).issues.map((i) => i.path);
  }
  throw new Error('expected an AgentConfigError');
}

describe('loadAgentConfig', () => {
  it('fills defaults and resolves a relative queue folder against the config file', () => {
    const config = loadAgentConfig(write('ok.json', valid()));
    expect(config.queue).toMatchObject({ dir: join(dir, 'queue'), maxBytes: 256 * 1024 * 1024, maxInFlight: 100, fsyncIntervalMs: 200 });
    expect(config.batching).toEqual({ maxPoints: 500, maxDelayMs: 200 });
    expect(config.mqtt).toMatchObject({ protocolVersion: 5, keepaliveSec: 30 });
    expect(config.devices[0]).toMatchObject({ pollMs: 5000, adapter: { kind: 'simulated', utcOffsetMin: 480, params: { dailyKWh: 10 } } });
  });

  it('names the file and each bad field', () => {
    const config = valid() as Record<string, unknown> & { devices: Record<string, unknown>[]; mqtt: Record<string, unknown> };
    config.mqtt.url = 'http://example.com';
    config.devices[0].type = 'toaster';
    expect(issuesOf(config).sort()).toEqual(['devices.0.type', 'mqtt.url']);
  });

  it('names a wrong adapter kind, a wrong model and its parameters', () => {
    expect(issuesOf({ ...valid(), devices: [{ ...valid().devices[0], adapter: { kind: 'modbus' } }] })).toEqual(['devices.0.adapter.kind']);
    expect(issuesOf({ ...valid(), devices: [{ ...valid().devices[0], adapter: { kind: 'simulated', model: 'lift', seed: 1 } }] })).toEqual(['devices.0.adapter.model']);
    expect(issuesOf({ ...valid(), devices: [{ ...valid().devices[0], type: 'pump', adapter: { kind: 'simulated', model: 'pump', seed: 1 } }] })).toEqual(['devices.0.adapter.params']);
  });

  it('takes cameras and doors by their ONVIF address, with defaults, and checks what a camera covers', () => {
    const onvif = { xaddr: 'http://192.0.2.10/onvif/device_service', user: 'admin', password: 'p' };
    const devices = [
      { id: 'door-1', type: 'door', name: 'Lobby door', ...onvif, doorToken: 'Door_1' },
      { id: 'cam-1', type: 'camera', name: 'Lobby camera', zone: 'lobby', covers: ['door-1'], ...onvif },
    ];
    const config = loadAgentConfig(write('onvif.json', { ...valid(), devices }));
    expect(config.devices[0]).toMatchObject({ type: 'door', doorToken: 'Door_1', stateIntervalMs: 30_000 });
    expect(config.devices[1]).toMatchObject({ type: 'camera', covers: ['door-1'], healthIntervalMs: 10_000, frozenAfterChecks: 3, ffmpegPath: 'ffmpeg' });
    expect(issuesOf({ ...valid(), devices: [{ ...devices[1], covers: ['door-9'] }] })).toEqual(['devices.0.covers.0']);
    expect(issuesOf({ ...valid(), devices: [{ ...devices[1], xaddr: 'ftp://x' }, { ...devices[0], doorToken: '' }] }).sort()).toEqual(['devices.0.xaddr', 'devices.1.doorToken']);
  });

  it('refuses duplicate device ids and unreadable files', () => {
    expect(issuesOf({ ...valid(), devices: [valid().devices[0], valid().devices[0]] })).toEqual(['devices.1.id']);
    expect(() => loadAgentConfig(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read the file/);
    expect(() => loadAgentConfig(write('broken.json', '{'))).toThrow(/broken\.json: not valid JSON/);
  });

  it('accepts the example config shipped with the package', () => {
    const path = fileURLToPath(new URL('../../examples/agent-bldg-a.json', import.meta.url));
    const config = loadAgentConfig(path);
    expect(config.queue.dir).toBe(join(dirname(path), 'data', 'agent-bldg-a'));
  });

  it('accepts every agent config the simulators make from the demo estate', () => {
    const configs = estateToAgentConfigs(loadEstate(demoEstatePath), {
      mqttUrl: 'mqtt://127.0.0.1:1883',
      credentials: (agent) => ({ username: agent, password: 'x' }),
      queueDir: '/tmp/queues',
    });
    expect(configs.length).toBeGreaterThanOrEqual(2);
    for (const c of configs) expect(() => parseAgentConfig(c, c.agent)).not.toThrow();
  });
});
