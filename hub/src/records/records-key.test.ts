import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import type { Queryable } from '../db/database.js';
import { RecordsCipher } from './records-cipher.js';
import { GENERATED_KEY_FILE, loadRecordsKey, verifyRecordsKey } from './records-key.js';

const silent = pino({ level: 'silent' });

/** system_info as the key check uses it: insert-if-absent and read. */
function fakeSystemInfo(): Queryable {
  const rows = new Map<string, string>();
  return {
    query: (async (text: string, values: unknown[] = []) => {
      if (text.startsWith('INSERT')) {
        if (!rows.has(values[0] as string)) rows.set(values[0] as string, values[1] as string);
        return { rows: [] };
      }
      const value = rows.get(values[0] as string);
      return { rows: value === undefined ? [] : [{ value }] };
    }) as Queryable['query'],
  };
}

describe('records key', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'warden-records-key-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('generates a key in the data folder once (mode 0600), then keeps using it', async () => {
    const first = await loadRecordsKey({ dataDir: dir, sharedDatabase: false }, silent);
    const second = await loadRecordsKey({ dataDir: dir, sharedDatabase: false }, silent);
    expect(first.source).toBe('generated');
    expect(second.source).toBe('data-dir');
    expect(second.key.equals(first.key)).toBe(true);
    const stat = await fs.stat(path.join(dir, GENERATED_KEY_FILE));
    expect(stat.mode & 0o777).toBe(0o600);
  });

  it('agrees on one key when two hubs generate it at once', async () => {
    const keys = await Promise.all([1, 2, 3].map(() => loadRecordsKey({ dataDir: dir, sharedDatabase: false }, silent)));
    expect(keys.every((k) => k.key.equals(keys[0].key))).toBe(true);
    expect((await fs.readdir(dir)).filter((f) => f.startsWith(GENERATED_KEY_FILE))).toEqual([GENERATED_KEY_FILE]);
  });

  it('takes RECORDS_ENCRYPTION_KEY as hex or base64, and rejects anything else naming the variable, without echoing it', () => {
    const key = randomBytes(32);
    expect(loadConfig({ RECORDS_ENCRYPTION_KEY: key.toString('hex') }).RECORDS_ENCRYPTION_KEY).toBe(key.toString('hex'));
    expect(loadConfig({ RECORDS_ENCRYPTION_KEY: key.toString('base64') }).RECORDS_ENCRYPTION_KEY).toBe(key.toString('base64'));
    const short = randomBytes(16).toString('base64');
    try {
      loadConfig({ RECORDS_ENCRYPTION_KEY: short });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/RECORDS_ENCRYPTION_KEY: expected 32 bytes/);
      expect((err as Error).message).not.toContain(short);
    }
  });

  it('refuses a key other than the one the database was first used with', async () => {
    const db = fakeSystemInfo();
    const key = randomBytes(32);
    await verifyRecordsKey(db, new RecordsCipher(key));
    await verifyRecordsKey(db, new RecordsCipher(Buffer.from(key)));
    await expect(verifyRecordsKey(db, new RecordsCipher(randomBytes(32)))).rejects.toThrow(/RECORDS_ENCRYPTION_KEY: .*different key/);
  });

  it('seals each value with a fresh IV, bound to its field, and opens only what it sealed', () => {
    const cipher = new RecordsCipher(randomBytes(32));
    const a = cipher.seal('11010519491231002X', 'owner.national_id');
    const b = cipher.seal('11010519491231002X', 'owner.national_id');
    expect(a.equals(b)).toBe(false);
    expect(cipher.open(a, 'owner.national_id')).toBe('11010519491231002X');
    expect(() => cipher.open(a, 'owner.phone')).toThrow();
    const tampered = Buffer.from(a);
    tampered[tampered.length - 1] ^= 1;
    expect(() => cipher.open(tampered, 'owner.national_id')).toThrow();
    expect(cipher.blindIndex('X', 'owner.national_id').equals(cipher.blindIndex('X', 'owner.national_id'))).toBe(true);
    expect(cipher.blindIndex('X', 'owner.national_id').equals(new RecordsCipher(randomBytes(32)).blindIndex('X', 'owner.national_id'))).toBe(false);
  });
});
