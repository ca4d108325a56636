import { randomUUID } from 'node:crypto';
import type { Packet } from 'mqtt';
import type { Logger } from 'pino';
import {
  deviceBirthSchema,
  encode,
  eventSchema,
  telemetryBatchSchema,
  type AgentAddress,
  type DeviceBirth,
  type DeviceBirthInput,
  type DeviceEvent,
  type DeviceEventInput,
  type Outbound,
  type TelemetryBatch,
  type TelemetryBatchInput,
} from '@warden/protocols';
import type { DiskQueue } from '../queue/disk-queue.js';
import type { Clock } from './clock.js';
import type { LinkConnection } from './mqtt-link.js';

/** The data messages that go through the queue (agent state and command acks do not). */
export type DataKind = 'deviceBirth' | 'telemetry' | 'event';

type MessageBody<K extends DataKind> = K extends 'deviceBirth'
  ? Omit<DeviceBirthInput, 'v' | 'seq' | 'msgId'>
  : K extends 'telemetry'
    ? Omit<TelemetryBatchInput, 'v' | 'seq' | 'msgId' | 'historical'>
    : Omit<DeviceEventInput, 'v' | 'seq' | 'msgId' | 'historical'>;

/** What one queue record holds. */
export type QueuedMessage =
  | { kind: 'deviceBirth'; queuedAt: number; offline: boolean; message: DeviceBirth }
  | { kind: 'telemetry'; queuedAt: number; offline: boolean; message: TelemetryBatch }
  | { kind: 'event'; queuedAt: number; offline: boolean; message: DeviceEvent };

export interface OutboxOptions {
  address: AgentAddress;
  maxInFlight: number;
  historicalAfterMs: number;
}

export interface OutboxStats {
  inFlight: number;
  delivered: number;
  /** Records the broker refused three times (e.g. not authorised), then set aside so the queue moves on. */
  rejected: number;
  /** Publishes the broker accepted with no subscriber for them (MQTT 5 reason 0x10): kept queued and sent again. */
  noSubscriber: number;
}

/** A publish the broker refused is retried this many times, then dropped. */
const MAX_REJECTIONS = 3;
const RETRY_AFTER_REJECTION_MS = 1000;
/** MQTT 5 PUBACK reason code 0x10, "No matching subscribers" (MQTT 5 §3.4.2.1). */
const NO_MATCHING_SUBSCRIBERS = 0x10;
/** Back-off while the broker has no subscriber (no hub) for the agent's data. */
const NO_SUBSCRIBER_RETRY_FIRST_MS = 250;
const NO_SUBSCRIBER_RETRY_MAX_MS = 10_000;

/**
 * Store-and-forward: every data message gets the next seq and a message id,
 * is validated and written to the durable queue *before* it is published, and
 * leaves the queue only on the broker's PUBACK.
 *
 * At most `maxInFlight` publishes are unacknowledged at once (and no more than
 * the broker's Receive Maximum): enough to keep the link busy, while memory
 * stays bounded however long the backlog on disk is.
 *
 * A telemetry batch or event is sent `historical: true` (stored, but never
 * taken as the live value, PROTOCOL.md §11) when it was queued while the link
 * was down, or queued before the current connection and older than
 * `historicalAfterMs` (the old link had died unnoticed). What is queued during
 * the current connection is live, even if it waits behind a backlog.
 *
 * A PUBACK says the broker took the message, not that a hub will get it: an
 * MQTT 5 broker with no matching subscriber accepts and discards it, answering
 * reason 0x10 (No matching subscribers), which MQTT.js reports as success. That
 * is the case while no hub is subscribed: before the first hub ever connects,
 * after a hub's session expired, and after a Mosquitto 2.0 restart, which does
 * not restore shared subscriptions (`$share/...`) from its persistence until the
 * hubs subscribe again. Such a message stays queued; sending pauses and resumes
 * with back-off, oldest unacknowledged first, until a subscriber takes it.
 */
export class Outbox {
  readonly #queue: DiskQueue<QueuedMessage>;
  readonly #options: OutboxOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  #connection: LinkConnection | undefined;
  readonly #inFlight = new Set<number>();
  readonly #rejections = new Map<number, number>();
  #retryTimer: NodeJS.Timeout | undefined;
  #delivered = 0;
  #rejected = 0;
  #noSubscriber = 0;
  /** Packet ids the current connection's broker answered with 0x10 (see the class comment). */
  readonly #unsubscribedIds = new Set<number>();
  #unwatchPubacks: (() => void) | undefined;
  /** While set, sending is paused until a subscriber may be back. */
  #noSubscriberTimer: NodeJS.Timeout | undefined;
  #noSubscriberDelayMs = 0;
  #pumping = false;
  readonly #idleWaiters = new Set<() => void>();

