import { type Device } from '../api/hub-api.ts';

/**
 * Devices arranged the way a guard or technician walks the estate: building, then floor.
 * Pure functions, so the arrangement is the same whatever renders it.
 */

export type StatusFilter = 'all' | 'online' | 'offline';

export interface FloorGroup {
  /** null = device not on a floor (roof plant, site-wide equipment). */
  floor: string | null;
  devices: Device[];
}

export interface BuildingGroup {
  /** Stable key: site and building, since building names repeat across sites. */
  key: string;
  site: string;
  /** null = site-wide devices (gates, perimeter cameras, the pump house). */
  building: string | null;
  floors: FloorGroup[];
  online: number;
  total: number;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/**
 * Floor order: basements (B2, B1, -1) below ground first, then numbered floors upward,
 * then anything named (Roof, Mezzanine) in natural order, and "no floor" last.
 */
export function floorRank(floor: string | null): [number, number, string] {
  if (floor === null) return [3, 0, ''];
  const trimmed = floor.trim();
  const basement = /^(?:b|地下)\s*(\d+)$/i.exec(trimmed);
  if (basement) return [0, -Number(basement[1]), trimmed];
  const numbered = /^(-?\d+)\s*(?:f|层|楼)?$/i.exec(trimmed) ?? /^(?:f|l)\s*(\d+)$/i.exec(trimmed);
  if (numbered) return [Number(numbered[1]) < 0 ? 0 : 1, Number(numbered[1]), trimmed];
  return [2, 0, trimmed];
}

export function compareFloors(a: string | null, b: string | null): number {
  const [ga, na, sa] = floorRank(a);
  const [gb, nb, sb] = floorRank(b);
  return ga - gb || na - nb || collator.compare(sa, sb);
}

function compareBuildings(a: BuildingGroup, b: BuildingGroup): number {
  if (a.site !== b.site) return collator.compare(a.site, b.site);
  // Site-wide devices after the buildings of their site.
  if (a.building === null || b.building === null) return a.building === b.building ? 0 : a.building === null ? 1 : -1;
  return collator.compare(a.building, b.building);
}

export function matchesFilter(device: Device, text: string, status: StatusFilter): boolean {
  if (status === 'online' && !device.online) return false;
  if (status === 'offline' && device.online) return false;
  const terms = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return true;
  const haystack = [device.name, device.code, device.type, device.site, device.agentId, device.building ?? '', device.floor ?? '']
    .join(' ')
    .toLowerCase();
  // Every word must match somewhere: "b2 pump" finds pumps in building B2.
  return terms.every((term) => haystack.includes(term));
}

export function groupDevices(devices: readonly Device[]): BuildingGroup[] {
  const buildings = new Map<string, BuildingGroup & { byFloor: Map<string, FloorGroup> }>();
  for (const device of devices) {
    const key = `${device.site}\u0000${device.building ?? ''}`;
    let group = buildings.get(key);
    if (!group) {
      group = { key, site: device.site, building: device.building, floors: [], online: 0, total: 0, byFloor: new Map() };
      buildings.set(key, group);
    }
    group.total += 1;
    if (device.online) group.online += 1;
    const floorKey = device.floor ?? '\u0000';
    let floor = group.byFloor.get(floorKey);
    if (!floor) {
      floor = { floor: device.floor, devices: [] };
      group.byFloor.set(floorKey, floor);
      group.floors.push(floor);
    }
    floor.devices.push(device);
  }
  return [...buildings.values()]
    .map(({ byFloor: _byFloor, ...group }) => {
      group.floors.sort((a, b) => compareFloors(a.floor, b.floor));
      for (const floor of group.floors) floor.devices.sort((a, b) => collator.compare(a.name, b.name) || a.id - b.id);
      return group;
    })
    .sort(compareBuildings);
}

/**
 * The devices with live online/offline changes applied over the last poll. Devices
 * unchanged keep their identity, so memoised rows of them do not re-render; with no
 * change at all the same array comes back.
 */
export function withOnlinePatches(devices: readonly Device[], online: ReadonlyMap<number, boolean>): readonly Device[] {
  if (online.size === 0) return devices;
  let changed = false;
  const out = devices.map((device) => {
    const patched = online.get(device.id);
    if (patched === undefined || patched === device.online) return device;
    changed = true;
    return { ...device, online: patched };
  });
  return changed ? out : devices;
}
