/**
 * `npm run bench:billing`: one bill run over a large estate, against the real PostgreSQL
 * server. Target: 50,000 units billed in ≤ 60 s, billsCreated == units.
 *
 * Creates a fresh database (dropped at the end, also on error or Ctrl-C), migrates it with
 * the hub's migrations and seeds, server-side with generate_series: BENCH_UNITS units
 * (default 50,000) in BENCH_BUILDINGS buildings (50), each with an area, a layout and an
 * owner, a third of them with a parking space, a water and an electricity meter each, and
 * two shared-area meters per building; four fee items (management fee by area, parking,
 * water, electricity) with estate-wide and per-building rates. The period's meter
 * readings are seeded straight into meter_readings as checked ('ok'): reading telemetry
 * is the reading check's work, not the bill run's, and is measured by the tests.
 *
 * Then it times BillRunService.run (the function behind POST /api/billing/runs) for the
 * whole estate, checks the ledger against the bills, runs the period again (it must make
 * nothing), and prints the result as the last stdout line:
 *   {"units":50000,"seconds":…,"billsCreated":50000}
 *
 * Environment: WARDEN_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_UNITS (50000), BENCH_BUILDINGS (50).
 */
import os from 'node:os';
import pino from 'pino';
import type { SessionUser } from '../hub/src/auth/roles.js';
import { BillRunService } from '../hub/src/billing/bill-run.service.js';
import { openDatabase, type Database } from '../hub/src/db/database.js';
import { migrate } from '../hub/src/db/migrator.js';
import { EventBus } from '../hub/src/events/event-bus.js';
import { cpuSeconds, createDatabase, log, onExit } from './bench/bench-support.js';

const UNITS = Number(process.env.BENCH_UNITS ?? 50_000);
const BUILDINGS = Number(process.env.BENCH_BUILDINGS ?? 50);
const PERIOD = '2026-11';

/** The clerk starting the run: the seeded 'bench' user (id 1 of a fresh database). */
const admin: SessionUser = { id: 1, username: 'bench', displayName: 'Bench', role: 'admin', buildings: [] };

