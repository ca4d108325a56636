import type { EventEmitter } from 'node:events';
import mqtt from 'mqtt';
import pino, { type Logger } from 'pino';
import { openDatabase, type Database } from '../db/database.js';
import { migrate } from '../db/migrator.js';

/** Helpers for the broker module's integration tests (real aedes, PGlite, Mosquitto). */

export interface CapturedLogger {
  logger: Logger;
  lines: { level: number; msg: string; [key: string]: unknown }[];
  /** Everything logged, as written: for checking what never appears (a secret). */
  raw: () => string;
}

export function captureLogger(): CapturedLogger {
  const lines: CapturedLogger['lines'] = [];
  const chunks: string[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(line: string) {
        chunks.push(line);
        lines.push(JSON.parse(line) as CapturedLogger['lines'][number]);
      },
    },
  );
  return { logger, lines, raw: () => chunks.join('') };
}

/** A migrated in-memory PGlite with one site and one building. */
export async function openTestDatabase(logger: Logger, site = 'site-a', building = 'bldg-a'): Promise<Database> {
  const db = await openDatabase({ dataDir: 'memory://', poolSize: 1, logger });
  await migrate(db, logger);
  await db.query('INSERT INTO sites (id, name) VALUES ($1, $2)', [site, 'Test estate']);
  await db.query('INSERT INTO buildings (id, site_id, name) VALUES ($1, $2, $3)', [building, site, 'Tower A']);
  return db;
}

/** MQTT.js clients are typed event emitters, not assignable to EventEmitter though they are one. */
type Emitter = EventEmitter | mqtt.MqttClient;

/** Resolves with the event's arguments when it fires (and the predicate holds); rejects after the bound. */
export function nextEvent<A extends unknown[]>(
  source: Emitter,
  event: string,
  what: string,
  timeoutMs = 5_000,
  predicate: (...args: A) => boolean = () => true,
): Promise<A> {
  const emitter = source as EventEmitter;
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      if (!predicate(...(args as A))) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args as A);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    emitter.on(event, listener);
  });
}

/** Resolves when check() holds, re-checking whenever the emitter emits the event; rejects after the bound. */
export async function until(emitter: Emitter, event: string, check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  if (check()) return;
  await nextEvent(emitter, event, what, timeoutMs, () => check());
}

export interface Received {
  topic: string;
  payload: string;
}

/** An MQTT client that records every message it receives. */
export interface RecordingClient {
  client: mqtt.MqttClient;
  received: Received[];
  /** Waits until a message on this topic with this payload has arrived. */
  waitFor(topic: string, payload: string, timeoutMs?: number): Promise<void>;
}

export function recording(client: mqtt.MqttClient): RecordingClient {
  const received: Received[] = [];
  client.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
  return {
    client,
    received,
    waitFor: (topic, payload, timeoutMs = 5_000) =>
      until(client, 'message', () => received.some((m) => m.topic === topic && m.payload === payload), `message ${payload} on ${topic}`, timeoutMs),
  };
}

/** The SUBACK return codes, one per filter: the granted QoS, or 0x80 for a refusal. */
export function subscribeCodes(client: mqtt.MqttClient, filters: string[], qos: 0 | 1 = 1): Promise<number[]> {
  return new Promise((resolve, reject) => {
    client.subscribe(filters, { qos }, (err, _granted, suback) => {
      const codes = (suback?.granted ?? (err as { packet?: { granted?: unknown[] } } | null)?.packet?.granted) as number[] | undefined;
      if (codes) resolve(codes);
      else reject(err ?? new Error('no SUBACK'));
    });
  });
}

/** Connects with MQTT 3.1.1 (all aedes 1.2 speaks), no automatic reconnects. */
export function connectClient(url: string, options: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ...options });
}

/** Connects and expects a CONNACK refusal; resolves with the refusal error. */
export async function refusedConnect(url: string, options: mqtt.IClientOptions = {}): Promise<Error & { code?: number }> {
  try {
    const client = await connectClient(url, options);
    await client.endAsync(true);
  } catch (err) {
    return err as Error & { code?: number };
  }
  throw new Error('the broker accepted a connection it should have refused');
}
