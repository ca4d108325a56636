import { describe, expect, it } from 'vitest';
import { decode, describeIssues } from './codec.js';
import { MAX_POINTS_PER_BATCH, pointSchema, telemetryBatchSchema } from './messages.js';
import { fastTelemetryBatch } from './telemetry-fast-path.js';
import { topics } from './topics.js';

const T = 1_772_438_400_000;
const topic = topics.telemetry({ site: 'estate-a', agent: 'b1-agent' });
const point = { device: 'pump-3', metric: 'temp', ts: T, value: 41.5 };
const batch = { v: 1, msgId: 'm-8', seq: 8, ts: T, points: [point] };
const json = (x: unknown) => JSON.stringify(x);
const withPoint = (p: Record<string, unknown>) => json({ ...batch, points: [p] });

/** Payloads and what the fast path must do with them: take them itself, or leave them to zod. */
const cases: [name: string, payload: string, fast: boolean][] = [
  ['a typical batch', json(batch), true],
  ['a replayed batch', json({ ...batch, historical: true }), true],
  ['a live batch spelled out', json({ ...batch, historical: false }), true],
  ['every value type and quality', json({ ...batch, points: [{ ...point, quality: 'good' }, { ...point, value: true, quality: 'estimated' }, { ...point, value: 'auto', quality: 'bad' }] }), true],
  ['limits reached', json({ ...batch, msgId: 'm'.repeat(64), seq: Number.MAX_SAFE_INTEGER, ts: 8_640_000_000_000_000, points: [{ ...point, device: 'd'.repeat(64), ts: 0, value: 'x'.repeat(1024) }] }), true],
  ['the most points', json({ ...batch, points: Array.from({ length: MAX_POINTS_PER_BATCH }, () => point) }), true],
  ['a text value over 1024 UTF-16 units but not code points', withPoint({ ...point, value: '😀'.repeat(600) }), false],
  // Each of these is rejected, by zod, with its reason.
  ['another version', json({ ...batch, v: 2 }), false],
  ['an empty msgId', json({ ...batch, msgId: '' }), false],
  ['an over-long msgId', json({ ...batch, msgId: 'm'.repeat(65) }), false],
  ['a fractional seq', json({ ...batch, seq: 1.5 }), false],
  ['a seq past the safe integers', json({ ...batch, seq: 2 ** 53 }), false],
  ['a time past the end of time', json({ ...batch, ts: 8_640_000_000_000_001 }), false],
  ['a null historical flag', json({ ...batch, historical: null }), false],
  ['an unknown batch field', json({ ...batch, extra: 1 }), false],
  ['a __proto__ field', `{"__proto__":{},${json(batch).slice(1)}`, false],
  ['no points', json({ ...batch, points: [] }), false],
  ['too many points', json({ ...batch, points: Array.from({ length: MAX_POINTS_PER_BATCH + 1 }, () => point) }), false],
  ['points not in an array', json({ ...batch, points: point }), false],
  ['a null point', json({ ...batch, points: [null] }), false],
  ['a point in an array', json({ ...batch, points: [[point]] }), false],
  ['an unknown point field', withPoint({ ...point, unit: 'Cel' }), false],
  ['a bad device id', withPoint({ ...point, device: '-pump' }), false],
  ['a bad metric id', withPoint({ ...point, metric: 'm'.repeat(65) }), false],
  ['a negative point time', withPoint({ ...point, ts: -1 }), false],
  ['an infinite value', withPoint({ ...point, value: 1 }).replace('"value":1', '"value":1e999'), false],
  ['a null value', withPoint({ ...point, value: null }), false],
  ['an over-long text value', withPoint({ ...point, value: 'x'.repeat(1025) }), false],
  ['an unknown quality', withPoint({ ...point, quality: 'poor' }), false],
  ['an array', json([batch]), false],
  ['a string', json('batch'), false],
];

describe('the telemetry fast path', () => {
  it.each(cases)('%s: agrees with the schema', (_name, payload, fast) => {
    const byHand = fastTelemetryBatch(JSON.parse(payload));
    const byZod = telemetryBatchSchema.safeParse(JSON.parse(payload));
    expect(byHand !== undefined).toBe(fast);
    if (byHand) expect(byHand).toStrictEqual(byZod.data);
    // What decode answers is what the schema answers, whichever path took the message.
    const decoded = decode(topic, payload);
    if (byZod.success) expect(decoded).toMatchObject({ ok: true, message: byZod.data });
    else expect(decoded).toMatchObject({ ok: false, reason: describeIssues(byZod.error) });
  });

  it('checks exactly the fields the schemas define (a new one needs a check here)', () => {
    expect(Object.keys(telemetryBatchSchema.shape).sort()).toEqual(['historical', 'msgId', 'points', 'seq', 'ts', 'v']);
    expect(Object.keys(pointSchema.shape).sort()).toEqual(['device', 'metric', 'quality', 'ts', 'value']);
  });
});
