/**
 * WS-Discovery from the agent's side, against the real camera and door
 * controller simulators answering on their own unicast ports (multicast 3702 is
 * one per host, and tests run in parallel).
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraSimulator, DoorControllerSimulator, type CameraEndpoints } from '@warden/simulators';
import { parseDiscoveryTarget, parseProbeMatches, probeMessage, probeOnvifDevices } from './ws-discovery-probe.js';

let camera: CameraSimulator;
let panel: DoorControllerSimulator;
let cam: CameraEndpoints;
let panelXaddr: string;
let panelPort: number;

beforeAll(async () => {
  camera = new CameraSimulator({ name: 'Gate cam', username: 'admin', password: 'cam-secret', width: 320, height: 180, clipSeconds: 2, discoveryPort: 0, location: 'North gate' });
  panel = new DoorControllerSimulator({ name: 'Gate panel', username: 'admin', password: 'door-secret', doors: ['Gate'], discoveryPort: 0 });
  const [c, p] = await Promise.all([camera.start(), panel.start()]);
  cam = c;
  panelXaddr = p.xaddr;
  panelPort = p.discoveryPort!;
});
afterAll(async () => {
  await Promise.all([camera?.stop(), panel?.stop()]);
});

describe('probeOnvifDevices', () => {
  it('finds a camera and a door controller with their XAddrs, scopes and names', async () => {
    const devices = await probeOnvifDevices({ targets: [{ host: '127.0.0.1', port: cam.discoveryPort! }, { host: '127.0.0.1', port: panelPort }], timeoutMs: 1500 });
    // Two Probe types, each sent twice, to each: still one entry per device.
    expect(devices).toHaveLength(2);
    const camera = devices.find((d) => d.kind === 'camera')!;
    expect(camera).toMatchObject({ xaddr: cam.xaddr, xaddrs: [cam.xaddr], name: 'Gate cam', location: 'North gate', from: `127.0.0.1:${cam.discoveryPort}` });
    expect(camera.types).toEqual(expect.arrayContaining(['NetworkVideoTransmitter', 'Device']));
    expect(camera.scopes).toEqual(expect.arrayContaining(['onvif://www.onvif.org/name/Gate%20cam', 'onvif://www.onvif.org/Profile/Streaming']));
    expect(camera.endpoint).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    const door = devices.find((d) => d.kind === 'door')!;
    expect(door).toMatchObject({ xaddr: panelXaddr, name: 'Gate panel', types: ['Device'] });
    expect(door.scopes).toContain('onvif://www.onvif.org/Profile/C');
  });

  it('finds a device listening on the multicast group (239.255.255.250:3702), as real ones do', async () => {
    // Port 3702 is shared (SO_REUSEADDR) with any other simulator on this host: pick ours out by its XAddr.
    const onGroup = new DoorControllerSimulator({ name: 'Multicast panel', username: 'admin', password: 'door-secret', doors: ['Side door'], discoveryPort: 3702 });
    const { xaddr } = await onGroup.start();
    try {
      const devices = await probeOnvifDevices({ timeoutMs: 1500 });
      expect(devices.find((d) => d.xaddr === xaddr)).toMatchObject({ kind: 'door', name: 'Multicast panel', from: expect.stringMatching(/:3702$/) });
    } finally {
      await onGroup.stop();
    }
  });

  it('finds nothing, without error, where nothing answers within the timeout', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      expect(await probeOnvifDevices({ targets: [{ host: '127.0.0.1', port: silent.address().port }], timeoutMs: 400 })).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    } finally {
      silent.close();
    }
  });

  it('does not answer for a camera that is offline', async () => {
    camera.injectFault('offline');
    try {
      expect(await probeOnvifDevices({ targets: [{ host: '127.0.0.1', port: cam.discoveryPort! }], timeoutMs: 400 })).toEqual([]);
    } finally {
      camera.clearFaults();
    }
  });

  it('says why when no Probe can be sent', async () => {
    await expect(probeOnvifDevices({ targets: [{ host: 'no-such-host.invalid', port: 3702 }], timeoutMs: 200 })).rejects.toThrow(/^could not send a WS-Discovery Probe: no-such-host\.invalid:3702: .*ENOTFOUND/);
  });
});

describe('ProbeMatches parsing', () => {
  it('ignores answers to Probes that are not ours, and what is not XML', () => {
    expect(parseProbeMatches('not xml at all', new Set(['urn:uuid:1']), 'x')).toEqual([]);
    const probe = probeMessage('tds:Device', 'urn:uuid:2');
    expect(parseProbeMatches(probe, new Set(['urn:uuid:2']), 'x')).toEqual([]);
  });

  it('reads host[:port] targets', () => {
    expect(parseDiscoveryTarget('192.168.1.64')).toEqual({ host: '192.168.1.64', port: 3702 });
    expect(parseDiscoveryTarget('cam.local:4000')).toEqual({ host: 'cam.local', port: 4000 });
    expect(() => parseDiscoveryTarget('10.0.0.1:99999')).toThrow('"10.0.0.1:99999" is not host[:port]');
  });
});

describe('edge-agent discover (the command line)', () => {
  const entry = fileURLToPath(new URL('../../discover-main.ts', import.meta.url));
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });

  it('prints one JSON line per device found, and a summary on stderr', async () => {
    const { code, stdout, stderr } = await run(['--target', `127.0.0.1:${cam.discoveryPort}`, '--target', `127.0.0.1:${panelPort}`, '--timeout', '1500']);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'camera', name: 'Gate cam', xaddr: cam.xaddr, scopes: expect.arrayContaining(['onvif://www.onvif.org/name/Gate%20cam']) }),
        expect.objectContaining({ kind: 'door', name: 'Gate panel', xaddr: panelXaddr }),
      ]),
    );
    expect(stderr).toMatch(/^2 ONVIF devices answered \(127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+, 1500 ms\)/);
  });

  it('exits 2 with the usage on a bad argument', async () => {
    const { code, stdout, stderr } = await run(['--timeout', 'soon']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^--timeout soon: give milliseconds, 100 to 60000\nusage: edge-agent discover/);
  });
});
