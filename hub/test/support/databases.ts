import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The two database back-ends every integration test runs against: embedded
 * PGlite (in memory) and the real PostgreSQL server. Each test gets a fresh,
 * uniquely named database, so runs never see each other's data.
 */
export const SERVER_URL = process.env.WARDEN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  kind: 'pglite' | 'postgres';
  /** Environment for loadConfig: DATABASE_URL for the server, DATA_DIR=memory:// for PGlite. */
  env: Record<string, string>;
  url?: string;
  drop(): Promise<void>;
}

export const databaseKinds = ['pglite', 'postgres'] as const;

export async function createTestDatabase(kind: 'pglite' | 'postgres'): Promise<TestDatabase> {
  if (kind === 'pglite') return { kind, env: { DATA_DIR: 'memory://' }, drop: async () => {} };
  const name = `warden_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = SERVER_URL.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
  return {
    kind,
    url,
    env: { DATABASE_URL: url },
    drop: async () => {
      const c = new pg.Client({ connectionString: SERVER_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
