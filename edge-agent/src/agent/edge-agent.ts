import { pino, type Logger } from 'pino';
import { MAX_PAYLOAD_BYTES, commandAckSchema, decode, encode, topics, type AgentAddress, type CommandAck, type EventKind, type Outbound, type Point } from '@warden/protocols';
import { createAdapter as defaultCreateAdapter } from '../adapters/adapter-registry.js';
import { DeviceUnavailableError, type AdapterContext, type AdapterFactory, type DeviceAdapter, type DeviceDescription, type Reading } from '../adapters/device-adapter.js';
import { readIntervalMs, type AgentConfig, type DeviceConfig } from '../config/agent-config.schema.js';
import type { MetricValue } from '../devices/device-definition.js';
import { DiskQueue, type QueueStats } from '../queue/disk-queue.js';
import { systemClock, type Clock } from './clock.js';
import { runCommand, type AckBody } from './command-handler.js';
import { MqttLink, type LinkConnection } from './mqtt-link.js';
import { Outbox, type OutboxStats, type QueuedMessage } from './outbox.js';
import { TelemetryBatcher } from './telemetry-batcher.js';

export const AGENT_VERSION = '0.1.0';

export interface EdgeAgentDeps {
  logger?: Logger;
  clock?: Clock;
  /** Builds a device's adapter; default: by `adapter.kind` (see adapters/adapter-registry.ts). */
  createAdapter?: AdapterFactory;
}

export interface AgentStatus {
  running: boolean;
  connected: boolean;
  session?: string;
  protocolVersion?: 4 | 5;
  connects: number;
  queue: QueueStats;
  outbox: OutboxStats;
  pointsCollected: number;
  eventsQueued: number;
  commands: { received: number; invalid: number };
  /** Devices that did not answer their last read. */
  unavailableDevices: string[];
}

interface DeviceRuntime {
  config: DeviceConfig;
  adapter: DeviceAdapter;
  description: DeviceDescription;
  metricTypes: Map<string, string>;
  last: Map<string, MetricValue>;
  timer?: NodeJS.Timeout;
  reading?: Promise<void>;
  available: boolean;
  unknownMetricsLogged: Set<string>;
}

/** Room left in a telemetry payload for everything but the points (v, msgId, seq, ts, historical). */
const BATCH_ENVELOPE_BYTES = 1024;
/** How long an adapter may take to execute a command before the ack says error. */
const COMMAND_TIMEOUT_MS = 10_000;
/** A redelivered command is acknowledged again, not executed twice, for this long at least. */
const REMEMBER_COMMANDS_MS = 10 * 60_000;
/** Bound on remembered commands, whatever the rate. */
const MAX_REMEMBERED_COMMANDS = 10_000;

/**
 * The edge agent of one building: polls its devices through their adapters,
 * batches readings into telemetry, derives events, and forwards everything
 * through a durable queue to the MQTT broker; executes commands from the hub.
 *
 * On every connection: the retained agent state `online` (with the session
 * id its Last Will also carries, and `nextSeq` = the first seq it will send
 * now), then device births when the hub may not have the current ones, behind
 * any backlog in seq order, then live data.
 */
export class EdgeAgent {
  readonly config: AgentConfig;
  readonly address: AgentAddress;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #createAdapter: AdapterFactory;
  #queue: DiskQueue<QueuedMessage> | undefined;
  #outbox: Outbox | undefined;
  #link: MqttLink | undefined;
  #batcher: TelemetryBatcher | undefined;
  #devices = new Map<string, DeviceRuntime>();
  #state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' = 'idle';
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  /** Seq of the last device birth queued; births are re-queued on connect once it has been delivered. */
  #lastBirthSeq = -1;
  #pointsCollected = 0;
  #eventsQueued = 0;
  #commandsReceived = 0;
  #commandsInvalid = 0;
  readonly #answered = new Map<string, { ack: AckBody; keepUntil: number }>();
  readonly #executing = new Set<string>();
  /** What adapters pushed while the others were still starting: it must follow the births (PROTOCOL.md §7). */
  #beforeBirths: (() => void)[] | undefined = [];

  constructor(config: AgentConfig, deps: EdgeAgentDeps = {}) {
    this.config = config;
    this.address = { site: config.site, agent: config.agent };
    this.#clock = deps.clock ?? systemClock;
    const logger = deps.logger ?? pino({ name: 'edge-agent', level: process.env.LOG_LEVEL ?? 'info' });
    // Name the agent in every line, unless the caller's logger already does.
    const bound = logger.bindings();
    this.#log = logger.child({ ...('site' in bound ? {} : { site: config.site }), ...('agent' in bound ? {} : { agent: config.agent }) });
    this.#createAdapter = deps.createAdapter ?? defaultCreateAdapter;
  }

