import type { z } from 'zod';
import { commandWithParamsSchema, schemas, type MessageInputOf, type MessageOf } from './messages.js';
import { fastTelemetryBatch } from './telemetry-fast-path.js';
import { parseTopic, topics, type AgentAddress, type ParsedTopic, type TopicKind } from './topics.js';

/** A decoded inbound message, discriminated by its topic kind. */
export type Inbound = {
  [K in TopicKind]: { kind: K; topic: ParsedTopic & { kind: K }; message: MessageOf<K> };
}[TopicKind];

export type DecodeResult =
  | ({ ok: true } & Inbound)
  | { ok: false; topic: string; kind?: TopicKind; reason: string };

/**
 * Payload size limit. A batch of typical points (~100 bytes each) is well under it,
 * but long ids or string values can pass it before MAX_POINTS_PER_BATCH: a sender
 * splits a batch at whichever limit it reaches first.
 */
export const MAX_PAYLOAD_BYTES = 2 * 1024 * 1024;

/**
 * The schemas the wire is checked against: `schemas`, with commands also checked
 * per name (params, device). `schemas` itself stays plain zod objects for reuse.
 */
const wireSchemas = { ...schemas, command: commandWithParamsSchema } as const;

// JSON on the wire is UTF-8 (RFC 8259 §8.1): reject broken bytes instead of decoding them to U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Renders zod issues as one line naming each offending field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ')
    .concat(error.issues.length > 5 ? `; and ${error.issues.length - 5} more` : '');
}

/** Validates an inbound MQTT message against the schema its topic names. Never throws. */
export function decode(topic: string, payload: Uint8Array | string): DecodeResult {
  const parsed = parseTopic(topic);
  if (!parsed) return { ok: false, topic, reason: 'topic is not in the warden/v1/{site}/{agent}/... namespace' };
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_PAYLOAD_BYTES) return { ok: false, topic, kind: parsed.kind, reason: `payload of ${size} bytes exceeds ${MAX_PAYLOAD_BYTES}` };
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : utf8.decode(payload);
  } catch {
    return { ok: false, topic, kind: parsed.kind, reason: 'payload is not valid UTF-8' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, topic, kind: parsed.kind, reason: `payload is not JSON: ${(err as Error).message}` };
  }
  if (parsed.kind === 'telemetry') {
    const batch = fastTelemetryBatch(json);
    if (batch) return { ok: true, kind: 'telemetry', topic: parsed as ParsedTopic & { kind: 'telemetry' }, message: batch };
  }
  const result = wireSchemas[parsed.kind].safeParse(json);
  if (!result.success) return { ok: false, topic, kind: parsed.kind, reason: describeIssues(result.error) };
  if (parsed.kind === 'deviceBirth' && (result.data as MessageOf<'deviceBirth'>).device.id !== parsed.device) {
    return { ok: false, topic, kind: parsed.kind, reason: 'device.id does not match the device in the topic' };
  }
  return { ok: true, kind: parsed.kind, topic: parsed, message: result.data } as DecodeResult;
}

/** MQTT options per kind: everything QoS 1; only agent state is retained (birth/death, like Sparkplug). */
export function publishOptions(kind: TopicKind): { qos: 1; retain: boolean } {
  return { qos: 1, retain: kind === 'state' };
}

export interface Outbound {
  topic: string;
  payload: string;
  options: { qos: 1; retain: boolean };
}

/**
 * Validates and serialises an outbound message. Throws on an invalid message:
 * on our own side a bad message is a bug, not input to tolerate.
 */
export function encode<K extends Exclude<TopicKind, 'deviceBirth'>>(kind: K, address: AgentAddress, message: MessageInputOf<K>): Outbound;
export function encode(kind: 'deviceBirth', address: AgentAddress, message: MessageInputOf<'deviceBirth'>): Outbound;
export function encode(kind: TopicKind, address: AgentAddress, message: unknown): Outbound {
  const data = wireSchemas[kind].parse(message);
  const topic =
    kind === 'deviceBirth'
      ? topics.deviceBirth(address, (data as MessageOf<'deviceBirth'>).device.id)
      : topics[kind](address);
  const payload = JSON.stringify(data);
  // The receiver would dead-letter it: fail here, where the batch can still be split.
  const size = Buffer.byteLength(payload);
  if (size > MAX_PAYLOAD_BYTES) throw new RangeError(`${kind} payload of ${size} bytes exceeds MAX_PAYLOAD_BYTES (${MAX_PAYLOAD_BYTES})`);
  return { topic, payload, options: publishOptions(kind) };
}
