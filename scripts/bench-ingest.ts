/**
 * npm run bench:ingest — simulated agents publish telemetry to the broker, the
 * hub (its own process) ingests into the real PostgreSQL server; then the same
 * points are written straight into the same table with COPY, the raw ceiling.
 * Prints progress to stderr and one final JSON line to stdout.
 *
 * Options (environment): BENCH_SECONDS (36), BENCH_AGENTS (32), BENCH_GENERATORS (2),
 * BENCH_DEVICES (20 per agent), BENCH_METRICS (10), BENCH_BATCH (1000 points),
 * BENCH_WINDOW (8 unacknowledged batches per agent). The hub uses its embedded broker.
 * For diagnosis: BENCH_CPU_PROFILE=dir (a CPU profile of the hub), BENCH_HUB_NODE_OPTIONS (extra node
 * flags for the hub, e.g. `--heap-prof` or `--import ./memory-logger.mjs`).
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import pino from 'pino';
import { provisionAgent } from '../hub/src/broker/index.js';
import { openDatabase } from '../hub/src/db/database.js';
import { migrate } from '../hub/src/db/migrator.js';
import { upsertBuilding, upsertSite } from '../hub/src/records/index.js';
import { createDatabase, log, onExit, ROOT, spawnHub } from './bench/bench-support.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const seconds = env('BENCH_SECONDS', 36);
const agentCount = env('BENCH_AGENTS', 32);
const generators = env('BENCH_GENERATORS', 2);
const devices = env('BENCH_DEVICES', 20);
const metrics = env('BENCH_METRICS', 10);
const batch = env('BENCH_BATCH', 1000);
const window = env('BENCH_WINDOW', 8);

async function main(): Promise<void> {
  const database = await createDatabase('warden_bench_ingest');
  const cleanups: (() => Promise<void>)[] = [() => database.drop()];
  const cleanup = onExit(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  try {
    log(`database ${database.name}; provisioning ${agentCount} agents`);
    const silent = pino({ level: 'silent' });
    const db = await openDatabase({ url: database.url, dataDir: '', poolSize: 2, logger: silent });
    await migrate(db, silent);
    await upsertSite(db, { id: 'bench', name: 'Bench estate' });
    await upsertBuilding(db, { id: 'bench-b', siteId: 'bench', name: 'Bench building' });
    const agents: { id: string; secret: string }[] = [];
    for (let i = 0; i < agentCount; i++) agents.push(await provisionAgent(db, { id: `bench-agent-${i}`, siteId: 'bench', buildingId: 'bench-b' }));
    await db.close();

    const hub = await spawnHub({ DATABASE_URL: database.url, HUB_ID: 'bench' });
    cleanups.push(() => hub.stop());
    log(`hub ready at ${hub.url} (pid ${hub.child.pid}); ${generators} generator processes, ${seconds} s, batches of ${batch} points`);

    const perGen = Math.ceil(agentCount / generators);
    const acked: number[] = new Array(generators).fill(0);
    /** When the first generator finished its load (epoch ms): from then on the load eases off. */
    let loadEndMs = Infinity;
    const baseTs = Date.now() - 3_600_000;
    const finished = Array.from({ length: generators }, (_, g) => {
      const spec = { mqttUrl: hub.mqttUrl, site: 'bench', agents: agents.slice(g * perGen, (g + 1) * perGen), devices, metrics, pointsPerBatch: batch, window, durationMs: seconds * 1000, baseTs };
      const child = fork(path.join(ROOT, 'scripts/bench/ingest-load.ts'), [JSON.stringify(spec)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      cleanups.push(async () => void (child.exitCode === null && child.kill('SIGKILL')));
      return new Promise<void>((resolve, reject) => {
        child.on('message', (m: { acked: number; done?: boolean }) => {
          acked[g] = m.acked;
          if (m.done) loadEndMs = Math.min(loadEndMs, Date.now());
        });
        child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`generator ${g} exited with ${code}`))));
      });
    });

    // Sample the hub's stored-points counter each second.
    const samples: { t: number; stored: number }[] = [];
    const start = Date.now();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const stats = await hub.get<{ pointsStored: number; pointsPending: number }>('/api/ingest/stats');
        samples.push({ t: (Date.now() - start) / 1000, stored: stats.pointsStored });
        const last = samples.at(-1)!;
        const prev = samples.at(-2);
        if (prev) log(`t=${last.t.toFixed(0)}s stored=${last.stored} (${Math.round((last.stored - prev.stored) / (last.t - prev.t))} points/s), pending=${stats.pointsPending}, peak rss=${hub.peakRssMb()} MiB`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    await Promise.all(finished);
    const sent = acked.reduce((a, b) => a + b, 0);
    sampling = false;
    await sampler;

    // Sustained rate: while the load ran, from the first sample after ingest began (the generators
    // start and send their births first, which takes seconds more on a busy machine) to the last one
    // before the first generator finished.
    const loaded = samples.filter((s) => s.t <= (loadEndMs - start) / 1000);
    const from = loaded.find((s) => s.stored > 0) ?? loaded[0];
    const to = loaded.at(-1)!;
    const pointsPerSec = Math.round((to.stored - from.stored) / (to.t - from.t));
    const hubPeakRssMb = hub.peakRssMb();
    await hub.stop();

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const stored = Number((await client.query('SELECT count(*) AS n FROM telemetry')).rows[0].n);
    // The primary key forbids duplicates; counted anyway, as the issue asks (a hash aggregate: give it memory).
    await client.query(`SET work_mem = '512MB'`);
    const distinct = Number((await client.query('SELECT count(*) AS n FROM (SELECT series_id, ts FROM telemetry GROUP BY series_id, ts) d')).rows[0].n);
    log(`sent (acknowledged) ${sent}, stored ${stored}, distinct ${distinct}; measuring the COPY ceiling`);

    // The raw ceiling: the same rows, out to a file and back into the emptied table with COPY.
    const file = path.join(os.tmpdir(), `${database.name}.copy`);
    cleanups.push(async () => fs.rmSync(file, { force: true }));
    await pipeline(client.query(copyTo('COPY (SELECT series_id, ts, value, value_text, quality FROM telemetry) TO STDOUT')), fs.createWriteStream(file));
    await client.query('TRUNCATE telemetry');
    const copyStart = process.hrtime.bigint();
    await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), client.query(copyFrom('COPY telemetry (series_id, ts, value, value_text, quality) FROM STDIN')));
    const copySeconds = Number(process.hrtime.bigint() - copyStart) / 1e9;
    const ceilingPointsPerSec = Math.round(stored / copySeconds);
    await client.end();

    const result = {
      pointsPerSec,
      ceilingPointsPerSec,
      ratio: Math.round((pointsPerSec / ceilingPointsPerSec) * 100) / 100,
      sent,
      stored,
      duplicates: stored - distinct,
      hubPeakRssMb,
      sustainedSeconds: Math.round(to.t - from.t),
      agents: agentCount,
      pointsPerBatch: batch,
    };
    await cleanup();
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (err) {
    await cleanup();
    throw err;
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:ingest failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
