import { TOPIC_ROOT } from '@warden/protocols';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Database } from '../db/database.js';
import type { PointValue } from './evaluation.js';

/**
 * One input of a device's alarm rules, as one hub hands it to the hub that evaluates
 * that device. `ts` is the device's time, kept so the stale-decision guard (alarms.process_ts)
 * still orders decisions by when things happened rather than when they arrived.
 */
export type AlarmInput =
  | { kind: 'point'; deviceId: number; metric: string; value: PointValue; ts: number }
  | { kind: 'event'; deviceId: number; event: { kind: string; data?: Record<string, unknown>; ts?: number } }
  | { kind: 'online'; deviceId: number; online: boolean }
  /** The device was (re)born through the forwarding hub: the owner re-reads it (its type or building may have changed). */
  | { kind: 'birth'; deviceId: number };

/** What the ownership needs of the hub's MQTT connection (BrokerLinkPool). */
export interface OwnershipLink {
  subscribe(filters: string[], handler: (topic: string, payload: Buffer) => void | Promise<void>, options?: { shared?: boolean }): Promise<void>;
  publish(topic: string, payload: string, options: { qos: 0 | 1; retain: boolean }): Promise<void>;
}

export interface EvaluationOwnershipOptions {
  /** HUB_ID: this hub's name among its peers (and in its private topic). */
  hubId: string;
  /** MQTT_SHARED_GROUP: hubs of one group split one stream, so they split its evaluation. */
  group: string;
  /** How often this hub beats and reads who else is live. Default 1000. */
  heartbeatMs?: number;
  /** A hub that has not beaten for this long is gone and its devices move. Default 6000. */
  ttlMs?: number;
  /** Forwarded inputs older than this when they arrive (queued while this hub was away) are dropped. Default 60 000. */
  maxInputAgeMs?: number;
}

/**
 * The compact wire form, on `warden/v1/_hubs/{hubId}/alarm-inputs` (QoS 1, not shared):
 * `{ v: 1, from, at, hops, in: [...] }` with each input a tuple
 * `["p", device, metric, value, ts]`, `["e", device, kind, ts|null, data?]`, `["o", device, online]` or `["b", device]`.
 */
const wireInputSchema = z.union([
  z.tuple([z.literal('p'), z.number().int(), z.string(), z.union([z.number(), z.boolean(), z.string()]), z.number()]),
  z.tuple([z.literal('e'), z.number().int(), z.string(), z.number().nullable()]).rest(z.record(z.string(), z.unknown())),
  z.tuple([z.literal('o'), z.number().int(), z.boolean()]),
  z.tuple([z.literal('b'), z.number().int()]),
]);
const wireSchema = z.object({ v: z.literal(1), from: z.string(), at: z.number(), hops: z.number().int().min(0), in: z.array(wireInputSchema) });

function toWire(input: AlarmInput): unknown[] {
  switch (input.kind) {
    case 'point':
      return ['p', input.deviceId, input.metric, input.value, input.ts];
    case 'event':
      return input.event.data === undefined ? ['e', input.deviceId, input.event.kind, input.event.ts ?? null] : ['e', input.deviceId, input.event.kind, input.event.ts ?? null, input.event.data];
    case 'online':
      return ['o', input.deviceId, input.online];
    case 'birth':
      return ['b', input.deviceId];
  }
}

function fromWire(t: z.infer<typeof wireInputSchema>): AlarmInput {
  switch (t[0]) {
    case 'p':
      return { kind: 'point', deviceId: t[1], metric: t[2], value: t[3], ts: t[4] };
    case 'e':
      return { kind: 'event', deviceId: t[1], event: { kind: t[2], ts: t[3] ?? undefined, data: t[4] } };
    case 'o':
      return { kind: 'online', deviceId: t[1], online: t[2] };
    case 'b':
      return { kind: 'birth', deviceId: t[1] };
  }
}

