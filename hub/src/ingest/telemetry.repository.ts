import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database, Queryable } from '../db/database.js';

/**
 * Column arrays of a batch of readings, for COPY or `unnest`: typed arrays of a
 * fixed capacity of which the first `length` rows are used. Points waiting for
 * their write are held here rather than as objects per point, and the writer
 * reuses the arrays from batch to batch: under load such objects outlive V8's
 * young generation and pile up in the old one until a full collection (most of
 * the hub's peak memory in bench:ingest, before).
 */
export interface PointColumns {
  length: number;
  seriesIds: Int32Array;
  /** Epoch milliseconds. */
  ts: Float64Array;
  /** NaN stands for NULL (a text reading): the protocol admits finite numbers only. */
  values: Float64Array;
  texts: (string | null)[];
  qualities: Uint8Array;
}

export function createColumns(capacity: number): PointColumns {
  return {
    length: 0,
    seriesIds: new Int32Array(capacity),
    ts: new Float64Array(capacity),
    values: new Float64Array(capacity),
    texts: new Array<string | null>(capacity).fill(null),
    qualities: new Uint8Array(capacity),
  };
}

/**
 * PostgreSQL array literals built directly: node-pg would otherwise convert and
 * escape every element of every column one by one, a measurable share of the
 * ingest CPU at 100k points/s. Numbers need no escaping (NaN is NULL, see
 * PointColumns); text is quoted with backslash escapes.
 */
function numberArray(values: ArrayLike<number>, n: number): string {
  let out = '{';
  for (let i = 0; i < n; i++) {
    if (i) out += ',';
    const v = values[i];
    out += Number.isNaN(v) ? 'NULL' : String(v);
  }
  return out + '}';
}

function textArray(values: readonly (string | null)[], n: number): string {
  let out = '{';
  for (let i = 0; i < n; i++) {
    if (i) out += ',';
    const v = values[i];
    out += v === null ? 'NULL' : `"${v.replace(/[\\"]/g, '\\$&')}"`;
  }
  return out + '}';
}

function columnParams(c: PointColumns): string[] {
  const n = c.length;
  return [numberArray(c.seriesIds, n), numberArray(c.ts, n), numberArray(c.values, n), textArray(c.texts, n), numberArray(c.qualities, n)];
}

/**
 * One statement for the whole batch; the primary key (series_id, ts) makes a
 * redelivered reading a no-op. Returns how many rows were new.
 */
export async function insertTelemetry(db: Queryable, c: PointColumns): Promise<number> {
  const { rowCount } = await db.query(
    `INSERT INTO telemetry (series_id, ts, value, value_text, quality)
     SELECT s, to_timestamp(t / 1000.0), v, x, q
       FROM unnest($1::int[], $2::float8[], $3::float8[], $4::text[], $5::int2[]) AS u(s, t, v, x, q)
     ON CONFLICT DO NOTHING`,
    columnParams(c),
  );
  return rowCount ?? 0;
}

/** COPY text format: backslash, tab, newline and carriage return are escaped; \N is NULL. */
function copyText(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** Rows per piece of COPY text: the text is built a piece at a time, so a 20k-point batch never holds the event loop long. */
const COPY_CHUNK_ROWS = 2_000;

async function* copyRows(c: PointColumns): AsyncGenerator<string> {
  const n = c.length;
  // Points of one batch mostly share their timestamps: format each distinct one once.
  let lastTs = Number.NaN;
  let lastIso = '';
  for (let start = 0; start < n; start += COPY_CHUNK_ROWS) {
    const end = Math.min(n, start + COPY_CHUNK_ROWS);
    let text = '';
    for (let i = start; i < end; i++) {
      const t = c.ts[i];
      if (t !== lastTs) {
        lastTs = t;
        lastIso = new Date(t).toISOString();
      }
      const v = c.values[i];
      const x = c.texts[i];
      text += `${c.seriesIds[i]}\t${lastIso}\t${Number.isNaN(v) ? '\\N' : v}\t${x === null ? '\\N' : copyText(x)}\t${c.qualities[i]}\n`;
    }
    yield text;
    if (end < n) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * COPY, the fastest bulk path (about twice the rows per second of the unnest
 * INSERT on the test machine), on a PostgreSQL server. COPY has no ON CONFLICT:
 * a batch holding a point already stored (an MQTT redelivery, rare) fails whole
 * on the primary key and is written again through insertTelemetry, which skips
 * the duplicates. PGlite takes the unnest path (COPY FROM STDIN crashes it).
 */
export async function copyTelemetry(db: Database, c: PointColumns): Promise<number> {
  if (db.kind !== 'postgres') return insertTelemetry(db, c);
  return db.withClient(async (client) => {
    try {
      await pipeline(Readable.from(copyRows(c)), client.query(copyFrom('COPY telemetry (series_id, ts, value, value_text, quality) FROM STDIN')));
      return c.length;
    } catch (err) {
      if ((err as { code?: string }).code !== '23505') throw err;
      return insertTelemetry(client, c);
    }
  });
}

/** Latest value per series; never moves backwards in time. `c` must hold each series once. */
export async function upsertLatest(db: Queryable, c: PointColumns): Promise<void> {
  await db.query(
    `INSERT INTO latest_values (series_id, ts, value, value_text, quality)
     SELECT s, to_timestamp(t / 1000.0), v, x, q
       FROM unnest($1::int[], $2::float8[], $3::float8[], $4::text[], $5::int2[]) AS u(s, t, v, x, q)
     ON CONFLICT (series_id) DO UPDATE SET ts = EXCLUDED.ts, value = EXCLUDED.value, value_text = EXCLUDED.value_text, quality = EXCLUDED.quality
       WHERE latest_values.ts <= EXCLUDED.ts`,
    columnParams(c),
  );
}

/** Day partitions (plain PostgreSQL path) for the given UTC days, e.g. '2026-11-27'. */
export async function ensurePartitions(db: Queryable, days: string[]): Promise<void> {
  await db.query('SELECT warden_ensure_telemetry_partition(d::date) FROM unnest($1::text[]) AS d', [days]);
}

export async function insertDeadLetter(
  db: Queryable,
  letter: { topic: string; kind?: string; agentId?: string; reason: string; payload: string },
): Promise<void> {
  await db.query(`INSERT INTO dead_letters (topic, kind, agent_id, reason, payload) VALUES ($1, $2, $3, $4, $5)`, [
    letter.topic,
    letter.kind ?? null,
    letter.agentId ?? null,
    letter.reason,
    letter.payload,
  ]);
}

export async function insertEvent(
  db: Queryable,
  e: { agentId: string; msgId: string; deviceId: number; kind: string; ts: number; historical: boolean; data: unknown },
): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO device_events (agent_id, msg_id, device_id, kind, ts, historical, data)
     VALUES ($1, $2, $3, $4, to_timestamp($5 / 1000.0), $6, $7)
     ON CONFLICT (agent_id, msg_id) DO NOTHING RETURNING id`,
    [e.agentId, e.msgId, e.deviceId, e.kind, e.ts, e.historical, e.data === undefined ? null : JSON.stringify(e.data)],
  );
  return rows[0]?.id;
}
