/**
 * npm run bench:alarms — how long an alarm takes from an agent's MQTT publish to
 * the `alarm.raised` frame at a WebSocket client of /api/live, with the hub idle
 * and while it ingests ≥ 50,000 points/s.
 *
 * The hub runs as its own process (embedded broker) against a fresh database on
 * the PostgreSQL server, with ALARM_DEFAULT_RULES=false and one threshold rule
 * (temperature > 50, a work order per episode) on the probe devices of one probe
 * agent. One sample: publish a point above the threshold (the clock starts at the
 * publish call), wait for the device's `alarm.raised` frame (the clock stops when
 * the frame is read); then acknowledge through the API, publish a normal point and
 * wait for the `alarm.changed` frame in state `normal`, so the next sample opens a
 * new episode. Samples run one after another, round-robin over the probe devices.
 * Idle phase first; then the load generators of bench:ingest (scripts/bench/ingest-load.ts,
 * child processes playing BENCH_AGENTS agents) start, and after a warm-up the loaded
 * samples are taken while the hub's stored-points counter gives the ingest rate.
 * Finally the database is checked: every episode has its work order.
 *
 * Progress, and where the time goes (publish → rule evaluated → alarm transaction
 * began → frame received, from timestamps the hub stores), go to stderr; the last
 * stdout line is the JSON result:
 *   {"idleP50Ms","idleP99Ms","loadedP99Ms","loadPointsPerSec","episodes","workOrders"}
 *
 * Options (environment): BENCH_WARMUP_SAMPLES (10, idle, not counted), BENCH_IDLE_SAMPLES (200), BENCH_LOADED_SAMPLES (200),
 * BENCH_PROBE_DEVICES (4), BENCH_WARMUP_SECONDS (5), BENCH_TIMEOUT_MS (30000 per awaited frame);
 * The load: BENCH_AGENTS (16) agents in BENCH_GENERATORS (2) processes, BENCH_DEVICES (20 per
 * agent) × BENCH_METRICS (10), BENCH_BATCH (1000 points per message), paced at BENCH_RATE
 * points/s (default 55000, the "while ingesting ≥ 50000 points/s"; scripts/bench/ingest-load.ts with ratePerAgent:
 * each agent publishes its share of the rate, window BENCH_WINDOW, default 8), as agents whose
 * devices produce readings do. BENCH_RATE=0 runs bench:ingest's closed loop instead (window 2 by
 * default): as fast as the hub takes it, so about BENCH_AGENTS × BENCH_WINDOW × BENCH_BATCH
 * points always wait in the hub and an alarm's point waits behind them.
 * Diagnostics: BENCH_CPU_PROFILE=dir writes a CPU profile of the hub; BENCH_PG_LOG=1 makes the
 * server log every statement of the bench database with its duration (log_min_duration_statement = 0
 * for that database only), to see how long each step of the alarm transaction takes on the server.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { encode } from '@warden/protocols';
import mqtt from 'mqtt';
import pg from 'pg';
import pino from 'pino';
import WebSocket from 'ws';
import { provisionAgent } from '../hub/src/broker/index.js';
import { openDatabase } from '../hub/src/db/database.js';
import { migrate } from '../hub/src/db/migrator.js';
import { upsertBuilding, upsertSite } from '../hub/src/records/index.js';
import { cpuSeconds, createDatabase, log, machineCpuSeconds, onExit, percentile, ROOT, spawnHub, type HubProcess } from './bench/bench-support.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const warmupSamples = env('BENCH_WARMUP_SAMPLES', 10);
const idleSamples = env('BENCH_IDLE_SAMPLES', 200);
const loadedSamples = env('BENCH_LOADED_SAMPLES', 200);
const probeDevices = env('BENCH_PROBE_DEVICES', 4);
const warmupSeconds = env('BENCH_WARMUP_SECONDS', 5);
const timeoutMs = env('BENCH_TIMEOUT_MS', 30_000);
const agentCount = env('BENCH_AGENTS', 16);
const generators = env('BENCH_GENERATORS', 2);
const devices = env('BENCH_DEVICES', 20);
const metrics = env('BENCH_METRICS', 10);
const batch = env('BENCH_BATCH', 1000);
const rate = env('BENCH_RATE', 55_000);
const window = env('BENCH_WINDOW', rate > 0 ? 8 : 2);

const SITE = 'bench';
const BUILDING = 'bench-b';
const PROBE_AGENT = 'bench-probe';
const PROBE_TYPE = 'sensor.temperature';
const THRESHOLD = 50;
const ms = (x: number) => Math.round(x * 10) / 10;

interface Probe {
  code: string;
  id: number;
  lastTs: number;
}

/** One measured sample: the latency, and wall-clock times to line up with what the hub stored. */
interface Sample {
  latencyMs: number;
  episodeId: number;
  /** Epoch ms (fractional) of the publish call and of the frame's arrival. */
  publishedAt: number;
  receivedAt: number;
}

