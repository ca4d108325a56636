import { describe, expect, it } from 'vitest';
import { mergeHandovers, type Handover } from './handover-api.ts';

const handover = (id: number, startedAt: string, over: Partial<Handover> = {}): Handover => ({
  id,
  buildingId: 'b1',
  startedAt,
  outgoingId: 1,
  outgoingName: 'Day guard',
  notes: '',
  periodStart: startedAt,
  status: 'pending',
  acceptedAt: null,
  incomingId: null,
  incomingName: null,
  acceptRemark: null,
  overdueAt: null,
  counts: { unacknowledged: 0, standing: 0, shelved: 0, workOrders: 0, incidents: 0, doors: 0, alarmsInPeriod: 0 },
  ...over,
});

describe('mergeHandovers', () => {
  it('keeps one per id, newest first, a later version replacing the earlier', () => {
    const a = handover(1, '2026-11-27T08:00:00Z');
    const b = handover(2, '2026-11-27T20:00:00Z');
    const accepted = { ...a, status: 'accepted' as const, acceptedAt: '2026-11-27T08:05:00Z', incomingName: 'Night guard' };
    expect(mergeHandovers([a], [b, accepted]).map((h) => [h.id, h.status])).toEqual([
      [2, 'pending'],
      [1, 'accepted'],
    ]);
  });

  it('never turns an accepted handover back to pending, and keeps the overdue flag and the snapshot', () => {
    const start = handover(1, '2026-11-27T08:00:00Z');
    const overdue = { ...start, overdueAt: '2026-11-27T08:30:00Z' };
    const accepted = { ...start, status: 'accepted' as const, acceptedAt: '2026-11-27T08:40:00Z', incomingName: 'Night guard' };
    const withSnapshot = { ...start, snapshot: { takenAt: start.startedAt } as Handover['snapshot'] };
    let merged = mergeHandovers([withSnapshot], [overdue]);
    merged = mergeHandovers(merged, [accepted]);
    // A replay of the start after the acceptance (resume, reload) is ignored.
    merged = mergeHandovers(merged, [start]);
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({ status: 'accepted', incomingName: 'Night guard', overdueAt: '2026-11-27T08:30:00Z' });
    expect(merged[0].snapshot).toEqual({ takenAt: start.startedAt });
  });
});
