/**
 * `npm run bench:query`: query latency of the telemetry history and the
 * building latest-values view on a realistic volume, against the real
 * PostgreSQL server (plain partitioned storage path).
 *
 * Creates a fresh database (dropped at the end, also on error or Ctrl-C),
 * migrates it with the hub's migrations, loads 40 buildings × 10 devices × 5
 * metrics = 2,000 series at one reading a minute for 7 days (≈ 20.2 M rows,
 * generated server-side into UNLOGGED partitions: no WAL for a throw-away
 * database), builds the rollups with the rollup job's own SQL
 * (rollUpMinutes/rollUpHours, a day per statement, two connections in
 * parallel), fills latest_values and ANALYZEs. Then it measures, over random devices and metrics:
 *   - a 7-day hourly trend of one metric through HistoryService.query, the
 *     function behind GET /api/devices/:id/history (no HTTP);
 *   - the latest values of all devices of one building: the SQL behind
 *     GET /api/buildings/:id/latest (copied from hub/src/devices/devices.routes.ts).
 * Progress goes to stderr; the last stdout line is the JSON result.
 *
 * Environment: WARDEN_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_DAYS (7), BENCH_BUILDINGS (40), BENCH_REPEAT (500).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import type { SessionUser } from '../hub/src/auth/roles.js';
import { openDatabase, type Database } from '../hub/src/db/database.js';
import { migrate } from '../hub/src/db/migrator.js';
import { HistoryService, RollupMaintainer, rollUpHours, rollUpMinutes } from '../hub/src/telemetry/index.js';

const SERVER_URL = process.env.WARDEN_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DAYS = Number(process.env.BENCH_DAYS ?? 7);
const BUILDINGS = Number(process.env.BENCH_BUILDINGS ?? 40);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 500);
const DEVICES_PER_BUILDING = 10;
const WORKERS = 2;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Metric name, base value, daily swing, noise; 'running' is a boolean (0/1). */
const METRICS: [string, 'number' | 'boolean', number, number, number][] = [
  ['temperature', 'number', 22, 3, 0.5],
  ['humidity', 'number', 45, 10, 2],
  ['power', 'number', 12, 8, 1.5],
  ['co2', 'number', 600, 250, 40],
  ['running', 'boolean', 0, 0, 0],
];

/** The query behind GET /api/buildings/:id/latest, as in hub/src/devices/devices.routes.ts. */
const LATEST_BUILDING_SQL = `SELECT m.device_id, m.name AS metric, m.unit, m.type, l.value, l.value_text, l.ts
                        FROM device_metrics m LEFT JOIN latest_values l ON l.series_id = m.id JOIN devices d ON d.id = m.device_id WHERE d.building_id = $1 ORDER BY m.device_id, m.name`;

const log = (msg: string) => process.stderr.write(`[bench:query] ${msg}\n`);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

