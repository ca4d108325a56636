import { randomUUID } from 'node:crypto';
import { decode, encode, TOPIC_ROOT, type CommandAck, type DeviceBirth, type DeviceEvent, type ParsedTopic, type TelemetryBatch } from '@warden/protocols';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import type { DeviceRegistry, SeriesRef } from '../devices/index.js';
import type { AgentRow } from '../devices/devices.repository.js';
import { saveAgentSeq } from '../devices/devices.repository.js';
import type { EventBus } from '../events/event-bus.js';
import { TelemetryWriter, type PersistedHook } from './telemetry-writer.js';
import { insertDeadLetter, insertEvent } from './telemetry.repository.js';

/** What ingest needs of the hub's MQTT connection (see broker/BrokerLink). */
export interface MessageLink {
  subscribe(filters: string[], handler: (topic: string, payload: Buffer) => void | Promise<void>, options?: { shared?: boolean }): Promise<void>;
  publish(topic: string, payload: string, options: { qos: 0 | 1; retain: boolean }): Promise<void>;
}

export interface IngestStats {
  received: number;
  rejected: number;
  rejectedByKind: Record<string, number>;
  pointsStored: number;
  pointsDuplicate: number;
  pointsPending: number;
  events: number;
  sequenceGaps: number;
  /** Seqs skipped over and not yet arrived (within their grace period). */
  seqsAwaited: number;
  writeFailures: number;
}

/** Dead-letter payloads are kept for diagnosis, truncated. */
const DEAD_LETTER_PAYLOAD_MAX = 4_096;
const REBIRTH_MIN_INTERVAL_MS = 30_000;
/** How long a skipped seq may take to arrive (it may be waiting for room in the writer) before it counts as lost. */
const SEQ_GAP_GRACE_MS = 5_000;
/** A jump over more seqs than this is a gap at once (no point waiting for thousands). */
const MAX_AWAITED_SEQS = 1_000;

/**
 * Validates every inbound message against its schema, de-duplicates, and writes:
 * telemetry through the group-commit writer, births to the registry, events and
 * acknowledgements to their tables. Nothing invalid crashes it: each rejection is
 * counted, logged with its reason and kept in dead_letters.
 */
export class IngestService {
  private readonly writer: TelemetryWriter;
  private readonly lastSeq = new Map<string, number>();
  /** Per agent: seqs skipped over, with when they count as lost. */
  private readonly awaitedSeqs = new Map<string, Map<number, number>>();
  private readonly knownAgents = new Map<string, AgentRow>();
  private readonly dirtySeq = new Set<string>();
  private readonly lastRebirth = new Map<string, number>();
  /**
   * Births being applied, per agent. The embedded broker hands over the packets of
   * one socket read together, so an agent's data may be handled while the birth
   * just before it is still being written: data waits for it, keeping the order
   * the agent sent them in.
   */
  private readonly births = new Map<string, Promise<unknown>>();
  private readonly ackListeners = new Set<(ack: CommandAck, agentId: string) => void>();
  private seqTimer: NodeJS.Timeout | undefined;
  private rejectLog = { windowStart: 0, logged: 0, suppressed: 0 };
  private counters = { received: 0, rejected: 0, events: 0, sequenceGaps: 0 };
  private rejectedByKind: Record<string, number> = {};

  constructor(
    private readonly db: Database,
    private readonly link: MessageLink,
    private readonly registry: DeviceRegistry,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly options: { detectSequenceGaps: boolean; onPersisted?: PersistedHook },
  ) {
    this.writer = new TelemetryWriter(db, logger, options.onPersisted);
  }

