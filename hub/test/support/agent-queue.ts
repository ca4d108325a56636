import fs from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { QueuedMessage } from '@warden/edge-agent';

/**
 * Reads an edge agent's queue folder from the outside, by the record framing
 * edge-agent/README.md documents (magic "WQR1", length, seq, CRC-32, JSON):
 * every record still on disk, acknowledged or not, in seq order. A test that
 * keeps the whole run in one segment (nothing is deleted before a second
 * segment exists) gets back everything the agent ever queued.
 */
export interface QueueRecord {
  seq: number;
  value: QueuedMessage;
}

const MAGIC = 0x57515231;
const HEADER_BYTES = 20;

/**
 * `live`: the agent may be appending right now, so the end of the last segment
 * may be a record still being written: reading stops there instead of failing.
 */
export async function readQueueRecords(dir: string, { live = false } = {}): Promise<QueueRecord[]> {
  const segments = (await fs.readdir(dir)).filter((name) => /^\d{16}\.seg$/.test(name)).sort();
  const records: QueueRecord[] = [];
  for (const name of segments) {
    const bytes = await fs.readFile(path.join(dir, name));
    let offset = 0;
    while (offset + HEADER_BYTES <= bytes.length) {
      if (bytes.readUInt32BE(offset) !== MAGIC) {
        if (live) break;
        throw new Error(`${name}: no record at offset ${offset}`);
      }
      const length = bytes.readUInt32BE(offset + 4);
      const end = offset + HEADER_BYTES + length;
      // A torn tail (the writer killed mid-append) is what the agent itself cuts off on open.
      if (end > bytes.length) break;
      const payload = bytes.subarray(offset + HEADER_BYTES, end);
      const crc = crc32(payload, crc32(bytes.subarray(offset + 4, offset + 16)));
      if (crc !== bytes.readUInt32BE(offset + 16)) {
        if (live) break;
        throw new Error(`${name}: bad checksum at offset ${offset}`);
      }
      records.push({ seq: Number(bytes.readBigUInt64BE(offset + 8)), value: JSON.parse(payload.toString('utf8')) as QueuedMessage });
      offset = end;
    }
  }
  return records;
}

/** The queue's acknowledgement cursor: every seq up to `ackedThrough` is delivered. */
export async function readQueueCursor(dir: string): Promise<{ ackedThrough: number }> {
  // Written to a temporary file and renamed: always whole.
  return JSON.parse(await fs.readFile(path.join(dir, 'cursor.json'), 'utf8')) as { ackedThrough: number };
}

/** The telemetry points of records with seq in [from, to). */
export function queuedPoints(records: QueueRecord[], from = 0, to = Number.POSITIVE_INFINITY): { device: string; metric: string; ts: number; seq: number }[] {
  return records
    .filter((r) => r.seq >= from && r.seq < to && r.value.kind === 'telemetry')
    .flatMap((r) => (r.value.kind === 'telemetry' ? r.value.message.points.map((p) => ({ device: p.device, metric: p.metric, ts: p.ts, seq: r.seq })) : []));
}
