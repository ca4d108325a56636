import { describe, expect, it } from 'vitest';
import { type Device } from '../api/hub-api.ts';
import { compareFloors, groupDevices, matchesFilter, withOnlinePatches } from './device-groups.ts';

let nextId = 1;
function device(overrides: Partial<Device>): Device {
  const id = nextId++;
  return {
    id,
    code: `DEV-${id}`,
    agentId: 'agent-a',
    site: 'sunny-garden',
    building: 'A',
    floor: '1',
    type: 'pump',
    name: `Device ${id}`,
    online: true,
    lastSeenAt: null,
    ...overrides,
  };
}

describe('device grouping', () => {
  it('orders floors from the lowest basement up, named floors after numbered ones, no floor last', () => {
    const floors = ['Roof', '12', null, 'B1', '2', 'B2', '1F', '-3'];
    expect([...floors].sort(compareFloors)).toEqual(['-3', 'B2', 'B1', '1F', '2', '12', 'Roof', null]);
  });

  it('groups by site and building, counts online devices, and puts site-wide devices after buildings', () => {
    const devices = [
      device({ building: null, floor: null, name: 'Gate camera' }),
      device({ building: 'B', floor: '2', online: false }),
      device({ building: 'A', floor: 'B1' }),
      device({ building: 'A', floor: '3', online: false }),
      device({ building: 'A', floor: 'B1', name: 'Aardvark pump' }),
    ];
    const groups = groupDevices(devices);
    expect(groups.map((g) => [g.building, g.online, g.total])).toEqual([
      ['A', 2, 3],
      ['B', 0, 1],
      [null, 1, 1],
    ]);
    expect(groups[0].floors.map((f) => f.floor)).toEqual(['B1', '3']);
    expect(groups[0].floors[0].devices[0].name).toBe('Aardvark pump');
  });

  it('keeps same-named buildings of different sites apart', () => {
    const groups = groupDevices([device({ site: 'north', building: 'A' }), device({ site: 'south', building: 'A' })]);
    expect(groups.map((g) => g.site)).toEqual(['north', 'south']);
  });

  it('filters on every word across name, code, type and location, and on online state', () => {
    const pump = device({ name: 'Domestic water pump', building: 'B2', code: 'B2-P1' });
    expect(matchesFilter(pump, 'b2 PUMP', 'all')).toBe(true);
    expect(matchesFilter(pump, 'b2 lift', 'all')).toBe(false);
    expect(matchesFilter(pump, '', 'offline')).toBe(false);
    expect(matchesFilter({ ...pump, online: false }, 'water', 'offline')).toBe(true);
  });

  it('applies live online changes over the polled list, keeping unchanged devices as they were', () => {
    const a = device({ online: true });
    const b = device({ online: true });
    const list = [a, b];
    const patched = withOnlinePatches(list, new Map([[b.id, false]]));
    expect(patched.map((d) => d.online)).toEqual([true, false]);
    expect(patched[0]).toBe(a);
    expect(list[1].online).toBe(true);
    expect(withOnlinePatches(list, new Map([[a.id, true]]))).toBe(list);
    expect(withOnlinePatches(list, new Map())).toBe(list);
  });
});
