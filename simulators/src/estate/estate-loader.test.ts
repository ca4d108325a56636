import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoEstatePath } from '../index.js';
import { EstateError, loadEstate, loadScenario, parseEstate } from './estate-loader.js';
import type { EstateInput } from './estate.schema.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-estate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeJson(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

const minimal = (): EstateInput => ({
  site: { id: 'test-site', name: 'Test' },
  buildings: [
    {
      id: 'b1',
      name: 'One',
      floors: 6,
      devices: [
        { id: 'tank-1', type: 'sensor.level', name: 'Tank' },
        { id: 'pump-1', type: 'pump', name: 'Pump', params: { tank: 'tank-1' } },
      ],
    },
  ],
});

function errorOf(fn: () => unknown): EstateError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EstateError);
    return err as EstateError;
  }
  throw new Error('expected an EstateError');
}

describe('loadEstate', () => {
  it('loads the demo estate: two or more buildings with every kind of device', () => {
    const estate = loadEstate(demoEstatePath);
    expect(estate.buildings.length).toBeGreaterThanOrEqual(2);
    expect(estate.buildings.map((b) => b.id)).toEqual(expect.arrayContaining(['bldg-a', 'bldg-b']));
    for (const b of estate.buildings) {
      const types = new Set(b.devices.map((d) => d.type));
      for (const t of ['pump', 'sensor.level', 'sensor.temperature', 'meter.water', 'meter.electricity', 'lift', 'sensor.smoke', 'sensor.leak']) {
        expect(types, `${b.id} has a ${t}`).toContain(t);
      }
    }
    expect(estate.scenario.length).toBeGreaterThan(0);
  });

  it('applies defaults and turns numeric floors into labels', () => {
    const input = minimal();
    input.buildings[0].devices.push({ id: 'wm-1', type: 'meter.water', name: 'Meter', floor: 3 });
    const estate = parseEstate(input);
    expect(estate.seed).toBe(1);
    expect(estate.utcOffsetMin).toBe(480);
    const meter = estate.buildings[0].devices[2];
    expect(meter.floor).toBe('3');
    expect(meter.params).toMatchObject({ dailyM3: 0.5, initialM3: 0 });
  });

  it('names the file and the field of an unknown device type', () => {
    const input = minimal() as { buildings: { devices: unknown[] }[] };
    input.buildings[0].devices.push({ id: 'x', type: 'toaster', name: 'X' });
    const err = errorOf(() => loadEstate(writeJson('bad-type.json', input)));
    expect(err.message).toContain(join(dir, 'bad-type.json'));
    expect(err.message).toContain('buildings.0.devices.2.type');
  });

  it('names a pump whose tank is not a level sensor of its building', () => {
    const input = minimal();
    input.buildings[0].devices[1] = { id: 'pump-1', type: 'pump', name: 'Pump', params: { tank: 'tank-9' } };
    const err = errorOf(() => loadEstate(writeJson('bad-tank.json', input)));
    expect(err.issues).toEqual([{ path: 'buildings.0.devices.1.params.tank', message: '"tank-9" is not a sensor.level device in building b1' }]);
  });

  it('names a missing field, a duplicate id and a bad scenario step', () => {
    const input = minimal() as unknown as { site: Record<string, unknown>; buildings: { devices: unknown[] }[]; scenario: unknown[] };
    delete input.site.name;
    input.buildings[0].devices.push({ id: 'tank-1', type: 'sensor.smoke', name: 'Dup' });
    input.scenario = [
      { at: 10, device: 'ghost', fault: 'overheat', durationSec: 5 },
      { at: 10, device: 'tank-1', fault: 'overheat', durationSec: 5 },
    ];
    const err = errorOf(() => loadEstate(writeJson('many.json', input)));
    expect(err.issues.map((i) => i.path)).toContain('site.name');
    // Cross-field checks run once the shape is right.
    input.site.name = 'Named';
    const err2 = errorOf(() => loadEstate(writeJson('many2.json', input)));
    expect(err2.issues.map((i) => i.path).sort()).toEqual(['buildings.0.devices.2.id', 'scenario.0.device', 'scenario.1.fault']);
    expect(err2.message).toMatch(/duplicate device id "tank-1"/);
  });

  it('takes cameras and doors, a camera covering doors of its own building only', () => {
    const input = minimal();
    input.buildings[0].devices.push(
      { id: 'door-1', type: 'door', name: 'Lobby door', floor: 1, params: { zone: 'lobby' } },
      { id: 'cam-1', type: 'camera', name: 'Lobby camera', params: { covers: ['door-1'], zone: 'lobby' } },
    );
    const estate = parseEstate(input);
    expect(estate.buildings[0].devices.find((d) => d.id === 'cam-1')).toMatchObject({ type: 'camera', params: { covers: ['door-1'], zone: 'lobby' } });

    input.buildings[0].devices.push({ id: 'cam-2', type: 'camera', name: 'Pump camera', params: { covers: ['pump-1', 'door-9'] } });
    input.scenario = [{ at: 5, device: 'door-1', fault: 'offline', durationSec: 5 }];
    const err = errorOf(() => loadEstate(writeJson('bad-covers.json', input)));
    expect(err.issues).toEqual([
      { path: 'buildings.0.devices.4.params.covers.0', message: '"pump-1" is not a door in building b1' },
      { path: 'buildings.0.devices.4.params.covers.1', message: '"door-9" is not a door in building b1' },
      { path: 'scenario.0.device', message: expect.stringMatching(/^door-1 is a door: scripted faults apply to simulated equipment/) },
    ]);
  });

  it('reports unreadable files and invalid JSON with the file name', () => {
    expect(() => loadEstate(join(dir, 'absent.json'))).toThrow(/absent\.json: cannot read the file/);
    expect(() => loadEstate(writeJson('broken.json', '{ "site": '))).toThrow(/broken\.json: not valid JSON/);
  });
});

describe('loadScenario', () => {
  it('loads a separate scenario file and checks it against the estate', () => {
    const estate = loadEstate(demoEstatePath);
    const ok = loadScenario(writeJson('scenario.json', { scenario: [{ at: 30, device: 'pump-3', fault: 'overheat', durationSec: 120 }] }), estate);
    expect(ok).toEqual([{ at: 30, device: 'pump-3', fault: 'overheat', durationSec: 120 }]);
    const err = errorOf(() => loadScenario(writeJson('scenario-bad.json', [{ at: 5, device: 'pump-3', fault: 'smoke', durationSec: 1 }]), estate));
    expect(err.message).toMatch(/scenario-bad\.json: 0\.fault: fault "smoke" does not apply to pump-3 \(a pump\)/);
  });
});
