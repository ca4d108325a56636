import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { decodeKey32 } from '../config.js';
import type { Queryable } from '../db/database.js';
import type { RecordsCipher } from './records-cipher.js';

/** File name of a generated key inside DATA_DIR. */
export const GENERATED_KEY_FILE = 'records-encryption.key';
const KEY_CHECK = 'records.key_check';

export interface RecordsKeyOptions {
  /** RECORDS_ENCRYPTION_KEY as configured (already validated by the config schema). */
  configured?: string;
  dataDir: string;
  /** DATABASE_URL is set: other hubs may share the database, and so must share the key. */
  sharedDatabase: boolean;
}

export type RecordsKeySource = 'config' | 'data-dir' | 'generated' | 'memory';

/**
 * The master key of the owners' personal data.
 *
 * RECORDS_ENCRYPTION_KEY when set (production: a PostgreSQL server, several hubs).
 * Otherwise a key generated once per data folder (`DATA_DIR/records-encryption.key`,
 * mode 0600), so `npm start` and the tests work with nothing to configure: the demo's
 * key lives beside the demo's database, which is no protection against someone holding
 * the folder, and says so in the log when the database is a server. With
 * `DATA_DIR=memory://` the key lives in memory, as the database does.
 * The key itself is never logged.
 */
export async function loadRecordsKey(options: RecordsKeyOptions, logger: Logger): Promise<{ key: Buffer; source: RecordsKeySource }> {
  if (options.configured !== undefined) {
    const key = decodeKey32(options.configured);
    if (!key) throw new Error('RECORDS_ENCRYPTION_KEY: expected 32 bytes as 64 hex digits or as base64');
    return { key, source: 'config' };
  }
  if (options.dataDir.startsWith('memory://')) return { key: randomBytes(32), source: 'memory' };

  const file = path.resolve(options.dataDir, GENERATED_KEY_FILE);
  let source: RecordsKeySource = 'data-dir';
  let key = await readKeyFile(file);
  if (!key) {
    await fs.mkdir(path.dirname(file), { recursive: true });
    // Written aside, then linked into place: two hubs starting on one folder end up with the same key.
    const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await fs.writeFile(draft, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    try {
      await fs.link(draft, file);
      source = 'generated';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await fs.unlink(draft).catch(() => {});
    }
    key = await readKeyFile(file);
    if (!key) throw new Error(`${file}: not a 32-byte key; set RECORDS_ENCRYPTION_KEY or remove the file`);
  }
  if (options.sharedDatabase) {
    logger.warn(
      { file },
      'RECORDS_ENCRYPTION_KEY is not set: owners\' personal data is encrypted with the key in this file. Every hub on this database needs the same key: set RECORDS_ENCRYPTION_KEY and keep it safe.',
    );
  } else if (source === 'generated') {
    logger.info({ file }, 'generated the records encryption key (set RECORDS_ENCRYPTION_KEY to choose one)');
  }
  return { key, source };
}

async function readKeyFile(file: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const key = decodeKey32(text);
  if (!key) throw new Error(`${file}: not a 32-byte key; set RECORDS_ENCRYPTION_KEY or remove the file`);
  return key;
}

/**
 * Records the key's check value on first use and refuses a different key afterwards:
 * data sealed under two keys would be half unreadable, and a blind index under a new
 * key would let duplicates in. Serialised by the primary key of system_info.
 */
export async function verifyRecordsKey(db: Queryable, cipher: RecordsCipher): Promise<void> {
  const check = cipher.keyCheck();
  await db.query('INSERT INTO system_info (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [KEY_CHECK, check]);
  const { rows } = await db.query<{ value: string }>('SELECT value FROM system_info WHERE key = $1', [KEY_CHECK]);
  const stored = Buffer.from(rows[0]?.value ?? '');
  const mine = Buffer.from(check);
  if (stored.length !== mine.length || !timingSafeEqual(stored, mine)) {
    throw new Error(
      'RECORDS_ENCRYPTION_KEY: this database\'s owner records were encrypted with a different key. Start every hub with the key the database was first used with.',
    );
  }
}
