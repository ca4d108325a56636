import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';

export type DatabaseKind = 'pglite' | 'postgres';
/** Which telemetry storage the migrations set up: TimescaleDB hypertables or plain partitions. */
export type StoragePath = 'timescaledb' | 'postgres';

export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/**
 * The one database handle every module receives. Both run modes speak the `pg`
 * API: a pool on a real server, or a pool of one over embedded PGlite.
 */
export class Database implements Queryable {
  /** Set by the migrator once it has detected the timescaledb extension. */
  storage: StoragePath = 'postgres';

  constructor(
    readonly pool: pg.Pool,
    readonly kind: DatabaseKind,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(text, values);
  }

  /**
   * Runs fn on one connection of the pool. A connection that breaks meanwhile
   * (server restart, connection cut) emits 'error' on its client, which the pool
   * only listens to while the client is idle: unheard it would crash the process,
   * so it is heard here, and the broken connection is discarded, not reused.
   */
  async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    try {
      return await fn(client);
    } catch (err) {
      // An SQL error leaves the connection usable; anything else (a socket error) may not.
      if (!(err instanceof pg.DatabaseError)) broken ??= err as Error;
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /** Runs fn in a transaction on one connection; rolls back on any error. */
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.withClient((client) => inTransaction(client, () => fn(client)));
  }

  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
    await this.onClose();
  }
}

/**
 * BEGIN … COMMIT around fn on a connection the caller already holds (e.g. one that keeps
 * a session advisory lock across several transactions); rolls back on any error.
 */
export async function inTransaction<T>(client: Queryable, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

export interface OpenDatabaseOptions {
  /** A postgres:// URL; absent means embedded PGlite in dataDir. */
  url?: string;
  dataDir: string;
  poolSize: number;
  logger: Logger;
}

// BIGINT (int8) and NUMERIC come back as strings by default; counts and ids fit a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.url) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      application_name: 'warden-hub',
    });
    // A dropped server connection surfaces here; the pool replaces the client on next use.
    pool.on('error', (err) => options.logger.warn({ err: err.message }, 'database connection lost; the pool will reconnect'));
    await pool.query('SELECT 1');
    return new Database(pool, 'postgres');
  }
  return openPglite(options.dataDir, options.logger);
}

async function openPglite(dataDir: string, logger: Logger): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  let location = dataDir;
  if (!dataDir.startsWith('memory://')) {
    location = path.resolve(dataDir, 'pglite');
    await fs.mkdir(location, { recursive: true });
  }
  const pglite = await PGlite.create(location);
  logger.info({ dataDir: location }, 'embedded PGlite database opened');
  const pool = new pg.Pool(createPgConfig(pglite));
  return new Database(pool, 'pglite', () => pglite.close());
}