  async start(): Promise<void> {
    const { rows } = await this.db.query<{ id: string; last_seq: number | null }>('SELECT id, last_seq FROM agents WHERE last_seq IS NOT NULL');
    for (const r of rows) this.lastSeq.set(r.id, r.last_seq!);
    const handler = (topic: string, payload: Buffer) => this.handle(topic, payload);
    // High-volume data is split among hubs; state and acknowledgements are small and every hub wants them.
    // Both routes are registered before either SUBACK is awaited: the link may already be delivering what a
    // resumed session queued while the hub was away, and it drops what matches no route once it has one.
    await Promise.all([
      this.link.subscribe([`${TOPIC_ROOT}/+/+/telemetry`, `${TOPIC_ROOT}/+/+/event`, `${TOPIC_ROOT}/+/+/device/+/birth`], handler, { shared: true }),
      this.link.subscribe([`${TOPIC_ROOT}/+/+/state`, `${TOPIC_ROOT}/+/+/cmd/ack`], handler, { shared: false }),
    ]);
    this.seqTimer = setInterval(() => {
      this.checkAwaitedSeqs();
      void this.persistSeq();
    }, 1_000);
    this.seqTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.seqTimer);
    await this.writer.stop();
    await this.persistSeq();
  }

  stats(): IngestStats {
    return {
      ...this.counters,
      rejectedByKind: { ...this.rejectedByKind },
      pointsStored: this.writer.stored,
      pointsDuplicate: this.writer.duplicates,
      pointsPending: this.writer.pending,
      writeFailures: this.writer.failures,
      seqsAwaited: [...this.awaitedSeqs.values()].reduce((n, m) => n + m.size, 0),
    };
  }

  /** Waits until every accepted point is in the database (tests, shutdown). */
  drain(): Promise<void> {
    return this.writer.drain();
  }

  onCommandAck(listener: (ack: CommandAck, agentId: string) => void): () => void {
    this.ackListeners.add(listener);
    return () => this.ackListeners.delete(listener);
  }

  /** Handles one MQTT message; resolves when it is durable (then it may be acknowledged). */
  async handle(topic: string, payload: Buffer): Promise<void> {
    this.counters.received += 1;
    if (!topic.endsWith('/telemetry')) return this.handleDecoded(topic, payload);
    // Backpressure before parsing: a waiting message costs its raw bytes, not its parsed points
    // (a point takes about 80 bytes of JSON).
    const release = await this.writer.room(Math.ceil(payload.length / 80));
    try {
      await this.handleDecoded(topic, payload, release);
    } finally {
      release();
    }
  }

  private async handleDecoded(topic: string, payload: Buffer, release?: () => void): Promise<void> {
    const result = decode(topic, payload);
    if (!result.ok) return this.reject(topic, result.kind, undefined, result.reason, payload);
    if (result.kind === 'deviceBirth') return this.ingestBirth(result.topic, topic, result.message, payload);
    // Synchronously here, before any await: only births queued ahead of this message are waited for.
    const birthsAhead = this.births.get(result.topic.agent);
    if (birthsAhead) await birthsAhead;
    const agent = await this.provisionedAgent(result.topic, topic, payload);
    if (!agent) return;
    switch (result.kind) {
      case 'state':
        if (result.message.state === 'online' && result.message.nextSeq !== undefined) this.resetSeq(agent.id, result.message.nextSeq);
        return this.registry.setAgentState(agent.id, result.message.state === 'online', result.message.session, result.message.agentVersion, result.message.ts);
      case 'telemetry':
        this.checkSeq(agent, result.message.seq);
        return this.ingestTelemetry(agent, result.message, release);
      case 'event':
        this.checkSeq(agent, result.message.seq);
        return this.ingestEvent(agent, result.message);
      case 'commandAck':
        for (const l of this.ackListeners) l(result.message, agent.id);
        return;
      case 'command':
        // Commands flow hub → agent; the hub does not subscribe to them.
        return;
    }
  }

  /** The agent the topic names, if provisioned for that site; otherwise the message is dead-lettered. */
  private async provisionedAgent(address: ParsedTopic, topic: string, payload: Buffer): Promise<AgentRow | undefined> {
    const agent = await this.registry.agent(address.agent);
    if (agent && agent.site_id === address.site) return agent;
    const reason = agent ? `agent ${agent.id} belongs to site ${agent.site_id}` : 'unknown agent: provision it first';
    await this.reject(topic, address.kind, address.agent, reason, payload);
    return undefined;
  }

  private ingestBirth(address: ParsedTopic, topic: string, birth: DeviceBirth, payload: Buffer): Promise<void> {
    const agentId = address.agent;
    const previous = this.births.get(agentId) ?? Promise.resolve();
    const applied = previous.then(async () => {
      const agent = await this.provisionedAgent(address, topic, payload);
      if (!agent) return;
      this.checkSeq(agent, birth.seq);
      await this.registry.applyBirth(agent, birth);
    });
    const settled = applied.catch(() => {});
    this.births.set(agentId, settled);
    void settled.then(() => {
      if (this.births.get(agentId) === settled) this.births.delete(agentId);
    });
    return applied;
  }

  private async ingestTelemetry(agent: AgentRow, batch: TelemetryBatch, release?: () => void): Promise<void> {
    const n = batch.points.length;
    const refs: SeriesRef[] = new Array(n);
    const live = !batch.historical;
    for (let i = 0; i < n; i++) {
      const p = batch.points[i];
      const ref = this.registry.lookup(agent.id, p.device, p.metric) ?? (await this.registry.resolve(agent, p));
      refs[i] = ref;
      this.registry.noteSeen(ref.deviceId, p.ts);
    }
    // The writer copies the points into its columns: from here the decoded message is garbage.
    const written = this.writer.write(batch.points, refs, live);
    release?.(); // the points are counted as pending now
    // Alarm rules see live points as they are ingested, not after their batch is written: under
    // load a COPY batch takes hundreds of ms. The message is still acknowledged only once stored,
    // so a crash before that redelivers it and the rules see it again (raising twice is a no-op).
    if (live) this.bus.emit('telemetry.points', { agentId: agent.id, points: batch.points, series: refs });
    // Returned, not awaited: a suspended frame would keep the message's points alive until then.
    return written;
  }

  private async ingestEvent(agent: AgentRow, event: DeviceEvent): Promise<void> {
    const deviceId = await this.registry.deviceId(agent, event.device);
    const id = await insertEvent(this.db, { agentId: agent.id, msgId: event.msgId, deviceId, kind: event.kind, ts: event.ts, historical: event.historical, data: event.data });
    if (id === undefined) return; // a redelivery
    this.counters.events += 1;
    this.registry.noteSeen(deviceId, event.ts);
    this.bus.emit('device.event', { agentId: agent.id, deviceId, event });
  }

  /** A new agent session says which seq comes next; a jump past what we saw means the agent dropped messages. */
  private resetSeq(agentId: string, nextSeq: number): void {
    const last = this.lastSeq.get(agentId);
    if (last !== undefined && nextSeq > last + 1) {
      this.counters.sequenceGaps += 1;
      this.logger.warn({ agent: agentId, lastSeen: last, nextSeq, lost: nextSeq - last - 1 }, 'agent reports messages it could not deliver (queue overflow)');
    }
    this.lastSeq.set(agentId, nextSeq - 1);
    this.dirtySeq.add(agentId);
  }

  /**
   * Notes a message's seq. Messages of one agent can overtake each other inside the hub
   * (telemetry waits for room in the writer, events do not), so a seq beyond the next one
   * is only a gap if the skipped ones have not arrived within SEQ_GAP_GRACE_MS.
   */
  private checkSeq(agent: AgentRow, seq: number): void {
    this.knownAgents.set(agent.id, agent);
    const last = this.lastSeq.get(agent.id);
    if (last === undefined || seq > last) {
      if (this.options.detectSequenceGaps && last !== undefined && seq > last + 1) {
        const missing = seq - last - 1;
        if (missing > MAX_AWAITED_SEQS) this.sequenceGap(agent, last + 1, seq);
        else {
          let awaited = this.awaitedSeqs.get(agent.id);
          if (!awaited) this.awaitedSeqs.set(agent.id, (awaited = new Map()));
          const deadline = Date.now() + SEQ_GAP_GRACE_MS;
          for (let s = last + 1; s < seq; s++) awaited.set(s, deadline);
        }
      }
      this.lastSeq.set(agent.id, seq);
      this.dirtySeq.add(agent.id);
    } else {
      const awaited = this.awaitedSeqs.get(agent.id);
      if (awaited?.delete(seq) && !awaited.size) this.awaitedSeqs.delete(agent.id);
    }
  }

  /** Seqs still missing after the grace period are a real gap: the agent is asked to rebirth. */
  private checkAwaitedSeqs(): void {
    const now = Date.now();
    for (const [agentId, awaited] of this.awaitedSeqs) {
      const overdue = [...awaited].filter(([, deadline]) => deadline <= now).map(([s]) => s);
      if (!overdue.length) continue;
      for (const s of overdue) awaited.delete(s);
      if (!awaited.size) this.awaitedSeqs.delete(agentId);
      const agent = this.knownAgents.get(agentId);
      if (agent) this.sequenceGap(agent, Math.min(...overdue), Math.max(...overdue) + 1);
    }
  }

  private sequenceGap(agent: AgentRow, expected: number, got: number): void {
    this.counters.sequenceGaps += 1;
    this.logger.warn({ agent: agent.id, expected, got }, 'sequence gap: asking the agent to rebirth');
    void this.requestRebirth(agent);
  }

  private async requestRebirth(agent: AgentRow): Promise<void> {
    const now = Date.now();
    if (now - (this.lastRebirth.get(agent.id) ?? 0) < REBIRTH_MIN_INTERVAL_MS) return;
    this.lastRebirth.set(agent.id, now);
    const out = encode('command', { site: agent.site_id, agent: agent.id }, { v: 1, id: randomUUID(), ts: now, name: 'rebirth', issuedBy: 'system', expiresAt: now + 60_000 });
    await this.link.publish(out.topic, out.payload, out.options).catch((err: Error) => this.logger.warn({ err: err.message }, 'could not send rebirth'));
  }

  private async persistSeq(): Promise<void> {
    if (!this.dirtySeq.size) return;
    const seqs = [...this.dirtySeq].map((agentId) => ({ agentId, seq: this.lastSeq.get(agentId)! }));
    this.dirtySeq.clear();
    await saveAgentSeq(this.db, seqs).catch((err: Error) => this.logger.warn({ err: err.message }, 'could not save agent sequence numbers'));
  }

  private async reject(topic: string, kind: string | undefined, agentId: string | undefined, reason: string, payload: Buffer): Promise<void> {
    this.counters.rejected += 1;
    const k = kind ?? 'unknown';
    this.rejectedByKind[k] = (this.rejectedByKind[k] ?? 0) + 1;
    this.bus.emit('ingest.rejected', { topic, reason });
    const now = Date.now();
    if (now - this.rejectLog.windowStart > 10_000) {
      if (this.rejectLog.suppressed) this.logger.warn({ suppressed: this.rejectLog.suppressed }, 'more invalid messages were rejected (not logged one by one)');
      this.rejectLog = { windowStart: now, logged: 0, suppressed: 0 };
    }
    if (this.rejectLog.logged < 20) {
      this.rejectLog.logged += 1;
      this.logger.warn({ topic, kind: k, reason }, 'rejected an invalid message');
    } else {
      this.rejectLog.suppressed += 1;
    }
    // PostgreSQL text cannot hold NUL bytes.
    const text = payload.toString('utf8', 0, Math.min(payload.length, DEAD_LETTER_PAYLOAD_MAX)).replaceAll('\u0000', '\uFFFD');
    await insertDeadLetter(this.db, { topic, kind, agentId, reason, payload: text }).catch((err: Error) =>
      this.logger.error({ err: err.message }, 'could not store a dead letter'),
    );
  }
}

