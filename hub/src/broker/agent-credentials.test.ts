import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { provisionAgent, verifyAgent } from './agent-credentials.js';
import { captureLogger, openTestDatabase } from './test-support.js';

describe('agent credentials', () => {
  let db: Database;

  beforeAll(async () => {
    db = await openTestDatabase(captureLogger().logger);
  });
  afterAll(async () => {
    await db.close();
  });

  it('provisions an agent, stores only an argon2 hash and audits it without the secret', async () => {
    const { id, secret } = await provisionAgent(db, { id: 'agent-p1', siteId: 'site-a', buildingId: 'bldg-a' }, 'admin');
    expect(id).toBe('agent-p1');
    expect(secret.length).toBeGreaterThanOrEqual(20);

    const { rows } = await db.query<{ site_id: string; building_id: string; secret_hash: string; enabled: boolean }>(
      'SELECT site_id, building_id, secret_hash, enabled FROM agents WHERE id = $1',
      ['agent-p1'],
    );
    expect(rows).toEqual([{ site_id: 'site-a', building_id: 'bldg-a', secret_hash: expect.stringMatching(/^\$argon2id\$/), enabled: true }]);
    expect(rows[0].secret_hash).not.toContain(secret);

    const audit = await db.query<{ actor: string; action: string; target_type: string; target_id: string; details: unknown }>(
      `SELECT actor, action, target_type, target_id, details FROM audit_log WHERE target_id = 'agent-p1'`,
    );
    expect(audit.rows).toEqual([
      { actor: 'admin', action: 'agent.provisioned', target_type: 'agent', target_id: 'agent-p1', details: { siteId: 'site-a', buildingId: 'bldg-a', rotated: false } },
    ]);
    expect(JSON.stringify(audit.rows)).not.toContain(secret);
  });

  it('verifies the right secret and refuses a wrong one or an unknown agent', async () => {
    const { secret } = await provisionAgent(db, { id: 'agent-v1', siteId: 'site-a' });
    expect(await verifyAgent(db, 'agent-v1', secret)).toEqual({ id: 'agent-v1', siteId: 'site-a' });
    // The second check is served from the cache; a wrong secret must still fail after it.
    expect(await verifyAgent(db, 'agent-v1', secret)).toEqual({ id: 'agent-v1', siteId: 'site-a' });
    expect(await verifyAgent(db, 'agent-v1', `${secret}x`)).toBeNull();
    expect(await verifyAgent(db, 'agent-nobody', secret)).toBeNull();
  });

  it('rotates the secret: the old one stops working at once, even though it was cached', async () => {
    const first = await provisionAgent(db, { id: 'agent-r1', siteId: 'site-a' });
    expect(await verifyAgent(db, 'agent-r1', first.secret)).not.toBeNull();
    const second = await provisionAgent(db, { id: 'agent-r1', siteId: 'site-a' }, 'admin');
    expect(second.secret).not.toBe(first.secret);
    expect(await verifyAgent(db, 'agent-r1', first.secret)).toBeNull();
    expect(await verifyAgent(db, 'agent-r1', second.secret)).toEqual({ id: 'agent-r1', siteId: 'site-a' });
    const audit = await db.query<{ details: { rotated: boolean } }>(`SELECT details FROM audit_log WHERE target_id = 'agent-r1' ORDER BY id`);
    expect(audit.rows.map((r) => r.details.rotated)).toEqual([false, true]);
  });

  it('refuses a disabled agent, and a rotation does not re-enable it', async () => {
    const { secret } = await provisionAgent(db, { id: 'agent-d1', siteId: 'site-a' });
    await db.query('UPDATE agents SET enabled = false WHERE id = $1', ['agent-d1']);
    expect(await verifyAgent(db, 'agent-d1', secret)).toBeNull();
    const rotated = await provisionAgent(db, { id: 'agent-d1', siteId: 'site-a' });
    expect(await verifyAgent(db, 'agent-d1', rotated.secret)).toBeNull();
  });

  it('refuses ids unusable in topics, unknown sites, foreign buildings and moving an agent to another site', async () => {
    await expect(provisionAgent(db, { id: 'bad/id', siteId: 'site-a' })).rejects.toMatchObject({ code: 'WARDEN_ERR_VALIDATION' });
    await expect(provisionAgent(db, { id: 'warden-hub-x', siteId: 'site-a' })).rejects.toMatchObject({ code: 'WARDEN_ERR_VALIDATION' });
    await expect(provisionAgent(db, { id: 'agent-x', siteId: 'site-zz' })).rejects.toMatchObject({ code: 'WARDEN_ERR_NOT_FOUND' });
    await db.query(`INSERT INTO sites (id, name) VALUES ('site-b', 'Other estate') ON CONFLICT DO NOTHING`);
    await expect(provisionAgent(db, { id: 'agent-x', siteId: 'site-b', buildingId: 'bldg-a' })).rejects.toMatchObject({ code: 'WARDEN_ERR_VALIDATION' });
    await provisionAgent(db, { id: 'agent-m1', siteId: 'site-a' });
    await expect(provisionAgent(db, { id: 'agent-m1', siteId: 'site-b' })).rejects.toMatchObject({ code: 'WARDEN_ERR_CONFLICT' });
    const { rows } = await db.query(`SELECT id FROM agents WHERE id IN ('bad/id', 'warden-hub-x', 'agent-x')`);
    expect(rows).toEqual([]);
  });
});
