import { crc32 } from 'node:zlib';

/**
 * On-disk framing of one queue record:
 *
 * | offset | size | field                                        |
 * |--------|------|----------------------------------------------|
 * | 0      | 4    | magic "WQR1"                                 |
 * | 4      | 4    | payload length n (uint32 BE)                 |
 * | 8      | 8    | seq (uint64 BE)                              |
 * | 16     | 4    | CRC-32 of bytes 4..16 and the payload        |
 * | 20     | n    | payload (UTF-8 JSON)                         |
 *
 * Length + checksum detect a torn write (power cut mid-append); the magic
 * lets a reader find the next good record after a damaged one.
 */
export const RECORD_MAGIC = 0x57515231; // "WQR1"
export const HEADER_BYTES = 20;
/** Sanity bound on one payload: anything longer is damage, not data. */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

export function encodeRecord(seq: number, payload: Buffer): Buffer {
  const record = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  record.writeUInt32BE(RECORD_MAGIC, 0);
  record.writeUInt32BE(payload.length, 4);
  record.writeBigUInt64BE(BigInt(seq), 8);
  payload.copy(record, HEADER_BYTES);
  record.writeUInt32BE(checksum(record.subarray(4, 16), payload), 16);
  return record;
}

export function checksum(headerFields: Uint8Array, payload: Uint8Array): number {
  return crc32(payload, crc32(headerFields));
}

export interface RecordHeader {
  length: number;
  seq: number;
  crc: number;
}

/** Parses a header; undefined when the bytes cannot be one (wrong magic, absurd length). */
export function parseHeader(header: Buffer): RecordHeader | undefined {
  if (header.length < HEADER_BYTES || header.readUInt32BE(0) !== RECORD_MAGIC) return undefined;
  const length = header.readUInt32BE(4);
  if (length > MAX_PAYLOAD_BYTES) return undefined;
  const seq = header.readBigUInt64BE(8);
  if (seq > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return { length, seq: Number(seq), crc: header.readUInt32BE(16) };
}
