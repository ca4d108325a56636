import { describe, expect, it } from 'vitest';
import { bucketFor, bucketText, parseCustomRange, presetMs, rangePresets, spanOf, windowKey, zoomSelection } from './history-range.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.parse('2026-03-10T12:00:00Z');

describe('history ranges', () => {
  it('asks each preset for the smallest bucket that keeps the chart under 500 points', () => {
    expect(rangePresets.map((p) => bucketFor(presetMs[p]))).toEqual(['1m', '1m', '5m', '1h', '6h']);
  });

  it('asks short zoomed spans with auto, so the hub may answer raw readings', () => {
    expect(bucketFor(10 * MINUTE)).toBe('auto');
    expect(bucketFor(30 * MINUTE)).toBe('1m');
    expect(bucketFor(400 * 24 * HOUR)).toBe('1d');
  });

  it('moves a preset with the clock but keeps a custom span where it is', () => {
    expect(spanOf({ kind: 'preset', preset: '24h' }, NOW)).toEqual({ from: NOW - 24 * HOUR, to: NOW, bucket: '5m' });
    expect(spanOf({ kind: 'custom', from: NOW - 3 * HOUR, to: NOW - HOUR }, NOW + HOUR)).toEqual({ from: NOW - 3 * HOUR, to: NOW - HOUR, bucket: '1m' });
    expect(windowKey({ kind: 'preset', preset: '7d' })).toBe('7d');
    expect(windowKey({ kind: 'custom', from: 1, to: 2 })).toBe('1-2');
  });

  it('zooms to a drag in either direction and ignores a click', () => {
    expect(zoomSelection(NOW, NOW - HOUR)).toEqual({ from: NOW - HOUR, to: NOW });
    expect(zoomSelection(NOW - HOUR, NOW)).toEqual({ from: NOW - HOUR, to: NOW });
    expect(zoomSelection(NOW, NOW + MINUTE)).toBeNull();
    expect(zoomSelection(undefined, NOW)).toBeNull();
  });

  it('checks a custom span before asking the hub', () => {
    expect(parseCustomRange('2026-03-10T08:00', '2026-03-10T10:00', NOW)).toEqual({ from: Date.parse('2026-03-10T08:00'), to: Date.parse('2026-03-10T10:00') });
    expect(parseCustomRange('2026-03-10T10:00', '2026-03-10T08:00', NOW)).toBe('order');
    expect(parseCustomRange('', '2026-03-10T08:00', NOW)).toBe('invalid');
    expect(parseCustomRange('2026-03-11T10:00', '2026-03-12T08:00', NOW)).toBe('future');
    expect(parseCustomRange('2024-01-01T00:00', '2026-03-10T08:00', NOW)).toBe('tooLong');
  });

  it('names the bucket an answer came in for the caption', () => {
    const t = (key: string, vars?: Record<string, string | number>) => (vars ? `${key}:${JSON.stringify(vars)}` : key);
    expect(bucketText(t, 'raw')).toBe('device.range.raw');
    expect(['1m', '15m', '6h', '1d'].map((b) => bucketText(t, b))).toEqual(['1 min', '15 min', '6 h', '1 d'].map((size) => `device.range.perBucket:${JSON.stringify({ size })}`));
  });
});