/** The private topic a hub receives its devices' inputs on. */
export const alarmInputTopic = (hubId: string): string => `${TOPIC_ROOT}/_hubs/${hubId}/alarm-inputs`;

/** FNV-1a with a final avalanche: a stable, well spread 32-bit score for rendezvous hashing. */
function score(hubId: string, deviceId: number): number {
  const s = `${hubId}\u0000${deviceId}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Rendezvous (highest random weight) hashing: the owner of a device among the live hubs.
 * When a hub joins or leaves, only the devices it wins or held move; every hub that
 * knows the same live set names the same owner, with no coordination.
 */
export function ownerAmong(hubs: readonly string[], deviceId: number): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const hub of hubs) {
    const s = score(hub, deviceId);
    if (s > bestScore || (s === bestScore && best !== undefined && hub < best)) {
      best = hub;
      bestScore = s;
    }
  }
  return best;
}

export interface OwnershipStats {
  liveHubs: string[];
  forwarded: number;
  received: number;
  rejected: number;
  expired: number;
  publishFailures: number;
}

/**
 * Which hub evaluates which device's alarm rules, when several hubs share an external
 * broker's subscriptions. The broker hands each message to one hub of the group, message
 * by message (MQTT 5 §4.8.2), so no hub sees a device's whole stream; yet held-open doors,
 * counted swipes, delays, rates and staleness need exactly that. Storage still goes
 * through whichever hub received a message; only the inputs some rule needs are
 * forwarded to the device's owner, over the broker, on the owner's private topic.
 *
 * Hubs find each other through `alarm_hubs`: each beats every `heartbeatMs` and reads
 * the group's live members (by the database clock). The owner of a device is the
 * rendezvous hash of its id over those members.
 */
export class EvaluationOwnership {
  private live: string[];
  private readonly owners = new Map<number, string>();
  private timer: NodeJS.Timeout | undefined;
  private beating = false;
  /** One warning per database outage, not one per heartbeat. */
  private beatFailing = false;
  private readonly changeListeners = new Set<(before: readonly string[], after: readonly string[]) => void>();
  private inputHandler: ((inputs: AlarmInput[], hops: number) => void) | undefined;
  private readonly counters = { forwarded: 0, received: 0, rejected: 0, expired: 0, publishFailures: 0 };
  readonly hubId: string;
  readonly heartbeatMs: number;
  private readonly ttlMs: number;
  private readonly maxInputAgeMs: number;

  constructor(
    private readonly db: Database,
    private readonly link: OwnershipLink,
    private readonly logger: Logger,
    private readonly options: EvaluationOwnershipOptions,
  ) {
    this.hubId = options.hubId;
    this.live = [options.hubId];
    this.heartbeatMs = options.heartbeatMs ?? 1_000;
    this.ttlMs = options.ttlMs ?? 6_000;
    this.maxInputAgeMs = options.maxInputAgeMs ?? 60_000;
  }

  async start(): Promise<void> {
    // Rows of hubs long gone are only clutter (liveness never depends on them).
    await this.db.query(`DELETE FROM alarm_hubs WHERE heartbeat_at < now() - interval '1 day'`);
    await this.beat();
    await this.link.subscribe([alarmInputTopic(this.hubId)], (_topic, payload) => this.receive(payload), { shared: false });
    this.timer = setInterval(() => void this.beat(), this.heartbeatMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.changeListeners.clear();
    this.inputHandler = undefined;
    // Leaving at once, rather than after the TTL, lets the others take this hub's devices over now.
    await this.db.query('DELETE FROM alarm_hubs WHERE hub_id = $1', [this.hubId]).catch((err: Error) => this.logger.warn({ err: err.message }, 'could not leave the alarm hub group'));
  }

  /** The live hubs of the group, sorted; this hub is always among them. */
  liveHubs(): readonly string[] {
    return this.live;
  }

  owner(deviceId: number): string {
    let owner = this.owners.get(deviceId);
    if (owner === undefined) {
      owner = ownerAmong(this.live, deviceId)!;
      this.owners.set(deviceId, owner);
    }
    return owner;
  }

  owns(deviceId: number): boolean {
    return this.owner(deviceId) === this.hubId;
  }

  /** Called after the live set changed (owners have moved). */
  onChange(listener: (before: readonly string[], after: readonly string[]) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Where forwarded inputs go (the engine); `hops` is how often they were forwarded already. */
  onInputs(handler: (inputs: AlarmInput[], hops: number) => void): void {
    this.inputHandler = handler;
  }

  /**
   * Hands inputs to their owner, QoS 1: the client keeps them through a reconnect. Not awaited
   * by ingest: the evaluation state was never durable per message either (see AlarmEngine.persist).
   */
  forward(owner: string, inputs: AlarmInput[], hops: number): void {
    if (!inputs.length) return;
    this.counters.forwarded += inputs.length;
    const payload = JSON.stringify({ v: 1, from: this.hubId, at: Date.now(), hops, in: inputs.map(toWire) });
    this.link.publish(alarmInputTopic(owner), payload, { qos: 1, retain: false }).catch((err: Error) => {
      this.counters.publishFailures += 1;
      this.logger.warn({ err: err.message, owner, inputs: inputs.length }, 'could not forward alarm inputs to the hub that evaluates their device');
    });
  }

  stats(): OwnershipStats {
    return { liveHubs: [...this.live], ...this.counters };
  }

  /** Beats, then reads the live members; owners move when they changed. */
  async beat(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      const { rows } = await this.db.query<{ hub_id: string }>(
        `WITH beat AS (
           INSERT INTO alarm_hubs (hub_id, shared_group) VALUES ($1, $2)
           ON CONFLICT (hub_id) DO UPDATE SET heartbeat_at = now(), shared_group = EXCLUDED.shared_group
           RETURNING hub_id)
         SELECT hub_id FROM alarm_hubs WHERE shared_group = $2 AND hub_id <> $1 AND heartbeat_at > now() - make_interval(secs => $3)
         UNION ALL SELECT hub_id FROM beat`,
        [this.hubId, this.options.group, this.ttlMs / 1000],
      );
      if (this.beatFailing) this.logger.info('alarm evaluation: heartbeat restored');
      this.beatFailing = false;
      const next = [...new Set(rows.map((r) => r.hub_id))].sort();
      if (next.join('\u0000') === this.live.join('\u0000')) return;
      const before = this.live;
      this.live = next;
      this.owners.clear();
      this.logger.info({ hubs: next }, 'alarm evaluation: the live hubs changed; devices move to their new owners');
      for (const listener of this.changeListeners) listener(before, next);
    } catch (err) {
      // Keep the last known members: a hub cut off from the database goes on with what it knew.
      if (!this.beatFailing) this.logger.warn({ err: (err as Error).message }, 'alarm evaluation: heartbeat failed; keeping the hubs last known live');
      this.beatFailing = true;
    } finally {
      this.beating = false;
    }
  }

  private receive(payload: Buffer): void {
    let parsed: z.infer<typeof wireSchema>;
    try {
      const result = wireSchema.safeParse(JSON.parse(payload.toString('utf8')));
      if (!result.success) throw new Error(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      parsed = result.data;
    } catch (err) {
      this.counters.rejected += 1;
      this.logger.warn({ err: (err as Error).message }, 'rejected a malformed forwarded alarm input message');
      return;
    }
    // Queued by the broker while this hub was away: too late to be a fair account of now.
    if (Date.now() - parsed.at > this.maxInputAgeMs) {
      this.counters.expired += parsed.in.length;
      return;
    }
    this.counters.received += parsed.in.length;
    this.inputHandler?.(parsed.in.map(fromWire), parsed.hops);
  }
}