const dbName = `warden_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const dbUrl = SERVER_URL.replace(/\/[^/?]*(\?|$)/, `/${dbName}$1`);
let db: Database | undefined;
let created = false;
let cleaning: Promise<void> | undefined;
let interrupted = false;

async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: SERVER_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    // Drop first: FORCE ends the connections still busy loading, which closing the pool would wait for.
    if (created) {
      await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
        .then(() => log(`dropped database ${dbName}`))
        .catch((err: Error) => log(`could not drop ${dbName}: ${err.message}`));
    }
    await db?.close().catch(() => {});
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = true;
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** Runs `work` for each item on `n` connections in parallel. */
async function onConnections<T>(items: T[], n: number, work: (client: pg.PoolClient, item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: n }, async () => {
      const client = await db!.pool.connect();
      try {
        // Bulk-load session settings: the sorts of a whole day stay in memory; commits need not wait for the WAL flush.
        await client.query(`SET synchronous_commit = off`);
        await client.query(`SET work_mem = '256MB'`);
        for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(client, item);
      } finally {
        client.release();
      }
    }),
  );
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timed(label: string, repeat: number, run: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await run(i); // warm-up: plans, caches
  const samples: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    await run(i);
    samples.push(performance.now() - t);
  }
  const [p50, p95, p99] = [50, 95, 99].map((p) => percentile(samples, p));
  log(`${label}: n=${repeat} p50=${p50.toFixed(2)} ms p95=${p95.toFixed(2)} ms p99=${p99.toFixed(2)} ms max=${Math.max(...samples).toFixed(2)} ms`);
  return p95;
}

async function main(): Promise<void> {
  const started = performance.now();
  await adminQuery(`CREATE DATABASE ${dbName}`);
  created = true;
  log(`created database ${dbName}`);
  const logger = pino({ level: 'silent' });
  db = await openDatabase({ url: dbUrl, dataDir: '.', poolSize: WORKERS + 2, logger });
  await migrate(db, logger);

  // ---------------------------------------------------------------- estate
  const series = BUILDINGS * DEVICES_PER_BUILDING * METRICS.length;
  await db.query(`INSERT INTO sites (id, name) VALUES ('bench', 'Bench estate')`);
  await db.query(`INSERT INTO buildings (id, site_id, name) SELECT 'b' || b, 'bench', 'Building ' || b FROM generate_series(1, $1) AS b`, [BUILDINGS]);
  await db.query(`INSERT INTO agents (id, site_id, building_id, secret_hash) SELECT 'agent-b' || b, 'bench', 'b' || b, 'x' FROM generate_series(1, $1) AS b`, [BUILDINGS]);
  await db.query(
    `INSERT INTO devices (agent_id, code, site_id, building_id, type, name, online)
     SELECT 'agent-b' || b, 'dev-' || d, 'bench', 'b' || b, 'sensor.env', 'Sensor ' || b || '-' || d, true
       FROM generate_series(1, $1) AS b, generate_series(1, $2) AS d ORDER BY b, d`,
    [BUILDINGS, DEVICES_PER_BUILDING],
  );
  await db.query(
    `INSERT INTO device_metrics (device_id, name, type, unit)
     SELECT d.id, m.name, m.type, NULLIF(m.unit, '') FROM devices d,
            unnest($1::text[], $2::text[], $3::text[]) AS m(name, type, unit)
      ORDER BY d.id, m.name`,
    [METRICS.map((m) => m[0]), METRICS.map((m) => m[1]), ['Cel', '%', 'kW', 'ppm', '']],
  );

  // ------------------------------------------------------------ raw telemetry
  const end = Math.floor(Date.now() / MINUTE) * MINUTE;
  const start = end - DAYS * DAY;
  const days: number[] = [];
  for (let d = Math.floor(start / DAY) * DAY; d < end; d += DAY) days.push(d);
  await db.query(`SELECT warden_ensure_telemetry_partition(d::date) FROM unnest($1::text[]) AS d`, [days.map((d) => new Date(d).toISOString().slice(0, 10))]);
  // A throw-away database needs no crash safety: without WAL the load takes about half the time, and
  // reads are the same (same pages, same indexes).
  await db.query(`DO $$
    DECLARE t text;
    BEGIN
      FOR t IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'telemetry'::regclass LOOP
        EXECUTE format('ALTER TABLE %I SET UNLOGGED', t);
      END LOOP;
      ALTER TABLE telemetry_1m SET UNLOGGED;
      ALTER TABLE telemetry_1h SET UNLOGGED;
    END $$`);
  let t = performance.now();
  log(`loading ${series} series × ${DAYS} days at 1/min (≈ ${((series * DAYS * 1440) / 1e6).toFixed(1)} M rows) and rolling them up, a day at a time on ${WORKERS} connections…`);
  await onConnections(days, WORKERS, async (client, day) => {
    const from = Math.max(day, start);
    const to = Math.min(day + DAY, end);
    const t0 = performance.now();
    // Each series reads at its own second of the minute (as real devices do), in series order so the
    // primary key index grows at its right edge; values follow a daily cycle plus noise.
    const { rowCount } = await client.query(
      `INSERT INTO telemetry (series_id, ts, value)
       SELECT s.id, ts,
              CASE WHEN s.type = 'boolean' THEN (random() < 0.7)::int
                   ELSE round(100 * (s.base + s.swing * sin(2 * pi() * date_part('epoch', ts) / 86400 + s.id) + s.noise * (random() - 0.5))) / 100 END
         FROM (SELECT m.id, p.* FROM device_metrics m
                 JOIN unnest($3::text[], $4::text[], $5::float8[], $6::float8[], $7::float8[]) AS p(name, type, base, swing, noise) ON p.name = m.name
                ORDER BY m.id) AS s
        CROSS JOIN LATERAL generate_series($1::timestamptz + make_interval(secs => s.id % 60), $2::timestamptz - interval '1 microsecond', interval '1 minute') AS ts`,
      [new Date(from), new Date(to), ...[0, 1, 2, 3, 4].map((i) => METRICS.map((m) => m[i]))],
    );
    const t1 = performance.now();
    // The rollup job's own statements, over the whole day at once (its hours are whole).
    const changed = await rollUpMinutes(client, new Date(Math.floor(from / HOUR) * HOUR), new Date(Math.ceil(to / HOUR) * HOUR), null);
    await rollUpHours(client, new Date(Math.floor(from / HOUR) * HOUR), new Date(Math.ceil(to / HOUR) * HOUR), changed);
    log(`  ${new Date(day).toISOString().slice(0, 10)}: ${rowCount} rows loaded in ${seconds(t0)}, rolled up in ${seconds(t1)}`);
  });
  const rows = (await db.query<{ n: number }>('SELECT count(*)::bigint AS n FROM telemetry')).rows[0].n;
  log(`loaded and rolled up ${rows} rows in ${seconds(t)}`);
  // The job itself then finds nothing queued and records its watermark (the raw tail begins there).
  await new RollupMaintainer(db, logger).runOnce();
  await db.query(
    `INSERT INTO latest_values (series_id, ts, value)
     SELECT DISTINCT ON (series_id) series_id, ts, value FROM telemetry WHERE ts >= $1 ORDER BY series_id, ts DESC`,
    [new Date(end - 5 * MINUTE)],
  );
  t = performance.now();
  await db.query('ANALYZE');
  log(`ANALYZE in ${seconds(t)}; load total ${seconds(started)}`);

  // ------------------------------------------------------------------ measure
  const devices = (await db.query<{ id: number; building_id: string }>('SELECT id, building_id FROM devices ORDER BY id')).rows;
  const history = new HistoryService(db, { retentionDays: 90, maxRangeDays: 400 });
  const user: SessionUser = { id: 1, username: 'bench', displayName: 'Bench', role: 'admin', buildings: [] };
  const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)];

  const sample = await history.query(user, devices[0].id, { metric: 'temperature', from: new Date(Date.now() - 7 * DAY).toISOString(), bucket: '1h' });
  log(`a 7-day hourly trend: ${sample.points.length} points from ${sample.source}`);
  const trendP95 = await timed('7-day hourly trend (HistoryService.query)', REPEAT, async () => {
    const to = Date.now();
    await history.query(user, pick(devices).id, { metric: pick(METRICS)[0], from: new Date(to - 7 * DAY).toISOString(), to: new Date(to).toISOString(), bucket: '1h' });
  });
  const latestP95 = await timed('latest values of one building (route SQL)', REPEAT, async () => {
    await db!.query(LATEST_BUILDING_SQL, [`b${1 + Math.floor(Math.random() * BUILDINGS)}`]);
  });
  const plan = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${LATEST_BUILDING_SQL}`, ['b1']);
  log(`latest-values plan:\n${plan.rows.map((r) => `    ${r['QUERY PLAN']}`).join('\n')}`);

  await cleanup();
  process.stdout.write(`${JSON.stringify({ rows, trend7dHourlyP95Ms: round2(trendP95), latestBuildingP95Ms: round2(latestP95) })}\n`);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

main().catch(async (err: Error) => {
  if (interrupted) return; // the signal handler cleans up and exits
  log(`failed: ${err.stack ?? err.message}`);
  await cleanup();
  process.exit(1);
});