const wallClock = (t: number) => performance.timeOrigin + t;

async function main(): Promise<void> {
  const database = await createDatabase('warden_bench_alarms');
  const cleanups: (() => Promise<void>)[] = [() => database.drop()];
  // One cleanup, whoever asks first (a signal, a failure, the end): the others wait for the same one.
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const c of cleanups.reverse()) await c().catch((err: Error) => log(`cleanup step failed: ${err.message}`));
    })());
  onExit(cleanup);
  // Ctrl-C can reach this process twice (from the terminal, and forwarded by npm): a second signal must not cut the cleanup short.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => log(`${signal}: cleaning up`));
  try {
    log(`database ${database.name}; provisioning the probe agent and ${agentCount} load agents`);
    const silent = pino({ level: 'silent' });
    const db = await openDatabase({ url: database.url, dataDir: '', poolSize: 2, logger: silent });
    await migrate(db, silent);
    await upsertSite(db, { id: SITE, name: 'Bench estate' });
    await upsertBuilding(db, { id: BUILDING, siteId: SITE, name: 'Bench building' });
    const probeAgent = await provisionAgent(db, { id: PROBE_AGENT, siteId: SITE, buildingId: BUILDING });
    const loadAgents: { id: string; secret: string }[] = [];
    for (let i = 0; i < agentCount; i++) loadAgents.push(await provisionAgent(db, { id: `bench-agent-${i}`, siteId: SITE, buildingId: BUILDING }));
    await db.close();
    if (process.env.BENCH_PG_LOG === '1') {
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      await admin.query(`ALTER DATABASE ${database.name} SET log_min_duration_statement = 0`);
      await admin.query(`ALTER DATABASE ${database.name} SET log_parameter_max_length = 0`);
      await admin.end();
      log(`the server logs every statement of ${database.name} (see its log, e.g. /var/log/postgresql/)`);
    }

    const hub = await spawnHub({ DATABASE_URL: database.url, HUB_ID: 'bench', ALARM_DEFAULT_RULES: 'false' });
    cleanups.push(() => hub.stop());
    log(`hub ready at ${hub.url} (pid ${hub.child.pid})`);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    cleanups.push(() => client.end().catch(() => {}));

    // The probe agent: online, then one temperature sensor per probe device.
    const address = { site: SITE, agent: PROBE_AGENT };
    const agent = await mqtt.connectAsync(hub.mqttUrl, { username: probeAgent.id, password: probeAgent.secret, clientId: probeAgent.id, protocolVersion: 4, clean: true, reconnectPeriod: 1000 });
    cleanups.push(() => agent.endAsync(true).catch(() => {}));
    let seq = 0;
    const online = encode('state', address, { v: 1, state: 'online', ts: Date.now(), session: randomUUID(), nextSeq: 0 });
    await agent.publishAsync(online.topic, online.payload, online.options);
    const probes: Probe[] = [];
    for (let d = 0; d < probeDevices; d++) {
      const code = `probe-${d}`;
      const birth = encode('deviceBirth', address, { v: 1, msgId: randomUUID(), seq: seq++, ts: Date.now(), device: { id: code, type: PROBE_TYPE, name: `Probe ${d}` }, metrics: [{ name: 'temperature', type: 'number', unit: 'Cel' }] });
      await agent.publishAsync(birth.topic, birth.payload, birth.options);
      const { rows } = await client.query<{ id: string }>('SELECT id FROM devices WHERE agent_id = $1 AND code = $2', [PROBE_AGENT, code]);
      if (!rows[0]) throw new Error(`device ${code} is not registered after its birth was acknowledged`);
      probes.push({ code, id: Number(rows[0].id), lastTs: 0 });
    }

    const rule = await post(hub, '/api/alarm-rules', {
      name: 'Bench probe hot',
      scope: { type: 'deviceType', id: PROBE_TYPE },
      priority: 'high',
      category: 'maintenance',
      definition: { condition: { kind: 'threshold', metric: 'temperature', op: '>', value: THRESHOLD, deadband: 1 }, onDelaySec: 0, offDelaySec: 0, workOrder: { create: true, reopenWithinMinutes: 0 } },
    });
    log(`rule ${(rule as { rule: { id: number } }).rule.id} watches ${probeDevices} probe devices (${PROBE_TYPE}, temperature > ${THRESHOLD})`);

    const live = await LiveClient.connect(`${hub.url.replace(/^http/, 'ws')}/api/live?token=${encodeURIComponent(hub.token)}`, timeoutMs);
    cleanups.push(async () => live.close());

    const point = (probe: Probe, value: number) => {
      probe.lastTs = Math.max(Date.now(), probe.lastTs + 1);
      return encode('telemetry', address, { v: 1, msgId: randomUUID(), seq: seq++, ts: Date.now(), points: [{ device: probe.code, metric: 'temperature', ts: probe.lastTs, value }] });
    };

    let n = 0;
    /** Each probe's return to normal, still running while the next probe is measured (loaded phase). */
    const resets = new Map<Probe, Promise<void>>();
    const reset = async (probe: Probe, alarmId: number) => {
      // Back to normal: acknowledge, then the condition clears and the episode ends.
      const normal = live.next((f) => f.type === 'alarm.changed' && f.data.alarmId === alarmId && f.data.state === 'normal', `alarm ${alarmId} back to normal`);
      await post(hub, `/api/alarms/${alarmId}/ack`, { note: 'bench', disposition: 'test' });
      const low = point(probe, THRESHOLD - 30);
      await agent.publishAsync(low.topic, low.payload, low.options);
      await normal;
    };
    const measure = async (overlap: boolean): Promise<Sample> => {
      const probe = probes[n % probes.length];
      await resets.get(probe);
      const high = point(probe, THRESHOLD + 10 + (n % 20));
      n += 1;
      const raised = live.next((f) => f.type === 'alarm.raised' && f.data.deviceId === probe.id, `alarm.raised of ${probe.code}`);
      const t0 = performance.now();
      const acked = agent.publishAsync(high.topic, high.payload, high.options);
      const { frame, at } = await raised;
      await acked;
      const done = reset(probe, frame.data.alarmId as number);
      if (overlap) {
        void done.catch(() => {}); // awaited before the probe's next sample (a failure surfaces there)
        resets.set(probe, done);
      } else {
        await done;
      }
      return { latencyMs: at - t0, episodeId: frame.data.episodeId as number, publishedAt: wallClock(t0), receivedAt: wallClock(at) };
    };

    /**
     * Samples one after another. Idle, each waits for the previous alarm to be back to
     * normal; loaded, that return runs alongside the next sample (on the next probe
     * device), which halves the time under load and adds one point and two small
     * transactions to 50,000 points/s.
     */
    const runPhase = async (name: string, count: number, overlap: boolean): Promise<Sample[]> => {
      const samples: Sample[] = [];
      for (let i = 0; i < count; i++) {
        samples.push(await measure(overlap));
        if ((i + 1) % 50 === 0 || i + 1 === count) {
          const l = samples.map((s) => s.latencyMs);
          log(`${name}: ${i + 1}/${count} samples, p50 ${ms(percentile(l, 50))} ms, p99 ${ms(percentile(l, 99))} ms, max ${ms(Math.max(...l))} ms`);
        }
      }
      await Promise.all(resets.values());
      return samples;
    };

    // ---------------------------------------------------------------- idle
    log(`warm-up: ${warmupSamples} samples (not counted); idle phase: ${idleSamples} samples`);
    const warmup = await runPhase('warm-up', warmupSamples, false);
    const idleMonitor = await monitor(hub, client, () => []);
    const idle = await runPhase('idle', idleSamples, false);
    await idleMonitor.stop('idle');
    await breakdown(client, 'idle', idle);

    // ---------------------------------------------------------------- loaded
    log(
      `loaded phase: ${generators} generator processes, ${agentCount} agents × ${devices} devices × ${metrics} metrics, batches of ${batch} points, window ${window}, ` +
        (rate > 0 ? `paced at ${rate} points/s in all` : 'each agent as fast as the hub acknowledges'),
    );
    const children: ChildProcess[] = [];
    const stopLoad = async () => {
      await Promise.all(
        children.splice(0).map((child) => {
          if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGKILL');
          return exited;
        }),
      );
    };
    cleanups.push(stopLoad);
    const perGen = Math.ceil(agentCount / generators);
    for (let g = 0; g < generators; g++) {
      const agents = loadAgents.slice(g * perGen, (g + 1) * perGen);
      if (!agents.length) continue;
      // Runs until killed: paced at BENCH_RATE, or as fast as acknowledged with BENCH_RATE=0.
      const spec = { mqttUrl: hub.mqttUrl, site: SITE, agents, devices, metrics, pointsPerBatch: batch, window, durationMs: 24 * 3_600_000, ratePerAgent: rate / agentCount, baseTs: Date.now() - 3_600_000 };
      const child = fork(path.join(ROOT, 'scripts/bench/ingest-load.ts'), [JSON.stringify(spec)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child.once('exit', (code, signal) => {
        if (children.includes(child)) log(`generator ${g} exited early (code ${code}, signal ${signal})`);
      });
      children.push(child);
    }

    const stats = () => hub.get<{ pointsStored: number; pointsPending: number }>('/api/ingest/stats');
    const rates: { t: number; stored: number; pending: number }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const s = await stats().catch(() => undefined);
        if (!s) break; // the hub is gone: the samples fail and say why
        rates.push({ t: performance.now(), stored: s.pointsStored, pending: s.pointsPending });
        const prev = rates.at(-2);
        const last = rates.at(-1)!;
        if (prev && rates.length % 2 === 0) log(`ingest ${Math.round(((last.stored - prev.stored) * 1000) / (last.t - prev.t))} points/s, pending ${last.pending}, hub peak rss ${hub.peakRssMb()} MiB`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    await new Promise((r) => setTimeout(r, warmupSeconds * 1000));
    const from = await stats();
    const fromT = performance.now();
    const loadedMonitor = await monitor(hub, client, () => children.map((c) => c.pid ?? 0));
    const loaded = await runPhase('loaded', loadedSamples, true);
    await loadedMonitor.stop('loaded');
    const to = await stats();
    const loadPointsPerSec = Math.round(((to.pointsStored - from.pointsStored) * 1000) / (performance.now() - fromT));
    sampling = false;
    await sampler;
    await stopLoad();
    log(`load stopped: ${loadPointsPerSec} points/s stored while the loaded samples ran${loadPointsPerSec < 50_000 ? ' (below the 50,000 points/s the issue asks for: more BENCH_AGENTS or BENCH_WINDOW)' : ''}`);
    await breakdown(client, 'loaded', loaded);

    // ---------------------------------------------------------------- the database
    const count = async (sql: string) => Number((await client.query<{ n: string }>(sql)).rows[0].n);
    const episodes = await count('SELECT count(*) AS n FROM alarm_episodes');
    const workOrders = await count(`SELECT count(*) AS n FROM work_orders WHERE source = 'alarm'`);
    const unlinked = await count('SELECT count(*) AS n FROM alarm_episodes WHERE work_order_id IS NULL');
    const stillOpen = await count('SELECT count(*) AS n FROM alarm_episodes WHERE ended_at IS NULL');
    const raised = warmup.length + idle.length + loaded.length;
    log(`episodes ${episodes} (alarms raised ${raised}), alarm work orders ${workOrders}, episodes without a work order ${unlinked}, episodes not ended ${stillOpen}`);
    if (episodes !== raised || workOrders !== episodes || unlinked > 0) log('MISMATCH: every raised alarm should be one episode with exactly one work order');

    const idleLatency = idle.map((s) => s.latencyMs);
    const result = {
      idleP50Ms: ms(percentile(idleLatency, 50)),
      idleP99Ms: ms(percentile(idleLatency, 99)),
      loadedP99Ms: ms(percentile(loaded.map((s) => s.latencyMs), 99)),
      loadPointsPerSec,
      episodes,
      workOrders,
    };
    await cleanup();
    process.stdout.write(`${JSON.stringify(result)}\n`);
    // The targets: the JSON line is printed either way, then a miss fails the run.
    const missed = missedTargets(result);
    if (missed.length) {
      log(`TARGETS MISSED: ${missed.join('; ')}`);
      process.exitCode = 1;
    } else {
      log('all targets met (idleP99Ms <= 50, loadedP99Ms <= 250, workOrders == episodes)');
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** The targets of issue 4 the result misses, each named with its value. */
export function missedTargets(r: { idleP99Ms: number; loadedP99Ms: number; episodes: number; workOrders: number }): string[] {
  const missed: string[] = [];
  if (!(r.idleP99Ms <= 50)) missed.push(`idleP99Ms ${r.idleP99Ms} > 50`);
  if (!(r.loadedP99Ms <= 250)) missed.push(`loadedP99Ms ${r.loadedP99Ms} > 250`);
  if (r.workOrders !== r.episodes) missed.push(`workOrders ${r.workOrders} != episodes ${r.episodes}`);
  return missed;
}

interface LiveFrame {
  id: number;
  type: string;
  data: Record<string, unknown>;
}

/** A client of /api/live that hands frames to whoever waits for them; `at` is when the frame was read. */
class LiveClient {
  private readonly waiters = new Set<{ match: (f: LiveFrame) => boolean; resolve: (r: { frame: LiveFrame; at: number }) => void }>();
  private constructor(
    private readonly socket: WebSocket,
    private readonly timeoutMs: number,
  ) {
    socket.on('message', (raw) => {
      const at = performance.now();
      const frame = JSON.parse(String(raw)) as LiveFrame;
      for (const w of this.waiters) {
        if (!w.match(frame)) continue;
        this.waiters.delete(w);
        w.resolve({ frame, at });
      }
    });
  }

  static async connect(url: string, timeoutMs: number): Promise<LiveClient> {
    const socket = new WebSocket(url);
    const client = new LiveClient(socket, timeoutMs);
    const hello = client.next((f) => f.type === 'live.hello', 'live.hello');
    socket.once('close', (code, reason) => log(`live socket closed: ${code} ${String(reason)}`));
    await hello;
    return client;
  }

  /** The next frame that matches; register before causing it. */
  next(match: (f: LiveFrame) => boolean, what: string): Promise<{ frame: LiveFrame; at: number }> {
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (r: { frame: LiveFrame; at: number }) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no ${what} frame within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiters.add(waiter);
    });
  }

  close(): void {
    this.socket.removeAllListeners('close');
    this.socket.close();
  }
}

async function post(hub: HubProcess, route: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${hub.url}${route}`, { method: 'POST', headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${route}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * What else went on while a phase ran: how fast the hub's event loop answers
 * (GET /api/health touches no database) and the database server a trivial query
 * (from this process, whose event loop is idle), every 250 ms; and who used the CPU.
 */
async function monitor(hub: HubProcess, client: pg.Client, otherPids: () => number[]): Promise<{ stop: (name: string) => Promise<void> }> {
  // The hub's pool opens and closes connections as it goes: those opened during the phase count in full.
  const backends = async () => (await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows.map((r) => r.pid);
  const pidsOf = async () => ({ hub: [hub.child.pid!], database: await backends(), generators: otherPids() });
  const cpuOf = (pids: Record<string, number[]>) => new Map(Object.values(pids).flat().map((pid) => [pid, cpuSeconds(pid)]));
  const cpu0 = cpuOf(await pidsOf());
  const machine0 = machineCpuSeconds();
  const t0 = performance.now();
  const health: number[] = [];
  const select1: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      let t = performance.now();
      if (!(await fetch(`${hub.url}/api/health`).then((r) => r.arrayBuffer(), () => undefined))) break;
      health.push(performance.now() - t);
      t = performance.now();
      if (!(await client.query('SELECT 1').catch(() => undefined))) break;
      select1.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    stop: async (name: string) => {
      running = false;
      await loop;
      const seconds = (performance.now() - t0) / 1000;
      const pids = await pidsOf();
      const cpu1 = cpuOf(pids);
      const machine1 = machineCpuSeconds();
      const cores = (k: keyof typeof pids) => (pids[k].reduce((sum, pid) => sum + Math.max(0, (cpu1.get(pid) ?? 0) - (cpu0.get(pid) ?? 0)), 0) / seconds).toFixed(2);
      const busy = machine1.busy - machine0.busy;
      const ncores = Math.round((machine1.total - machine0.total) / seconds);
      log(
        `${name}: hub GET /api/health p50 ${ms(percentile(health, 50))} / p99 ${ms(percentile(health, 99))} ms; database SELECT 1 p50 ${ms(percentile(select1, 50))} / p99 ${ms(percentile(select1, 99))} ms; ` +
          `CPU in cores: hub ${cores('hub')}, its database connections ${cores('database')}, generators ${cores('generators')}, whole machine ${(busy / seconds).toFixed(2)} of ${ncores}`,
      );
    },
  };
}

/**
 * Where the time of each sample went, from what the hub stored: the episode's raised_at
 * is the engine's clock when the rule was evaluated (after the point was durably written),
 * the live event's `at` is now() of the alarm transaction (its BEGIN), the work order's
 * created_at the moment the work-order step began inside it. Same machine, same clock.
 */
async function breakdown(client: pg.Client, name: string, samples: Sample[]): Promise<void> {
  const { rows } = await client.query<{ id: string; raised: number; began: number; wo: number | null }>(
    `SELECT e.id, extract(epoch FROM e.raised_at) * 1000 AS raised, extract(epoch FROM l.at) * 1000 AS began, extract(epoch FROM w.created_at) * 1000 AS wo
       FROM alarm_episodes e
       JOIN live_events l ON l.type = 'alarm.raised' AND (l.data->>'episodeId')::bigint = e.id
       LEFT JOIN work_orders w ON w.id = e.work_order_id
      WHERE e.id = ANY($1::bigint[])`,
    [samples.map((s) => s.episodeId)],
  );
  const byId = new Map(rows.map((r) => [Number(r.id), { raised: Number(r.raised), began: Number(r.began), wo: r.wo === null ? null : Number(r.wo) }]));
  const parts: Record<string, number[]> = { 'publish→evaluated': [], 'evaluated→tx begin': [], 'tx begin→work order': [], 'work order→frame': [] };
  for (const s of samples) {
    const h = byId.get(s.episodeId);
    if (!h) continue;
    parts['publish→evaluated'].push(h.raised - s.publishedAt);
    parts['evaluated→tx begin'].push(h.began - h.raised);
    if (h.wo !== null) {
      parts['tx begin→work order'].push(h.wo - h.began);
      parts['work order→frame'].push(s.receivedAt - h.wo);
    }
  }
  const line = Object.entries(parts)
    .map(([k, v]) => `${k} p50 ${ms(percentile(v, 50))} / p99 ${ms(percentile(v, 99))}`)
    .join('; ');
  log(`${name} breakdown (ms, clock resolution 1 ms): ${line}`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench:alarms failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
