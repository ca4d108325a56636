import { MAX_POINTS_PER_BATCH, type TelemetryBatch } from './messages.js';
import { ID_PATTERN, PROTOCOL_VERSION } from './topics.js';

/**
 * The hub's hot path: a telemetry batch checked by hand, in place. zod builds a
 * copy of every point and a result per union branch and check (about 1.1 kB of
 * short-lived objects per point, measured), which at 100k points/s makes V8
 * promote the points waiting for their database write and grow the old heap
 * with them: the hub's peak memory follows from it.
 *
 * It accepts only what `telemetryBatchSchema` accepts, and returns the same
 * data (the parsed JSON itself, with `historical` defaulted); whenever a field
 * is unexpected or unusual it answers `undefined` and the caller lets zod
 * decide, so zod stays the definition and words every rejection. Keep the
 * limits below in step with messages.ts (protocols' tests compare both).
 */
const EPOCH_MS_MAX = 8_640_000_000_000_000;
const MSG_ID_MAX = 64;
const TEXT_VALUE_MAX = 1024;

const isEpochMs = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= EPOCH_MS_MAX;
const isId = (v: unknown): boolean => typeof v === 'string' && ID_PATTERN.test(v);

function isPoint(p: unknown): boolean {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return false;
  for (const key in p) {
    if (key !== 'device' && key !== 'metric' && key !== 'ts' && key !== 'value' && key !== 'quality') return false;
  }
  const { device, metric, ts, value, quality } = p as Record<string, unknown>;
  if (!isId(device) || !isId(metric) || !isEpochMs(ts)) return false;
  // String lengths count UTF-16 units here; zod counts code points past its limit (only longer strings differ: zod decides).
  const valueOk = typeof value === 'number' ? Number.isFinite(value) : typeof value === 'boolean' || (typeof value === 'string' && value.length <= TEXT_VALUE_MAX);
  return valueOk && (quality === undefined || quality === 'good' || quality === 'estimated' || quality === 'bad');
}

/** The batch, valid, or `undefined`: not sure, ask zod. */
export function fastTelemetryBatch(json: unknown): TelemetryBatch | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  for (const key in json) {
    if (key !== 'v' && key !== 'msgId' && key !== 'seq' && key !== 'ts' && key !== 'historical' && key !== 'points') return undefined;
  }
  const batch = json as Record<string, unknown>;
  const { v, msgId, seq, ts, historical, points } = batch;
  if (v !== PROTOCOL_VERSION) return undefined;
  if (typeof msgId !== 'string' || msgId.length < 1 || msgId.length > MSG_ID_MAX) return undefined;
  if (!Number.isSafeInteger(seq) || (seq as number) < 0 || !isEpochMs(ts)) return undefined;
  if (historical !== undefined && typeof historical !== 'boolean') return undefined;
  if (!Array.isArray(points) || points.length < 1 || points.length > MAX_POINTS_PER_BATCH) return undefined;
  for (let i = 0; i < points.length; i++) if (!isPoint(points[i])) return undefined;
  if (historical === undefined) batch.historical = false;
  return batch as TelemetryBatch;
}
