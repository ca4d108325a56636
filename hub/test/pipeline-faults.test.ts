import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfigInput, AgentStatus } from '@warden/edge-agent';
import { provisionAgent } from '../src/broker/index.js';
import { Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrator.js';
import { upsertBuilding, upsertSite } from '../src/records/index.js';
import { AgentProcess } from './support/agent-process.js';
import { queuedPoints, readQueueCursor, readQueueRecords } from './support/agent-queue.js';
import { HubProcess } from './support/hub-process.js';
import { freePort, startMosquitto, type Mosquitto } from './support/mosquitto.js';
import { startPostgresCluster, type PostgresCluster } from './support/postgres-cluster.js';
import { logMessage, type LogLine } from './support/process-logs.js';
import { WanLink, type ObservedPublish } from './support/wan-link.js';

/**
 * Fault tests of the telemetry pipeline, end to end with real processes: an
 * edge-agent CLI process (simulated plant, durable queue) → a TCP "WAN" the test
 * can unplug → the broker (a private Mosquitto, or the hub's embedded aedes) →
 * the hub process → a private PostgreSQL 15 cluster the test can stop and cut.
 *
 * The claim: with N readings collected by the agent, exactly N rows are stored,
 * none twice, whatever fails on the way. N comes from the agent itself: the
 * `final status` line each graceful stop logs, and for a run ended by SIGKILL
 * what that run had put in its queue (read back from the queue files).
 *
 * Structure: one stream per broker, running across the sequential `it`s. Each
 * does one fault mid-stream, waits until readings taken after the fault cleared
 * are in the database (ingestion flows again), then checks that every reading
 * the agent was acknowledged for since the previous step is stored, so a loss
 * fails the fault that caused it; the last `it` stops the agent and counts. One
 * long stream rather than one per fault: a process start costs 2-3 s here, the
 * faults compound as they would in the field (the queue carries state from one
 * to the next), and the exact count at the end covers them all. A step that
 * does not recover (a crash, a timeout) fails the rest of its stream at once, naming it.
 *
 * Waits are bounded and on events (rows, log lines, connection attempts), never
 * on time, and a crashed hub or agent fails them at once: the machine has
 * 2 cores shared with other suites.
 */

const SITE = 'site-faults';
const BUILDING = 'bldg-faults';
const ADMIN_PASSWORD = `faults-admin-${randomBytes(6).toString('hex')}`;
/** Bound of every "ingestion flows again" wait: a restarted hub, a backlog, a loaded machine. */
const RECOVERY_MS = 60_000;
const FAULT_TEST_MS = 120_000;
/**
 * Reconnection attempts the agent must have had refused before an outage ends.
 * With its back-off (reconnectMinMs 100, doubling, at least half of each step)
 * six attempts span at least 50+100+200+400+500 ms of the agent's own time: well
 * past a telemetry batch (maxDelayMs 200), so readings were certainly queued
 * while it was offline, whatever the scheduling between the processes.
 */
const REFUSED_ATTEMPTS_PER_OUTAGE = 6;

const silent = pino({ level: 'silent' });

let cluster: PostgresCluster;

beforeAll(async () => {
  cluster = await startPostgresCluster();
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

/** 20 simulated devices (4 tanks with 3 pumps each, meters, climate sensors) polled every 100-200 ms: about 800 readings a second. */
function plantDevices(): AgentConfigInput['devices'] {
  const devices: AgentConfigInput['devices'] = [];
  for (let t = 1; t <= 4; t++) {
    devices.push({ id: `tank-${t}`, type: 'sensor.level', name: `Tank ${t}`, pollMs: 150, adapter: { kind: 'simulated', model: 'sensor.level', seed: 10 + t } });
    for (let p = 1; p <= 3; p++) {
      devices.push({
        id: `pump-${t}-${p}`,
        type: 'pump',
        name: `Pump ${t}.${p}`,
        pollMs: 100,
        adapter: { kind: 'simulated', model: 'pump', seed: 20 + 3 * t + p, params: { tank: `tank-${t}` } },
      });
    }
  }
  for (let m = 1; m <= 2; m++) {
    devices.push({ id: `em-${m}`, type: 'meter.electricity', name: `Meter ${m}`, pollMs: 200, adapter: { kind: 'simulated', model: 'meter.electricity', seed: 40 + m } });
    devices.push({ id: `climate-${m}`, type: 'sensor.temperature', name: `Climate ${m}`, pollMs: 200, adapter: { kind: 'simulated', model: 'sensor.temperature', seed: 50 + m } });
  }
  return devices;
}

interface AgentRun {
  process: AgentProcess;
  /** The first seq this run appended (the queue's nextSeq when it opened it). */
  firstSeq: number;
  /** From a graceful stop; absent for a run ended by SIGKILL. */
  status?: AgentStatus;
  killed?: boolean;
}

type PointKey = string;
const keyOf = (p: { device: string; metric: string; ts: number }): PointKey => `${p.device}\u0000${p.metric}\u0000${p.ts}`;

/** Everything one broker's stream runs on, and the counting. */
class Stream {
  readonly agentId: string;
  readonly runs: AgentRun[] = [];
  /** Seqs up to this one were checked by expectAcknowledgedStored. */
  private checkedThrough = -1;
  /** The fault after which the stream did not recover, if one did not. */
  brokenAt?: string;
  db!: Database;
  hub!: HubProcess;
  wan!: WanLink;
  mosquitto?: Mosquitto;
  dir!: string;
  configPath!: string;

  constructor(readonly name: string) {
    this.agentId = `agent-${name}`;
  }

  get agent(): AgentRun {
    return this.runs[this.runs.length - 1];
  }

  get queueDir(): string {
    return path.join(this.dir, 'queue');
  }

  async setUp(broker: 'mosquitto' | 'embedded'): Promise<void> {
    this.dir = await fs.mkdtemp(path.join(os.tmpdir(), `warden-faults-${this.name}-`));
    const url = await cluster.createDatabase(`faults_${this.name}_${randomBytes(3).toString('hex')}`);
    // Not the hub's application_name: cutting the hub's connections must not count (or cut) the test's own.
    const pool = new pg.Pool({ connectionString: url, max: 2, application_name: 'warden-faults-test' });
    // The server restarts under this pool: idle clients die, and the pool replaces them on next use.
    pool.on('error', () => {});
    this.db = new Database(pool, 'postgres');
    await migrate(this.db, silent);
    await upsertSite(this.db, { id: SITE, name: 'Fault site' });
    await upsertBuilding(this.db, { id: BUILDING, siteId: SITE, name: 'Fault building' });
    const { secret } = await provisionAgent(this.db, { id: this.agentId, siteId: SITE, buildingId: BUILDING });

    // A stable HUB_ID: the restarted hub resumes its MQTT sessions. Info logs: 'connected to the MQTT broker' says sessionPresent.
    const env: Record<string, string> = { DATABASE_URL: url, HTTP_PORT: String(await freePort()), HUB_ID: `faults-${this.name}`, LOG_LEVEL: 'info' };
    if (broker === 'mosquitto') {
      // MQTT_SHARED_SUBSCRIPTIONS stays auto: shared subscriptions on an external broker, as in production.
      const hubSecret = randomBytes(12).toString('hex');
      this.mosquitto = await startMosquitto({ hub: hubSecret, [this.agentId]: secret });
      Object.assign(env, { MQTT_URL: this.mosquitto.url, MQTT_USERNAME: 'hub', MQTT_PASSWORD: hubSecret });
      this.wan = await WanLink.open({ port: this.mosquitto.port });
    } else {
      // Fixed across restarts: the agent (through the WAN link) reconnects to the same port.
      const mqttPort = await freePort();
      env.MQTT_PORT = String(mqttPort);
      this.wan = await WanLink.open({ port: mqttPort });
    }
    this.hub = new HubProcess(env, ADMIN_PASSWORD);
    await this.hub.start();

    const config: AgentConfigInput = {
      site: SITE,
      agent: this.agentId,
      building: BUILDING,
      mqtt: { url: this.wan.url, password: secret, keepaliveSec: 10, reconnectMinMs: 100, reconnectMaxMs: 1_000 },
      // One segment for the whole run (the default is maxBytes/16 = 16 MiB; a run writes a few MB):
      // segments are deleted only once a newer one exists, so every record the agent ever queued
      // stays readable for the count.
      queue: { dir: this.queueDir, maxBytes: 256 * 1024 * 1024, segmentBytes: 64 * 1024 * 1024 },
      batching: { maxPoints: 500, maxDelayMs: 200 },
      // Generous: a graceful stop must drain the queue even on a loaded machine.
      stopFlushMs: 30_000,
      devices: plantDevices(),
    };
    this.configPath = path.join(this.dir, 'agent.json');
    await fs.writeFile(this.configPath, JSON.stringify(config, null, 2));
    await this.startAgent();
    await this.flowing(Date.now(), 'the first readings stored');
  }

  async tearDown(): Promise<void> {
    for (const run of this.runs) await run.process.kill();
    await this.hub?.kill();
    await this.wan?.close();
    await this.mosquitto?.close();
    await this.db?.close().catch(() => {});
    if (this.dir) await fs.rm(this.dir, { recursive: true, force: true });
  }

  async startAgent(): Promise<AgentRun> {
    const child = new AgentProcess(this.configPath);
    const run: AgentRun = { process: child, firstSeq: -1 };
    this.runs.push(run);
    run.firstSeq = await child.firstSeq();
    return run;
  }

  /** Resolves once readings the agent took after `after` are in the database: the whole pipeline flows. */
  async flowing(after: number, what = 'readings taken after the fault cleared stored'): Promise<void> {
    await this.until(
      async () => {
        const { rows } = await this.db.query<{ fresh: boolean }>(
          `SELECT EXISTS (
             SELECT 1 FROM telemetry t JOIN device_metrics m ON m.id = t.series_id JOIN devices d ON d.id = m.device_id
              WHERE d.agent_id = $1 AND t.ts > to_timestamp($2 / 1000.0)) AS fresh`,
          [this.agentId, after],
        );
        return rows[0].fresh;
      },
      what,
    );
  }

  /**
   * Polls until the check returns a truthy value (bounded, like waitFor), but fails at once when the hub
   * or the agent died without being told to: a crash is a finding, not something to wait out.
   */
  async until<T>(check: () => T | Promise<T>, what: string, timeoutMs = RECOVERY_MS, intervalMs = 200): Promise<NonNullable<T>> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      this.throwIfCrashed(what);
      try {
        const value = await check();
        if (value) return value as NonNullable<T>;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  throwIfCrashed(during: string): void {
    const crash = this.hub?.crashed ?? this.agent?.process.crashed;
    if (crash) throw new Error(`${crash}\n(while waiting for ${during})`);
  }

  /** Rows of this agent's series: all, and distinct by the primary key. */
  async rowCounts(): Promise<{ rows: number; distinct: number }> {
    const { rows } = await this.db.query<{ rows: number; distinct: number }>(
      `SELECT count(*)::int AS rows, count(DISTINCT (t.series_id, t.ts))::int AS distinct
         FROM telemetry t JOIN device_metrics m ON m.id = t.series_id JOIN devices d ON d.id = m.device_id
        WHERE d.agent_id = $1`,
      [this.agentId],
    );
    return rows[0];
  }

  /** The stored readings of this agent (with ts in [from, to] if given), as point keys. */
  async storedKeys(range?: { from: number; to: number }): Promise<Set<PointKey>> {
    const { rows } = await this.db.query<{ device: string; metric: string; ts: number }>(
      `SELECT d.code AS device, m.name AS metric, (extract(epoch FROM t.ts) * 1000)::float8 AS ts
         FROM telemetry t JOIN device_metrics m ON m.id = t.series_id JOIN devices d ON d.id = m.device_id
        WHERE d.agent_id = $1 AND ($2::float8 IS NULL OR t.ts BETWEEN to_timestamp($2 / 1000.0) AND to_timestamp($3 / 1000.0))`,
      [this.agentId, range?.from ?? null, range?.to ?? null],
    );
    return new Set(rows.map((r) => keyOf({ ...r, ts: Math.round(r.ts) })));
  }

  /** The points (of observed publishes, of queue records) not in the database. */
  async missing(points: { device: string; metric: string; ts: number }[]): Promise<PointKey[]> {
    if (!points.length) return [];
    let from = Infinity;
    let to = -Infinity;
    for (const p of points) {
      from = Math.min(from, p.ts);
      to = Math.max(to, p.ts);
    }
    const stored = await this.storedKeys({ from, to });
    return points.map(keyOf).filter((k) => !stored.has(k));
  }

  /**
   * Every reading the agent counts as delivered (acknowledged: its queue cursor) since the last check is
   * stored. Checked after each fault, so a loss fails the fault that caused it, and only that one. With
   * Mosquitto an acknowledgement comes from the broker and the hub may still be catching up: a bounded wait.
   */
  async expectAcknowledgedStored(): Promise<void> {
    // The agent saves its cursor every 200 ms: wait until it covers something past the last check.
    const ackedThrough = await this.until(
      async () => {
        const cursor = await readQueueCursor(this.queueDir);
        return cursor.ackedThrough > this.checkedThrough ? cursor.ackedThrough : undefined;
      },
      'the agent to have messages acknowledged since the last check',
      RECOVERY_MS,
      100,
    );
    const delivered = queuedPoints(await readQueueRecords(this.queueDir, { live: true }), this.checkedThrough + 1, ackedThrough + 1);
    this.checkedThrough = ackedThrough;
    let missing: PointKey[] = [];
    const what = 'the acknowledged readings stored';
    await this.until(async () => (missing = await this.missing(delivered)).length === 0, what, RECOVERY_MS, 250).catch(() => this.throwIfCrashed(what));
    expect(missing.slice(0, 5), `${missing.length} of ${delivered.length} acknowledged readings not stored`).toEqual([]);
  }

  dataPublishes(filter: (p: ObservedPublish) => boolean = () => true): ObservedPublish[] {
    return this.wan.publishes.filter((p) => (p.kind === 'telemetry' || p.kind === 'event' || p.kind === 'deviceBirth') && filter(p));
  }

  /** Ends an outage: the agent must first have been turned away REFUSED_ATTEMPTS_PER_OUTAGE times. */
  async agentRetried(refusedBefore: number): Promise<void> {
    await this.until(() => this.wan.refused - refusedBefore >= REFUSED_ATTEMPTS_PER_OUTAGE, `${REFUSED_ATTEMPTS_PER_OUTAGE} refused reconnection attempts of the agent`, 30_000, 50);
  }

  diagnostics(): string {
    // Warnings, errors, plain text (a crash) and the lifecycle lines; not the per-request and per-device chatter.
    const telling = (l: LogLine) => !l.json || (l.json.level ?? 0) >= 40 || /connected|started|ready|stopp|final status|opened/.test(l.json.msg ?? '');
    return [
      `--- ${this.name}: hub (${this.hub?.starts ?? 0} starts, running: ${this.hub?.running}) ---`,
      this.hub?.logs.tail(30, telling),
      `--- ${this.name}: agent run ${this.runs.length} ---`,
      this.agent?.process.logs.tail(20, telling),
      `--- ${this.name}: WAN link: ${this.wan?.connections} connections, ${this.wan?.refused} refused, ${this.wan?.publishes.length} publishes ---`,
    ].join('\n');
  }
}

/**
 * A lost acknowledgement then an outage: the link first stops passing the
 * broker's PUBACKs (the messages reach the broker, and the hub stores them),
 * then is unplugged until the agent has been refused a few times. Returns the
 * telemetry whose acknowledgement was lost: the agent must send it again.
 */
async function wanOutage(stream: Stream): Promise<{ lostAcks: ObservedPublish[]; connectionsBefore: number }> {
  const { wan } = stream;
  wan.loseAcknowledgements();
  await stream.until(() => wan.lostAcks.some((p) => p.kind === 'telemetry'), 'a telemetry PUBACK lost on the way back', 30_000, 20);
  const lostAcks = wan.lostAcks.filter((p) => p.kind === 'telemetry');
  const refusedBefore = wan.refused;
  wan.unplug();
  try {
    await stream.agentRetried(refusedBefore);
  } finally {
    wan.replug();
  }
  return { lostAcks, connectionsBefore: wan.connections };
}

/** The data messages sent since an outage ended (all connections after it), in the order they went out. */
function replayAfter(stream: Stream, connectionsBefore: number): ObservedPublish[] {
  return stream.dataPublishes((p) => p.connection > connectionsBefore);
}

/** The agent replays oldest first: on the first connection back, seq only rises (births re-queued on connect come last). */
function expectReplayInOrder(replay: ObservedPublish[]): void {
  const first = replay.filter((p) => p.connection === replay[0]?.connection).map((p) => p.seq!);
  expect(first.length).toBeGreaterThan(0);
  for (let i = 1; i < first.length; i++) {
    if (first[i] <= first[i - 1]) throw new Error(`replay out of order at message ${i}: seq ${first[i]} after ${first[i - 1]}`);
  }
}

async function agentRestartGraceful(stream: Stream): Promise<void> {
  const before = stream.agent;
  before.status = await before.process.stop();
  expect(before.status.pointsCollected).toBeGreaterThan(0);
  const next = await stream.startAgent();
  // The seq goes on from the queue: what the first run left unsent goes out first, in order.
  expect(next.firstSeq).toBe(before.status.queue.nextSeq);
  await stream.flowing(Date.now());
}

/**
 * SIGKILL of the agent. What it may lose is exactly the readings still in its
 * in-memory batcher (at most maxDelayMs = 200 ms or maxPoints = 500 of them),
 * which never reached the disk queue; everything appended to the queue is in
 * the OS the moment append() returns, so it survives the kill and the next run
 * sends whatever was not acknowledged. This run's share of N is therefore
 * counted from its records in the queue, not from readings collected (it never
 * gets to log them).
 */
async function agentKilled(stream: Stream): Promise<void> {
  const killed = stream.agent;
  await killed.process.kill();
  killed.killed = true;
  const records = await readQueueRecords(stream.queueDir);
  const lastSeq = records.at(-1)?.seq ?? -1;
  const next = await stream.startAgent();
  expect(next.firstSeq).toBe(lastSeq + 1);
  await stream.flowing(Date.now());
}

/**
 * The final count. N is the readings the graceful runs collected plus, for a
 * run ended by SIGKILL, the readings it had queued. Every graceful run must also
 * have queued exactly what it collected (the queue is read back), and the rows
 * must be those very readings.
 */
async function countExactly(stream: Stream): Promise<void> {
  await stream.flowing(Date.now(), 'the agent connected and current before the final stop');
  const last = stream.agent;
  last.status = await last.process.stop();
  expect(last.status.queue.pending, 'the final graceful stop drains the queue').toBe(0);

  const records = await readQueueRecords(stream.queueDir);
  expect(records[0]?.seq, 'the queue still holds every record of the stream').toBe(0);
  const queued = queuedPoints(records);
  let n = 0;
  stream.runs.forEach((run, i) => {
    const share = queuedPoints(records, run.firstSeq, stream.runs[i + 1]?.firstSeq).length;
    if (run.killed) n += share;
    else {
      expect(share, `agent run ${i + 1} queued every reading it collected`).toBe(run.status!.pointsCollected);
      n += run.status!.pointsCollected;
    }
  });
  expect(n).toBe(queued.length);
  expect(new Set(queued.map(keyOf)).size, 'each reading has its own (device, metric, ts)').toBe(n);

  // Everything is acknowledged; with an external broker the hub may still be working through what it queued.
  await stream.until(async () => (await stream.rowCounts()).rows >= n, `${n} rows stored`, 45_000, 250).catch(() => stream.throwIfCrashed(`${n} rows stored`));
  const counts = await stream.rowCounts();
  const stored = await stream.storedKeys();
  const missing = queued.filter((p) => !stored.has(keyOf(p)));
  const queuedKeys = new Set(queued.map(keyOf));
  const extra = [...stored].filter((k) => !queuedKeys.has(k));
  expect(missing.slice(0, 10), `${missing.length} readings of the agent not stored`).toEqual([]);
  expect(extra.slice(0, 10), `${extra.length} rows the agent never queued`).toEqual([]);
  expect(counts).toEqual({ rows: n, distinct: n });
  console.log(`${stream.name}: ${n} readings in ${stream.runs.length} agent runs, ${counts.rows} rows`);
}

/**
 * An `it` for one fault; whatever the fault, nothing the agent counts as delivered may be missing after it.
 * A fault that did not recover (a crash, a timeout) leaves the stream in an unknown state: the rest of
 * the stream fails at once (naming that first failure), so CI does not wait out every later step's timeout.
 * A loss found by the acknowledged check is that fault's failure alone, and the stream goes on.
 */
/** The faults both brokers go through the same way, then the final count. */
function faultsOfEveryBroker(stream: Stream): void {
  fault(stream, 'keeps every reading through a database restart', () => databaseRestart(stream));
  fault(stream, "keeps every reading when the hub's database connections are cut", () => connectionsCut(stream));
  fault(stream, 'keeps every reading while the agent is offline and replays them in order, flagged historical', () => wanOutageScenario(stream));
  fault(stream, 'keeps every reading through an agent restart (SIGTERM, then a new process on the same queue)', () => agentRestartGraceful(stream));
  fault(stream, 'keeps every reading the agent had queued when it was killed (SIGKILL)', () => agentKilled(stream));

  it('stores exactly N rows for N readings, none twice', { timeout: FAULT_TEST_MS }, () => {
    if (stream.brokenAt) throw new Error(`not counted: the stream broke at: ${stream.brokenAt}`);
    return countExactly(stream);
  });
}

function fault(stream: Stream, name: string, body: () => Promise<void>): void {
  it(name, { timeout: FAULT_TEST_MS }, async () => {
    if (stream.brokenAt) throw new Error(`not run: the stream broke at: ${stream.brokenAt}`);
    try {
      await body();
    } catch (err) {
      stream.brokenAt = name;
      throw err;
    }
    await stream.expectAcknowledgedStored();
  });
}

/** Telemetry the agent publishes after `since`, once `count` messages went out. */
async function telemetrySentAfter(stream: Stream, since: number, count: number, what: string): Promise<ObservedPublish[]> {
  return stream.until(() => {
    const sent = stream.dataPublishes((p) => p.kind === 'telemetry' && p.at > since);
    return sent.length >= count ? sent : undefined;
  }, what, 30_000, 20);
}

describe('telemetry pipeline faults, Mosquitto as the external broker', () => {
  const stream = new Stream('mosquitto');

  beforeAll(() => stream.setUp('mosquitto'), 120_000);
  afterAll(() => stream.tearDown(), 60_000);
  afterEach(({ task }) => {
    if (task.result?.state === 'fail') console.error(stream.diagnostics());
  });

  fault(stream, 'keeps every reading through a broker restart', async () => {
    const connections = stream.wan.connections;
    // SIGTERM: Mosquitto saves its persistence (sessions and what is queued in them) and starts again from it.
    await stream.mosquitto!.restart();
    await stream.flowing(Date.now());
    expect(stream.wan.connections).toBeGreaterThan(connections);
    expect(stream.hub.running).toBe(true);
  });

  fault(stream, "keeps every reading through a hub SIGKILL: the broker holds them in the hub's session", async () => {
    await stream.hub.kill();
    const killedAt = Date.now();
    // The agent goes on publishing; the broker acknowledges and queues them for the absent hub.
    const heldByBroker = await telemetrySentAfter(stream, killedAt, 3, 'telemetry published while the hub is down');
    const logMark = stream.hub.logs.seen;
    await stream.hub.start();
    // Same HUB_ID, so the same client ids: the persistent sessions (MQTT 5 session expiry) are resumed.
    const connected = await stream.until(() => stream.hub.logs.find(logMessage('connected to the MQTT broker'), logMark), 'the hub connected', 10_000, 50);
    expect(connected.json!.sessionPresent).toBe(true);
    await stream.flowing(Date.now());
    // The agent had those acknowledged by the broker and dropped them from its queue: only the session kept them.
    await stream.until(async () => (await stream.missing(heldByBroker.flatMap((p) => p.points!))).length === 0, 'what the broker held for the hub stored', RECOVERY_MS, 250);
  });

  fault(stream, 'keeps every reading when the broker restarts while the hub is down', async () => {
    await stream.hub.kill();
    const killedAt = Date.now();
    await telemetrySentAfter(stream, killedAt, 2, 'telemetry queued for the absent hub');
    // Mosquitto 2.0 restores sessions and their queued messages, but not shared subscriptions: until the hub
    // subscribes again, telemetry has no subscriber and is answered "no matching subscribers" (0x10), which
    // the agent must take as not delivered.
    await stream.mosquitto!.restart();
    const restartedAt = Date.now();
    const unsubscribed = await telemetrySentAfter(stream, restartedAt, 3, 'telemetry published to the restarted broker');
    await stream.hub.start();
    await stream.flowing(Date.now());
    const sentWhileAway = stream.dataPublishes((p) => p.kind === 'telemetry' && p.at > killedAt && p.at <= unsubscribed[2].at);
    await stream.until(async () => (await stream.missing(sentWhileAway.flatMap((p) => p.points!))).length === 0, 'what was published while the hub was away stored', RECOVERY_MS, 250);
  });

  faultsOfEveryBroker(stream);
});

describe('telemetry pipeline faults, the embedded aedes broker', () => {
  const stream = new Stream('embedded');

  beforeAll(() => stream.setUp('embedded'), 120_000);
  afterAll(() => stream.tearDown(), 60_000);
  afterEach(({ task }) => {
    if (task.result?.state === 'fail') console.error(stream.diagnostics());
  });

  // The broker lives in the hub process: a broker restart is a hub restart.
  fault(stream, 'keeps every reading through a hub (and broker) SIGKILL and restart', async () => {
    const refused = stream.wan.refused;
    await stream.hub.kill();
    // aedes acknowledges only what the hub stored, so the agent dropped nothing unstored from its queue; it
    // queues (offline, so historical) until the hub is back on the same MQTT_PORT.
    await stream.agentRetried(refused);
    const connectionsBefore = stream.wan.connections;
    await stream.hub.start();
    await stream.flowing(Date.now());
    const replay = replayAfter(stream, connectionsBefore);
    expectReplayInOrder(replay);
    const historical = replay.filter((p) => p.kind === 'telemetry' && p.historical);
    expect(historical.length).toBeGreaterThan(0);
    await stream.until(async () => (await stream.missing(historical.flatMap((p) => p.points!))).length === 0, 'the historical readings stored', RECOVERY_MS, 250);
  });

  faultsOfEveryBroker(stream);
});

/** A real restart of the PostgreSQL server under the running hub (`pg_ctl stop -m fast`, then start). */
async function databaseRestart(stream: Stream): Promise<void> {
  const logMark = stream.hub.logs.seen;
  await cluster.stop();
  try {
    // The outage lasts until the hub has met it: a write that failed and is held on to (the message unacknowledged).
    await stream.until(() => stream.hub.logs.find(logMessage(/telemetry write failed|message handler failed/, 40), logMark), 'the hub to meet the database outage', 30_000, 50);
  } finally {
    await cluster.start();
  }
  await stream.flowing(Date.now());
  expect(stream.hub.running).toBe(true);
  expect((await stream.hub.ingestStats()).writeFailures).toBeGreaterThan(0);
}

/** The server ends every connection of the hub (pg_terminate_backend), as a failover or a network cut would. */
async function connectionsCut(stream: Stream): Promise<void> {
  expect(await cluster.terminateConnections('warden-hub')).toBeGreaterThan(0);
  await stream.flowing(Date.now());
  expect(stream.hub.running).toBe(true);
}

/**
 * The WAN fault, the same on both brokers. Deterministic redelivery: a message
 * whose PUBACK the link lost had reached the broker, so the hub stores it (aedes
 * acknowledges only what is stored; Mosquitto queues it for the hub's session),
 * and the agent, never acknowledged, sends it again: the hub must count it as a
 * duplicate, not store it twice.
 */
async function wanOutageScenario(stream: Stream): Promise<void> {
  const before = await stream.hub.ingestStats();
  const { lostAcks, connectionsBefore } = await wanOutage(stream);
  await stream.flowing(Date.now());

  const replay = replayAfter(stream, connectionsBefore);
  expectReplayInOrder(replay);
  const resent = new Set(replay.map((p) => p.seq));
  expect(lostAcks.filter((p) => !resent.has(p.seq)), 'every message whose PUBACK was lost is sent again').toEqual([]);
  const lostPoints = lostAcks.reduce((sum, p) => sum + p.points!.length, 0);
  await stream.until(async () => (await stream.hub.ingestStats()).pointsDuplicate - before.pointsDuplicate >= lostPoints, `${lostPoints} re-sent points counted as duplicates`, RECOVERY_MS, 250);

  // Readings taken while the link was down went out after it, marked historical (PROTOCOL.md §11), and are stored.
  const historical = replay.filter((p) => p.kind === 'telemetry' && p.historical);
  expect(historical.length).toBeGreaterThan(0);
  await stream.until(async () => (await stream.missing(historical.flatMap((p) => p.points!))).length === 0, 'the historical readings stored', RECOVERY_MS, 250);
}