async function seed(db: Database): Promise<void> {
  const perBuilding = Math.ceil(UNITS / BUILDINGS);
  const steps: [string, string, unknown[]][] = [
    ['site and buildings', `
      WITH s AS (INSERT INTO sites (id, name, timezone) VALUES ('bench', 'Bench Estate', 'Asia/Shanghai') RETURNING id)
      INSERT INTO buildings (id, site_id, name) SELECT 'b' || lpad(g::text, 3, '0'), 'bench', 'Tower ' || g FROM generate_series(1, $1) g`, [BUILDINGS]],
    ['bench user', `INSERT INTO users (username, display_name, password_hash, role) VALUES ('bench', 'Bench', '!', 'admin')`, []],
    ['agents', `INSERT INTO agents (id, site_id, building_id, secret_hash) SELECT 'agent-' || id, 'bench', id, 'x' FROM buildings`, []],
    ['units', `
      INSERT INTO units (building_id, number, area_m2, layout, status)
      SELECT 'b' || lpad((1 + (g - 1) / $2)::text, 3, '0'), lpad((1 + (g - 1) % $2)::text, 4, '0'),
             (55 + (g * 37) % 9000 / 100.0)::numeric(10, 2), (ARRAY['1br', '2br', '3br'])[1 + g % 3], 'occupied'
        FROM generate_series(1, $1) g`, [UNITS, perBuilding]],
    ['owners', `
      INSERT INTO owners (name, national_id_enc, national_id_index)
      SELECT 'Owner ' || id, '\\x00'::bytea, decode(md5('bench-' || id), 'hex') FROM units`, []],
    ['unit owners', `
      INSERT INTO unit_owners (unit_id, owner_id, role, from_date, created_by)
      SELECT u.id, o.id, 'owner', '2020-01-01', 'bench' FROM units u JOIN owners o ON o.name = 'Owner ' || u.id`, []],
    ['fee items', `
      INSERT INTO fee_items (code, name, basis, meter_kind, due_days) VALUES
        ('mgmt', 'Management fee', 'area', NULL, 15), ('parking', 'Parking space', 'fixed', NULL, 10),
        ('water', 'Water', 'meter', 'water', 15), ('electricity', 'Electricity', 'meter', 'electricity', 15)`, []],
    ['rates', `
      INSERT INTO fee_rates (fee_item_id, building_id, unit_layout, rate_fen, effective_from, created_by)
      SELECT i.id, NULL, NULL, r.rate, DATE '2026-01-01', 'bench'
        FROM fee_items i JOIN (VALUES ('mgmt', 250.0), ('parking', 15000.0), ('water', 350.5), ('electricity', 56.8)) r (code, rate) ON r.code = i.code
      UNION ALL
      SELECT i.id, b.id, '3br', 280 + (substr(b.id, 2)::int % 5) * 10, DATE '2026-01-01', 'bench'
        FROM fee_items i CROSS JOIN buildings b WHERE i.code = 'mgmt'`, []],
    ['parking spaces', `
      INSERT INTO unit_charges (unit_id, fee_item_id, quantity, from_period, created_by)
      SELECT u.id, i.id, 1 + u.id % 2, '2026-01', 'bench' FROM units u, fee_items i WHERE i.code = 'parking' AND u.id % 3 = 0`, []],
    ['meter devices', `
      INSERT INTO devices (agent_id, code, site_id, building_id, type, name)
      SELECT 'agent-' || u.building_id, k || '-' || u.id, 'bench', u.building_id, 'meter', k || ' meter ' || u.number
        FROM units u CROSS JOIN (VALUES ('wm'), ('em')) kinds (k)
      UNION ALL
      SELECT 'agent-' || b.id, k || '-shared-' || b.id, 'bench', b.id, 'meter', 'shared ' || k FROM buildings b CROSS JOIN (VALUES ('wm'), ('em')) kinds (k)`, []],
    ['meters', `
      INSERT INTO meters (device_id, metric, kind, building_id, unit_id, installed_at, created_by)
      SELECT d.id, 'total', CASE WHEN d.code LIKE 'wm-%' THEN 'water' ELSE 'electricity' END, d.building_id,
             CASE WHEN d.code LIKE '%-shared-%' THEN NULL ELSE substr(d.code, 4)::bigint END, '2026-01-01T00:00:00+08', 'bench'
        FROM devices d`, []],
    ['meter readings (checked)', `
      INSERT INTO meter_readings (meter_id, period, start_value, end_value, consumption, source, status)
      SELECT m.id, $1, 1000, 1000 + c, c, 'telemetry', 'ok'
        FROM meters m CROSS JOIN LATERAL (
          SELECT CASE WHEN m.unit_id IS NULL THEN 500 + m.id % 300 WHEN m.kind = 'water' THEN 3 + (m.id * 7) % 1500 / 100.0 ELSE 80 + (m.id * 13) % 40000 / 100.0 END::numeric(14, 3) AS c) x`, [PERIOD]],
  ];
  for (const [label, sql, values] of steps) {
    const t = performance.now();
    const { rowCount } = await db.query(sql, values);
    log(`seeded ${label}: ${rowCount ?? 0} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  await db.query('ANALYZE');
}

async function main(): Promise<void> {
  const database = await createDatabase('warden_bench_billing');
  let db: Database | undefined;
  const cleanup = onExit(async () => {
    await db?.close().catch(() => {});
    await database.drop();
    log(`dropped database ${database.name}`);
  });
  try {
    // BENCH_LOG=debug shows the run's phase timings.
    const logger = pino({ level: process.env.BENCH_LOG ?? 'warn' }, pino.destination(2));
    db = await openDatabase({ url: database.url, dataDir: '.', poolSize: 4, logger });
    await migrate(db, logger);
    await seed(db);
    const runs = new BillRunService(db, new EventBus(), logger, 'bench-hub');

    // Other work on the machine slows the run down: say how busy it was.
    log(`billing ${PERIOD} for ${UNITS} units (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`);
    // The server's CPU time for the run (its backends', read from /proc): on a busy machine
    // the wall time says as much about the other work as about the run.
    const backends = async () => (await db!.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()')).rows.map((r) => r.pid);
    await Promise.all(Array.from({ length: 4 }, () => db!.query('SELECT 1'))); // open the pool's connections before measuring
    const cpuBefore = new Map((await backends()).map((pid) => [pid, cpuSeconds(pid)]));
    const started = performance.now();
    const run = await runs.run(admin, { period: PERIOD, issuedOn: '2026-12-01' });
    const seconds = (performance.now() - started) / 1000;
    const serverCpu = (await backends()).reduce((sum, pid) => sum + cpuSeconds(pid) - (cpuBefore.get(pid) ?? 0), 0);
    log(`run ${run.id}: ${run.billsCreated} bills, ${run.totalFen} fen, ${run.unitsSkipped} skipped, in ${seconds.toFixed(1)} s (server CPU ${serverCpu.toFixed(1)} s, load average ${os.loadavg()[0].toFixed(1)})`);

    const check = (await db.query<{ bills: string; totals: string; charges: string; lines: string }>(
      `SELECT (SELECT count(*) FROM bills)::text AS bills, (SELECT sum(total_fen) FROM bills)::text AS totals,
              (SELECT sum(amount_fen) FROM ledger_entries WHERE kind = 'charge')::text AS charges, (SELECT count(*) FROM bill_lines)::text AS lines`,
    )).rows[0];
    log(`ledger: ${check.bills} bills, ${check.lines} lines, bill totals ${check.totals} fen, charges ${check.charges} fen${check.totals === check.charges ? ' (equal)' : ' (DIFFERENT)'}`);
    if (check.totals !== check.charges) throw new Error('the ledger charges do not add up to the bill totals');

    const rerun = await runs.run(admin, { period: PERIOD });
    log(`re-run ${rerun.id}: created ${rerun.billsCreated}, existing ${rerun.billsExisting}`);
    process.stdout.write(`${JSON.stringify({ rerun: { billsCreated: rerun.billsCreated, billsExisting: rerun.billsExisting } })}\n`);
    process.stdout.write(`${JSON.stringify({ units: UNITS, seconds: Number(seconds.toFixed(2)), billsCreated: run.billsCreated })}\n`);
  } finally {
    await cleanup();
  }
}

main().catch((err: Error) => {
  log(`bench failed: ${err.stack ?? err.message}`);
  process.exitCode = 1;
});
