import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Point } from '@warden/protocols';
import { TelemetryBatcher } from './telemetry-batcher.js';

const point = (i: number): Point => ({ device: 'd', metric: 'm', ts: 1_700_000_000_000 + i, value: i });

describe('TelemetryBatcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('closes a batch after maxDelayMs from its first point', () => {
    const batches: Point[][] = [];
    const batcher = new TelemetryBatcher({ maxPoints: 500, maxDelayMs: 200 }, (b) => batches.push(b));
    batcher.add([point(1)]);
    vi.advanceTimersByTime(150);
    batcher.add([point(2), point(3)]);
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(50);
    expect(batches).toEqual([[point(1), point(2), point(3)]]);
    vi.advanceTimersByTime(1000);
    expect(batches).toHaveLength(1);
  });

  it('closes a batch as soon as it holds maxPoints, splitting a large reading', () => {
    const batches: Point[][] = [];
    const batcher = new TelemetryBatcher({ maxPoints: 3, maxDelayMs: 200 }, (b) => batches.push(b));
    batcher.add([1, 2, 3, 4, 5, 6, 7].map(point));
    expect(batches.map((b) => b.length)).toEqual([3, 3]);
    vi.advanceTimersByTime(200);
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
  });

  it('flushes what it holds on close and then holds no timer', () => {
    const batches: Point[][] = [];
    const batcher = new TelemetryBatcher({ maxPoints: 10, maxDelayMs: 200 }, (b) => batches.push(b));
    batcher.add([point(1)]);
    batcher.close();
    expect(batches).toEqual([[point(1)]]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