  /**
   * Opens the queue, starts the devices and begins connecting. Resolves once
   * collecting; the broker need not be reachable (data waits in the queue).
   */
  start(): Promise<void> {
    if (this.#state !== 'idle') return Promise.reject(new Error(`agent ${this.config.agent} was already started`));
    this.#state = 'starting';
    this.#starting = this.#start().catch(async (err: unknown) => {
      // Leave nothing open behind a failed start (a bad simulation, an unwritable queue folder).
      this.#state = 'stopping';
      for (const runtime of this.#devices.values()) clearTimeout(runtime.timer);
      // Adapters that did start (a camera's event subscription) must not outlive the failed agent.
      await Promise.allSettled([...this.#devices.values()].map((r) => r.adapter.stop?.()));
      await this.#queue?.close().catch(() => undefined);
      this.#state = 'stopped';
      throw err;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    const { config } = this;
    this.#queue = await DiskQueue.open<QueuedMessage>({
      dir: config.queue.dir,
      maxBytes: config.queue.maxBytes,
      segmentBytes: config.queue.segmentBytes,
      fsyncIntervalMs: config.queue.fsyncIntervalMs,
      logger: this.#log.child({ component: 'queue' }),
    });
    this.#outbox = new Outbox(
      this.#queue,
      { address: this.address, maxInFlight: config.queue.maxInFlight, historicalAfterMs: config.queue.historicalAfterMs },
      this.#clock,
      this.#log.child({ component: 'outbox' }),
    );
    this.#batcher = new TelemetryBatcher(config.batching, (points) => this.#queueTelemetry(points));

    const startedAt = this.#clock.now();
    const shared = new Map<string, unknown>();
    const context: AdapterContext = {
      logger: this.#log,
      agentLogger: this.#log,
      clock: this.#clock,
      devices: config.devices,
      startedAt,
      shared: <T>(key: string, create: () => T): T => {
        if (!shared.has(key)) shared.set(key, create());
        return shared.get(key) as T;
      },
    };
    for (const device of config.devices) {
      const adapter = this.#createAdapter(device, { ...context, logger: this.#log.child({ device: device.id }) });
      const description = adapter.describe();
      this.#devices.set(device.id, {
        config: device,
        adapter,
        description,
        metricTypes: new Map(description.metrics.map((m) => [m.name, m.type])),
        last: new Map(),
        available: true,
        unknownMetricsLogged: new Set(),
      });
    }
    // Side by side: a camera that takes seconds to answer must not hold up the others.
    await Promise.all(
      [...this.#devices.values()].map(async (runtime) => {
        await runtime.adapter.start?.({
          readings: (readings) => this.#whenBorn(() => this.#accept(runtime, readings, this.#clock.now())),
          event: (event) => this.#whenBorn(() => this.#queueEvent(runtime, event.kind, event.ts ?? this.#clock.now(), event.data)),
          redescribe: () => this.#whenBorn(() => this.#redescribe(runtime)),
        });
        // What a device says of itself (a camera's nameplate) is known once it has started.
        runtime.description = runtime.adapter.describe();
      }),
    );

    // A new process may run new definitions: announce every device before its first reading.
    this.#queueBirths();
    const early = this.#beforeBirths ?? [];
    this.#beforeBirths = undefined;
    for (const push of early) push();
    for (const runtime of this.#devices.values()) this.#schedulePoll(runtime, 0);

    this.#link = new MqttLink(
      {
        // The hub's broker knows an agent by its id: username and client id (PROTOCOL.md §3).
        mqtt: { ...config.mqtt, username: config.mqtt.username ?? (config.mqtt.password !== undefined ? config.agent : undefined) },
        clientId: config.mqtt.clientId ?? config.agent,
        subscriptions: [topics.command(this.address)],
        will: (session, now) => encode('state', this.address, { v: 1, state: 'offline', ts: now, session, building: config.building }),
        now: () => this.#clock.now(),
        logger: this.#log.child({ component: 'mqtt' }),
      },
      {
        onConnect: (connection) => this.#onConnect(connection),
        onDisconnect: () => this.#outbox?.detach(),
        onMessage: (connection, topic, payload) => void this.#onMessage(connection, topic, payload),
      },
    );
    this.#link.start();
    this.#state = 'running';
    this.#log.info({ devices: this.#devices.size, queue: this.#queue.stats() }, 'agent started');
  }

  /**
   * Graceful stop: stops polling, flushes the open batch into the queue, waits
   * (up to `stopFlushMs`) for the queue to drain if connected, publishes the
   * offline state, disconnects and closes the queue. Every timer, socket and
   * file is released when it resolves. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#state === 'idle') {
      this.#state = 'stopped';
      return;
    }
    // A stop during start waits for the start to finish (or fail) first.
    await this.#starting?.catch(() => undefined);
    if (this.#state === 'stopped') return;
    this.#state = 'stopping';
    for (const runtime of this.#devices.values()) clearTimeout(runtime.timer);
    await Promise.all([...this.#devices.values()].map((r) => r.reading));
    for (const runtime of this.#devices.values()) {
      await Promise.resolve(runtime.adapter.stop?.()).catch((err: Error) => this.#log.warn({ device: runtime.config.id, err: err.message }, 'adapter stop failed'));
    }
    this.#batcher?.close();
    if (this.#link?.connection && this.#outbox) {
      const drained = await this.#outbox.waitUntilIdle(this.config.stopFlushMs);
      if (!drained) this.#log.warn({ pending: this.#queue?.stats().pending }, 'stopping with undelivered messages; they stay queued for the next start');
    }
    await this.#link?.stop(async (connection) => {
      const offline = encode('state', this.address, { v: 1, state: 'offline', ts: this.#clock.now(), session: connection.session, building: this.config.building });
      await connection.client.publishAsync(offline.topic, offline.payload, offline.options);
    });
    this.#outbox?.close();
    await this.#queue?.close();
    this.#state = 'stopped';
    this.#log.info('agent stopped');
  }

  status(): AgentStatus {
    const connection = this.#link?.connection;
    return {
      running: this.#state === 'running',
      connected: connection !== undefined,
      session: connection?.session,
      protocolVersion: connection?.protocolVersion,
      connects: this.#link?.connects ?? 0,
      queue: this.#queue?.stats() ?? { nextSeq: 0, ackedThrough: -1, pending: 0, outstanding: 0, dropped: 0, lost: 0, bytes: 0, segments: 0 },
      outbox: this.#outbox?.stats() ?? { inFlight: 0, delivered: 0, rejected: 0, noSubscriber: 0 },
      pointsCollected: this.#pointsCollected,
      eventsQueued: this.#eventsQueued,
      commands: { received: this.#commandsReceived, invalid: this.#commandsInvalid },
      unavailableDevices: [...this.#devices.values()].filter((d) => !d.available).map((d) => d.config.id),
    };
  }

  // ------------------------------------------------------------------ connection

  #onConnect(connection: LinkConnection): void {
    this.#publishOnline(connection);
    // Births still queued will be delivered in order on this connection; if they already were,
    // the hub (or a new hub) gets them again, after any backlog so that seq keeps rising.
    if (this.#lastBirthSeq < this.#queue!.firstUnackedSeq) this.#queueBirths();
    this.#outbox!.attach(connection);
  }

  /**
   * The retained birth of the agent. nextSeq is where this connection starts
   * sending: the oldest undelivered message (or the next seq if none). A jump
   * past the last seq the hub saw tells it what the queue had to drop.
   */
  #publishOnline(connection: LinkConnection): void {
    const online = encode('state', this.address, {
      v: 1,
      state: 'online',
      ts: this.#clock.now(),
      session: connection.session,
      agentVersion: AGENT_VERSION,
      building: this.config.building,
      nextSeq: this.#queue!.firstUnackedSeq,
    });
    connection.client.publish(online.topic, online.payload, online.options, (err) => {
      if (err) this.#log.warn({ err: err.message }, 'online state not acknowledged');
    });
  }

  /** `rebirth`: the online state again (same session, fresh ts and nextSeq) and every device birth; or one device's birth. */
  #rebirth(deviceId?: string): number {
    const connection = this.#link?.connection;
    if (deviceId === undefined && connection) this.#publishOnline(connection);
    return this.#queueBirths(deviceId);
  }

  #whenBorn(push: () => void): void {
    if (this.#state === 'stopped') return;
    if (this.#beforeBirths) this.#beforeBirths.push(push);
    else push();
  }

  /** An adapter learnt more about its device after start: describe it again and re-announce it. */
  #redescribe(runtime: DeviceRuntime): void {
    const description = runtime.adapter.describe();
    runtime.description = description;
    runtime.metricTypes = new Map(description.metrics.map((m) => [m.name, m.type]));
    if (this.#state === 'running') this.#queueBirths(runtime.config.id);
  }

  // ------------------------------------------------------------------ data

  #queueBirths(deviceId?: string): number {
    const outbox = this.#outbox!;
    const runtimes = deviceId === undefined ? [...this.#devices.values()] : [this.#devices.get(deviceId)!];
    // Pending readings predate these births; keep them in front.
    this.#batcher?.flush();
    let queued = 0;
    for (const runtime of runtimes) {
      const { config: d, description } = runtime;
      try {
        this.#lastBirthSeq = outbox.enqueue('deviceBirth', {
          ts: this.#clock.now(),
          device: {
            id: d.id,
            type: description.type,
            name: d.name,
            model: d.model ?? description.model,
            manufacturer: d.manufacturer ?? description.manufacturer,
            serial: d.serial ?? description.serial,
            building: this.config.building,
            floor: d.floor,
            zone: d.zone,
            location: d.location,
            ...(d.type === 'camera' && d.covers?.length ? { covers: d.covers } : {}),
          },
          metrics: description.metrics,
          capabilities: description.commands.map((c) => c.name),
          // Reported every read; the hub calls a device stale after 3 heartbeats.
          heartbeatSec: Math.min(86_400, Math.max(1, Math.ceil(readIntervalMs(d) / 1000))),
        });
        queued += 1;
      } catch (err) {
        // An adapter describing its device in a way the protocol refuses is a bug; the other devices still go.
        this.#log.error({ device: d.id, err: (err as Error).message }, 'device birth could not be queued');
      }
    }
    return queued;
  }

  #schedulePoll(runtime: DeviceRuntime, delayMs: number): void {
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    runtime.timer = setTimeout(() => {
      const started = Date.now();
      runtime.reading = this.#poll(runtime).finally(() => {
        runtime.reading = undefined;
        // Fixed rate, not fixed delay; a slow read makes the next one come at once, never overlap.
        this.#schedulePoll(runtime, Math.max(0, readIntervalMs(runtime.config) - (Date.now() - started)));
      });
    }, delayMs);
  }

  async #poll(runtime: DeviceRuntime): Promise<void> {
    const now = this.#clock.now();
    let readings: Reading[];
    try {
      readings = await runtime.adapter.read(now);
    } catch (err) {
      if (runtime.available) {
        runtime.available = false;
        const expected = err instanceof DeviceUnavailableError;
        this.#log[expected ? 'warn' : 'error']({ device: runtime.config.id, err: (err as Error).message }, 'device not answering');
      }
      return;
    }
    if (!runtime.available) {
      runtime.available = true;
      this.#log.info({ device: runtime.config.id }, 'device answering again');
    }
    if (this.#state === 'running' || this.#state === 'stopping') this.#accept(runtime, readings, now);
  }

  /** Turns readings into points (only declared metrics of the declared type) and events. */
  #accept(runtime: DeviceRuntime, readings: Reading[], now: number): void {
    const points: Point[] = [];
    const events: { kind: EventKind; ts: number; data?: Record<string, unknown> }[] = [];
    for (const r of readings) {
      const type = runtime.metricTypes.get(r.metric);
      if (type === undefined || typeof r.value !== type || (typeof r.value === 'number' && !Number.isFinite(r.value))) {
        const key = `${r.metric}:${typeof r.value}`;
        if (!runtime.unknownMetricsLogged.has(key)) {
          runtime.unknownMetricsLogged.add(key);
          this.#log.warn({ device: runtime.config.id, metric: r.metric, value: r.value, declared: type }, 'reading of an undeclared metric or of the wrong type ignored');
        }
        continue;
      }
      const ts = r.ts ?? now;
      points.push({ device: runtime.config.id, metric: r.metric, ts, value: r.value, ...(r.quality && r.quality !== 'good' ? { quality: r.quality } : {}) });
      const previous = runtime.last.get(r.metric);
      runtime.last.set(r.metric, r.value);
      if (previous === undefined || previous === r.value) continue;
      for (const rule of runtime.description.events) {
        if (rule.metric !== r.metric) continue;
        const event = rule.detect({ metric: r.metric, previous, value: r.value });
        if (event) events.push({ kind: event.kind, ts, data: event.data });
      }
    }
    this.#pointsCollected += points.length;
    this.#batcher!.add(points);
    for (const e of events) this.#queueEvent(runtime, e.kind, e.ts, e.data);
  }

  #queueTelemetry(points: Point[]): void {
    // A batch must fit MAX_PAYLOAD_BYTES as well as maxPoints (long string values): halve until it does.
    if (points.length > 1 && Buffer.byteLength(JSON.stringify(points)) > MAX_PAYLOAD_BYTES - BATCH_ENVELOPE_BYTES) {
      const half = Math.ceil(points.length / 2);
      this.#queueTelemetry(points.slice(0, half));
      this.#queueTelemetry(points.slice(half));
      return;
    }
    try {
      this.#outbox!.enqueue('telemetry', { ts: this.#clock.now(), points });
    } catch (err) {
      this.#log.error({ err: (err as Error).message, points: points.length }, 'telemetry batch could not be queued');
    }
  }

  #queueEvent(runtime: DeviceRuntime, kind: EventKind, ts: number, data?: Record<string, unknown>): void {
    // The readings that led to the event go first, so seq order follows what happened.
    this.#batcher!.flush();
    try {
      this.#outbox!.enqueue('event', { ts, device: runtime.config.id, kind, ...(data ? { data } : {}) });
      this.#eventsQueued += 1;
    } catch (err) {
      this.#log.error({ err: (err as Error).message, device: runtime.config.id, kind }, 'event could not be queued');
    }
  }

  // ------------------------------------------------------------------ commands

  async #onMessage(connection: LinkConnection, topic: string, payload: Buffer): Promise<void> {
    this.#commandsReceived += 1;
    const decoded = decode(topic, payload);
    if (!decoded.ok || decoded.kind !== 'command') {
      this.#commandsInvalid += 1;
      const reason = decoded.ok ? `a ${decoded.kind} message on the command topic` : decoded.reason;
      const id = commandIdOf(payload);
      this.#log.warn({ topic, reason, id }, 'invalid command');
      // Answer what can be answered, so the hub does not wait for a timeout.
      if (id) this.#publishAck(connection, { v: 1, id, ts: this.#clock.now(), result: 'rejected', message: `invalid command: ${reason}` });
      return;
    }
    const command = decoded.message;
    const known = this.#answered.get(command.id);
    if (known) {
      this.#publishAck(connection, { v: 1, id: command.id, ts: this.#clock.now(), ...known.ack });
      return;
    }
    if (this.#executing.has(command.id)) return;
    this.#executing.add(command.id);
    let body: AckBody;
    try {
      body = await runCommand(command, {
        now: () => this.#clock.now(),
        device: (id) => this.#devices.get(id),
        rebirth: (deviceId) => this.#rebirth(deviceId),
        timeoutMs: COMMAND_TIMEOUT_MS,
      });
    } finally {
      this.#executing.delete(command.id);
    }
    this.#remember(command.id, body, command.expiresAt);
    this.#log.info({ command: command.name, id: command.id, device: command.device, result: body.result, message: body.message }, 'command');
    this.#publishAck(this.#link?.connection ?? connection, { v: 1, id: command.id, ts: this.#clock.now(), ...body });
  }

  /** Remembers an answer until the command's expiresAt, and at least 10 minutes (PROTOCOL.md §10). */
  #remember(id: string, ack: AckBody, expiresAt: number | undefined): void {
    const now = this.#clock.now();
    for (const [key, entry] of this.#answered) {
      // Insertion order is nearly time order: stop at the first one still to keep.
      if (entry.keepUntil > now && this.#answered.size < MAX_REMEMBERED_COMMANDS) break;
      this.#answered.delete(key);
    }
    this.#answered.set(id, { ack, keepUntil: Math.max(now + REMEMBER_COMMANDS_MS, expiresAt ?? 0) });
  }

  #publishAck(connection: LinkConnection, ack: CommandAck): void {
    if (this.#link?.connection !== connection) {
      this.#log.warn({ id: ack.id, result: ack.result }, 'command ack not sent: connection lost');
      return;
    }
    let out: Outbound;
    try {
      out = encode('commandAck', this.address, commandAckSchema.parse(ack));
    } catch (err) {
      // An adapter's answer the protocol refuses (data over MAX_PAYLOAD_BYTES): the hub still gets an answer.
      this.#log.error({ id: ack.id, err: (err as Error).message }, 'command ack refused by the protocol; answering error');
      out = encode('commandAck', this.address, { v: 1, id: ack.id, ts: ack.ts, result: 'error', message: `the device's answer could not be sent: ${(err as Error).message}`.slice(0, 1024) });
    }
    connection.client.publish(out.topic, out.payload, out.options, (err) => {
      if (err) this.#log.warn({ id: ack.id, err: err.message }, 'command ack not acknowledged');
    });
  }
}

/** The `id` of an invalid command, if it has a usable one. */
function commandIdOf(payload: Buffer): string | undefined {
  try {
    const id = (JSON.parse(payload.toString('utf8')) as { id?: unknown }).id;
    return commandAckSchema.shape.id.safeParse(id).success ? (id as string) : undefined;
  } catch {
    return undefined;
  }
}
