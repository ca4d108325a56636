import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { openDatabase, type Database } from './database.js';
import { migrate, readMigrations } from './migrator.js';

const logger = pino({ level: 'silent' });

describe('migrations', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function open(test: TestDatabase): Promise<Database> {
    const db = await openDatabase({ url: test.url, dataDir: 'memory://', poolSize: 4, logger });
    cleanup.push(() => db.close());
    return db;
  }

  it('reads numbered files, choosing the variant for the storage path', async () => {
    const migrations = await readMigrations();
    expect(migrations[0].id).toBe('0001_core');
    const telemetry = migrations.filter((m) => m.id === '0002_telemetry');
    expect(telemetry.map((m) => m.only).sort()).toEqual(['postgres', 'timescaledb']);
    expect(telemetry.find((m) => m.only === 'timescaledb')!.transactional).toBe(false);
  });

  it('refuses a file that does not follow the naming rule', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'warden-mig-'));
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    await fs.writeFile(path.join(dir, 'add-things.sql'), 'SELECT 1');
    await expect(readMigrations(dir)).rejects.toThrow(/add-things.sql does not match/);
  });

  it('applies every migration once on PGlite, and nothing on a second start', async () => {
    const test = await createTestDatabase('pglite');
    const db = await open(test);
    const first = await migrate(db, logger);
    expect(first.storage).toBe('postgres');
    expect(first.applied).toContain('0001_core.sql');
    expect(first.applied).not.toContain('0002_telemetry.timescale.sql');
    expect((await migrate(db, logger)).applied).toEqual([]);
  });

  it('applies each migration exactly once when two hubs start together on PostgreSQL', async () => {
    const test = await createTestDatabase('postgres');
    cleanup.push(() => test.drop());
    const [a, b] = [await open(test), await open(test)];
    const [ra, rb] = await Promise.all([migrate(a, logger), migrate(b, logger)]);
    const all = [...ra.applied, ...rb.applied].sort();
    expect(all).toEqual([...new Set(all)]);
    expect(all.length).toBe((await readMigrations()).filter((m) => m.only !== 'timescaledb').length);
    const { rows } = await a.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
    expect(rows[0].n).toBe(all.length);
  });

  it('rolls back a failing migration and names it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'warden-mig-'));
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    await fs.writeFile(path.join(dir, '0001_good.sql'), 'CREATE TABLE good (id int);');
    await fs.writeFile(path.join(dir, '0002_bad.sql'), 'CREATE TABLE half (id int); SELECT no_such_function();');
    const db = await open(await createTestDatabase('pglite'));
    await expect(migrate(db, logger, dir)).rejects.toThrow(/migration 0002_bad.sql failed: .*no_such_function/);
    expect((await db.query(`SELECT to_regclass('good') AS t`)).rows[0].t).toBe('good');
    expect((await db.query(`SELECT to_regclass('half') AS t`)).rows[0].t).toBeNull();
  });
});
