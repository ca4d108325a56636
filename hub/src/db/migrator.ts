import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Database, StoragePath } from './database.js';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/** Arbitrary constant shared by every hub: the key of the migration advisory lock. */
const MIGRATION_LOCK_KEY = 7_311_420_001;

/**
 * A migration file is `NNNN_name.sql` (always applied), `NNNN_name.postgres.sql`
 * (only on plain PostgreSQL/PGlite) or `NNNN_name.timescale.sql` (only where the
 * timescaledb extension is present). A first line `-- warden:no-transaction`
 * runs it outside a transaction (TimescaleDB continuous aggregates need that).
 */
export interface Migration {
  id: string;
  file: string;
  only?: StoragePath;
  sql: string;
  transactional: boolean;
}

const FILE_PATTERN = /^(\d{4}_[a-z0-9_]+)(?:\.(postgres|timescale))?\.sql$/;

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_PATTERN.exec(file);
    if (!match) throw new Error(`migration file ${file} does not match NNNN_name[.postgres|.timescale].sql`);
    const sql = await fs.readFile(path.join(dir, file), 'utf8');
    migrations.push({
      id: match[1],
      file,
      only: match[2] === 'timescale' ? 'timescaledb' : match[2] === 'postgres' ? 'postgres' : undefined,
      sql,
      transactional: !sql.startsWith('-- warden:no-transaction'),
    });
  }
  return migrations;
}

/**
 * Applies pending migrations, forward only, under a session advisory lock so
 * several hubs starting together apply each migration exactly once. Decides the
 * storage path once (first start) and records it; later starts keep it.
 */
export async function migrate(db: Database, logger: Logger, dir = MIGRATIONS_DIR): Promise<{ applied: string[]; storage: StoragePath }> {
  const migrations = await readMigrations(dir);
  return db.withClient(async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        id text PRIMARY KEY,
        file text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now())`);
      await client.query(`CREATE TABLE IF NOT EXISTS system_info (
        key text PRIMARY KEY,
        value text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now())`);
      const storage = await decideStorage(client, logger);
      db.storage = storage;
      const done = new Set((await client.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
      const applied: string[] = [];
      for (const m of migrations) {
        if (done.has(m.id) || (m.only && m.only !== storage)) continue;
        logger.info({ migration: m.file }, 'applying migration');
        if (m.transactional) await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (id, file) VALUES ($1, $2)', [m.id, m.file]);
          if (m.transactional) await client.query('COMMIT');
        } catch (err) {
          if (m.transactional) await client.query('ROLLBACK').catch(() => {});
          throw new Error(`migration ${m.file} failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(m.file);
      }
      return { applied, storage };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    }
  });
}

async function decideStorage(client: pg.PoolClient, logger: Logger): Promise<StoragePath> {
  const recorded = await client.query<{ value: StoragePath }>(`SELECT value FROM system_info WHERE key = 'storage'`);
  const available = await client.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'`);
  if (recorded.rows.length) {
    const storage = recorded.rows[0].value;
    if (storage === 'timescaledb' && !available.rows.length) {
      throw new Error('this database was set up with TimescaleDB, but the timescaledb extension is no longer available');
    }
    return storage;
  }
  let storage: StoragePath = 'postgres';
  if (available.rows.length) {
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
      storage = 'timescaledb';
    } catch (err) {
      // Typically: the library is installed but not in shared_preload_libraries.
      logger.warn({ err: (err as Error).message }, 'timescaledb is installed but cannot be enabled; using plain PostgreSQL partitions');
    }
  }
  await client.query(`INSERT INTO system_info (key, value) VALUES ('storage', $1)`, [storage]);
  return storage;
}