  constructor(queue: DiskQueue<QueuedMessage>, options: OutboxOptions, clock: Clock, logger: Logger) {
    this.#queue = queue;
    this.#options = options;
    this.#clock = clock;
    this.#log = logger;
  }

  stats(): OutboxStats {
    return { inFlight: this.#inFlight.size, delivered: this.#delivered, rejected: this.#rejected, noSubscriber: this.#noSubscriber };
  }

  /**
   * Validates and queues a data message; returns its seq. Throws (and queues
   * nothing) if the message is invalid: a bad message on our side is a bug,
   * and one in the durable queue would be a poison pill.
   */
  enqueue<K extends DataKind>(kind: K, body: MessageBody<K>): number {
    const queuedAt = this.#clock.now();
    const offline = this.#connection === undefined;
    const entry = this.#queue.append((seq) => {
      const message = { v: 1, seq, msgId: randomUUID(), ...body };
      switch (kind) {
        case 'deviceBirth':
          return { kind, queuedAt, offline, message: deviceBirthSchema.parse(message) };
        case 'telemetry':
          return { kind, queuedAt, offline, message: telemetryBatchSchema.parse(message) };
        default:
          return { kind: 'event', queuedAt, offline, message: eventSchema.parse(message) };
      }
    });
    this.pump();
    return entry.seq;
  }

  /** Starts sending on a fresh connection, oldest unacknowledged message first. */
  attach(connection: LinkConnection): void {
    this.#connection = connection;
    // MQTT.js passes the PUBACK's reason code to no callback when it is 0x10: read it off the packet.
    const onPacket = (packet: Packet): void => {
      if (packet.cmd === 'puback' && packet.reasonCode === NO_MATCHING_SUBSCRIBERS && packet.messageId !== undefined) this.#unsubscribedIds.add(packet.messageId);
    };
    connection.client.on('packetreceive', onPacket);
    this.#unwatchPubacks = () => connection.client.off('packetreceive', onPacket);
    this.#queue.rewind();
    this.pump();
  }

  /** The connection is gone: what was in flight is sent again on the next one. */
  detach(): void {
    this.#connection = undefined;
    this.#inFlight.clear();
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#stopWatchingPubacks();
    clearTimeout(this.#noSubscriberTimer);
    this.#noSubscriberTimer = undefined;
    this.#queue.rewind();
    // Nothing will drain while disconnected: let waiters go now.
    for (const waiter of [...this.#idleWaiters]) waiter();
  }

  /** True when nothing is waiting or in flight. */
  get idle(): boolean {
    return this.#inFlight.size === 0 && this.#queue.stats().pending === 0;
  }

  /** Resolves true when the queue is empty; false after `timeoutMs` or when the connection is lost first. */
  waitUntilIdle(timeoutMs: number): Promise<boolean> {
    if (this.idle) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#idleWaiters.delete(done);
        resolve(this.idle);
      };
      const timer = setTimeout(done, timeoutMs);
      this.#idleWaiters.add(done);
    });
  }

  /** Sends queued messages while the window has room. */
  pump(): void {
    const connection = this.#connection;
    if (!connection || this.#pumping || this.#noSubscriberTimer) return;
    this.#pumping = true;
    try {
      const window = Math.min(this.#options.maxInFlight, connection.receiveMaximum ?? Number.POSITIVE_INFINITY);
      while (this.#inFlight.size < window && this.#connection === connection) {
        const entry = this.#queue.next();
        if (!entry) break;
        let out: Outbound;
        try {
          out = this.#render(entry.value, connection);
        } catch (err) {
          // Valid when queued, invalid now (e.g. a protocol upgrade between runs): skip it rather than wedge the queue.
          this.#log.error({ seq: entry.seq, err: (err as Error).message }, 'outbox: stored message no longer valid; dropped');
          this.#queue.ack(entry.seq);
          this.#rejected += 1;
          continue;
        }
        this.#publish(connection, entry.seq, out);
      }
    } finally {
      this.#pumping = false;
    }
    this.#notifyIfIdle();
  }

  #render(record: QueuedMessage, connection: LinkConnection): Outbound {
    const { address, historicalAfterMs } = this.#options;
    if (record.kind === 'deviceBirth') return encode('deviceBirth', address, record.message);
    const historical =
      record.message.historical ||
      record.offline ||
      (record.queuedAt < connection.connectedAt && this.#clock.now() - record.queuedAt > historicalAfterMs);
    return record.kind === 'telemetry'
      ? encode('telemetry', address, { ...record.message, historical })
      : encode('event', address, { ...record.message, historical });
  }

  #publish(connection: LinkConnection, seq: number, out: Outbound): void {
    this.#inFlight.add(seq);
    connection.client.publish(out.topic, out.payload, out.options, (err, packet) => {
      // Callbacks of a connection we already left behind mean nothing: its in-flight set was rewound.
      if (this.#connection !== connection) return;
      this.#inFlight.delete(seq);
      if (err) {
        // A reason code is the broker refusing this message; anything else is the connection
        // going away, and the close that follows rewinds the queue.
        if (typeof (err as Error & { code?: unknown }).code === 'number') this.#onRejected(seq, err);
        return;
      }
      const messageId = (packet as { messageId?: number } | undefined)?.messageId;
      if (messageId !== undefined && this.#unsubscribedIds.delete(messageId)) {
        this.#onNoSubscriber(seq);
        return;
      }
      if (this.#noSubscriberDelayMs > 0) {
        this.#noSubscriberDelayMs = 0;
        this.#log.info({ seq }, 'outbox: the broker has a subscriber again; delivering the queue');
      }
      this.#rejections.delete(seq);
      this.#queue.ack(seq);
      this.#delivered += 1;
      this.pump();
    });
  }

  /**
   * PUBACK with a failure reason (MQTT 5: not authorised, quota exceeded,
   * payload too large...). Retried after a pause; after MAX_REJECTIONS the
   * message is dropped and counted, so one bad message cannot stop the queue.
   */
  #onRejected(seq: number, err: Error): void {
    const count = (this.#rejections.get(seq) ?? 0) + 1;
    this.#rejections.set(seq, count);
    if (count >= MAX_REJECTIONS) {
      this.#log.error({ seq, err: err.message }, 'outbox: broker refused the message repeatedly; dropped');
      this.#rejections.delete(seq);
      this.#queue.ack(seq);
      this.#rejected += 1;
      this.pump();
      return;
    }
    this.#log.warn({ seq, err: err.message, attempt: count }, 'outbox: broker refused the message; will retry');
    this.#retryTimer ??= setTimeout(() => {
      this.#retryTimer = undefined;
      if (!this.#connection) return;
      // Rewinding resends everything unacknowledged, the refused ones included, in order.
      this.#inFlight.clear();
      this.#queue.rewind();
      this.pump();
    }, RETRY_AFTER_REJECTION_MS);
  }

  /**
   * The broker accepted `seq` but had no subscriber for it (no hub listening): it is not delivered.
   * Sending pauses, then everything unacknowledged goes out again, oldest first, with growing pauses
   * while the broker still has no subscriber.
   */
  #onNoSubscriber(seq: number): void {
    this.#noSubscriber += 1;
    if (this.#noSubscriberTimer) return;
    const first = this.#noSubscriberDelayMs === 0;
    this.#noSubscriberDelayMs = first ? NO_SUBSCRIBER_RETRY_FIRST_MS : Math.min(this.#noSubscriberDelayMs * 2, NO_SUBSCRIBER_RETRY_MAX_MS);
    const log = first ? this.#log.warn.bind(this.#log) : this.#log.debug.bind(this.#log);
    log({ seq, retryInMs: this.#noSubscriberDelayMs }, 'outbox: the broker has no subscriber for our data (no hub listening); keeping it queued');
    this.#noSubscriberTimer = setTimeout(() => {
      this.#noSubscriberTimer = undefined;
      if (!this.#connection) return;
      this.#inFlight.clear();
      this.#queue.rewind();
      this.pump();
    }, this.#noSubscriberDelayMs);
  }

  #stopWatchingPubacks(): void {
    this.#unwatchPubacks?.();
    this.#unwatchPubacks = undefined;
    this.#unsubscribedIds.clear();
  }

  #notifyIfIdle(): void {
    if (this.#idleWaiters.size === 0 || !this.idle) return;
    for (const waiter of [...this.#idleWaiters]) waiter();
  }

  close(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    clearTimeout(this.#noSubscriberTimer);
    this.#noSubscriberTimer = undefined;
    this.#stopWatchingPubacks();
    for (const waiter of [...this.#idleWaiters]) waiter();
  }
}
