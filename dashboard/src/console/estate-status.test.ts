import { describe, expect, it } from 'vitest';
import { type AlarmPriority, type Device } from '../api/hub-api.ts';
import { layoutSignature, sameDeviceStatus, type DeviceStatus } from './estate-status.ts';

function device(id: number, overrides: Partial<Device> = {}): Device {
  return { id, code: `d-${id}`, agentId: 'agent-a', site: 'bench', building: 'A', floor: '1', type: 'sensor.temperature', name: `Sensor ${id}`, online: true, lastSeenAt: null, ...overrides };
}

function status(offline: number[], alarmed: [number, AlarmPriority][] = []): DeviceStatus {
  const down = new Set(offline);
  return { onlineOf: (id) => !down.has(id), alarmed: new Map(alarmed) };
}

describe('estate overview status', () => {
  const floor = [device(1), device(2), device(3)];

  it("finds a floor unchanged when only devices elsewhere went offline or alarmed, though every lookup is new", () => {
    expect(sameDeviceStatus(floor, status([]), status([42], [[43, 'high']]))).toBe(true);
  });

  it('finds a floor changed when one of its own devices goes offline, back online, or changes alarm colour', () => {
    expect(sameDeviceStatus(floor, status([]), status([2]))).toBe(false);
    expect(sameDeviceStatus(floor, status([2]), status([]))).toBe(false);
    expect(sameDeviceStatus(floor, status([], [[3, 'medium']]), status([], [[3, 'critical']]))).toBe(false);
    expect(sameDeviceStatus(floor, status([], [[3, 'medium']]), status([]))).toBe(false);
  });

  it('keeps the arrangement of a poll whose devices only changed online, and not of one where a device moved or was renamed', () => {
    const polled = [device(1), device(2, { floor: '2' })];
    expect(layoutSignature(polled.map((d) => ({ ...d, online: !d.online, lastSeenAt: '2026-01-01T00:00:00Z' })))).toBe(layoutSignature(polled));
    expect(layoutSignature([polled[0], { ...polled[1], floor: '3' }])).not.toBe(layoutSignature(polled));
    expect(layoutSignature([polled[0], { ...polled[1], name: 'Pump 2' }])).not.toBe(layoutSignature(polled));
    expect(layoutSignature([...polled, device(3)])).not.toBe(layoutSignature(polled));
  });
});
