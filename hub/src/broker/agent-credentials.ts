import { createHash, timingSafeEqual } from 'node:crypto';
import { ID_PATTERN } from '@warden/protocols';
import { recordAudit } from '../audit/index.js';
import { generateSecret, hashSecret, verifySecret } from '../auth/passwords.js';
import type { Database, Queryable } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import { HUB_CLIENT_ID_PREFIX } from './topic-acl.js';

/**
 * Agent MQTT credentials: an agent logs in to the broker with its id as the
 * username and a generated secret as the password. Only an argon2 hash of the
 * secret is stored; the clear secret is returned once, when provisioned.
 */

export interface ProvisionAgentInput {
  id: string;
  siteId: string;
  buildingId?: string;
}

export interface ProvisionedAgent {
  id: string;
  /** The clear secret: hand it to the agent now, it cannot be read back. */
  secret: string;
}

export interface VerifiedAgent {
  id: string;
  siteId: string;
}

/**
 * A verified secret stays trusted this long, so a reconnect storm (a site's WAN
 * coming back, a broker restart) costs one argon2 verify per agent rather than
 * one per attempt. Short, because a disable on another hub replica is only seen
 * here once the entry expires (a provision on this hub drops it at once).
 */
const VERIFIED_TTL_MS = 30_000;
/** Bounds the cache against a flood of distinct ids; the oldest entry goes first. */
const MAX_CACHED = 10_000;

interface CachedVerification {
  secretDigest: Buffer;
  siteId: string;
  expiresAt: number;
}

interface VerificationCache {
  verified: Map<string, CachedVerification>;
  /**
   * Bumped whenever an agent's entry is forgotten, so a verify that read the old
   * hash before a rotation cannot put the old secret back into the cache.
   */
  generation: Map<string, number>;
}

// Keyed by database handle: each database (and each test's) has its own agents.
const verificationCaches = new WeakMap<Queryable, VerificationCache>();

function cacheFor(db: Queryable): VerificationCache {
  let cache = verificationCaches.get(db);
  if (!cache) {
    cache = { verified: new Map(), generation: new Map() };
    verificationCaches.set(db, cache);
  }
  return cache;
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Forgets any cached verification of this agent (after a rotation or a disable). */
export function forgetAgentVerification(db: Queryable, id: string): void {
  const cache = cacheFor(db);
  cache.verified.delete(id);
  cache.generation.set(id, (cache.generation.get(id) ?? 0) + 1);
}

/**
 * Creates the agent, or rotates its secret if it exists (the old secret stops
 * working at once on this hub). An existing agent keeps its enabled flag: a
 * rotation must not silently re-enable an agent someone disabled.
 */
export async function provisionAgent(db: Database, input: ProvisionAgentInput, actor = 'system'): Promise<ProvisionedAgent> {
  const { id, siteId, buildingId } = input;
  // The id becomes a topic level (warden/v1/{site}/{agent}/...) and the MQTT username.
  if (!ID_PATTERN.test(id)) throw new WardenError('WARDEN_ERR_VALIDATION', `agent id ${JSON.stringify(id)} must match ${ID_PATTERN}`);
  if (id.startsWith(HUB_CLIENT_ID_PREFIX)) throw new WardenError('WARDEN_ERR_VALIDATION', `agent ids starting with ${HUB_CLIENT_ID_PREFIX} are reserved to the hub's own MQTT clients`);
  if (!ID_PATTERN.test(siteId)) throw new WardenError('WARDEN_ERR_VALIDATION', `site id ${JSON.stringify(siteId)} must match ${ID_PATTERN}`);

  const secret = generateSecret();
  const secretHash = await hashSecret(secret);

  await db.transaction(async (tx) => {
    const site = await tx.query('SELECT 1 FROM sites WHERE id = $1', [siteId]);
    if (!site.rowCount) throw new WardenError('WARDEN_ERR_NOT_FOUND', `site ${siteId} does not exist`);
    if (buildingId !== undefined) {
      const building = await tx.query<{ site_id: string }>('SELECT site_id FROM buildings WHERE id = $1', [buildingId]);
      if (!building.rowCount) throw new WardenError('WARDEN_ERR_NOT_FOUND', `building ${buildingId} does not exist`);
      if (building.rows[0].site_id !== siteId) {
        throw new WardenError('WARDEN_ERR_VALIDATION', `building ${buildingId} belongs to site ${building.rows[0].site_id}, not ${siteId}`);
      }
    }
    const existing = await tx.query<{ site_id: string }>('SELECT site_id FROM agents WHERE id = $1 FOR UPDATE', [id]);
    if (existing.rowCount) {
      // Moving an agent to another site would move its topic prefix and orphan its devices.
      if (existing.rows[0].site_id !== siteId) {
        throw new WardenError('WARDEN_ERR_CONFLICT', `agent ${id} belongs to site ${existing.rows[0].site_id}, not ${siteId}`);
      }
      await tx.query('UPDATE agents SET secret_hash = $2, building_id = COALESCE($3, building_id) WHERE id = $1', [id, secretHash, buildingId ?? null]);
    } else {
      await tx.query('INSERT INTO agents (id, site_id, building_id, secret_hash) VALUES ($1, $2, $3, $4)', [id, siteId, buildingId ?? null, secretHash]);
    }
    await recordAudit(tx, {
      actor,
      action: 'agent.provisioned',
      targetType: 'agent',
      targetId: id,
      details: { siteId, buildingId: buildingId ?? null, rotated: Boolean(existing.rowCount) },
    });
  });
  forgetAgentVerification(db, id);
  return { id, secret };
}

/** Checks an agent's broker login; null for an unknown or disabled agent or a wrong secret. */
export async function verifyAgent(db: Queryable, id: string, secret: string): Promise<VerifiedAgent | null> {
  const { verified, generation } = cacheFor(db);
  const secretDigest = digest(secret);
  const cached = verified.get(id);
  if (cached) {
    if (cached.expiresAt > Date.now() && timingSafeEqual(cached.secretDigest, secretDigest)) return { id, siteId: cached.siteId };
    verified.delete(id);
  }
  const generationAtRead = generation.get(id) ?? 0;

  const { rows } = await db.query<{ site_id: string; secret_hash: string; enabled: boolean }>(
    'SELECT site_id, secret_hash, enabled FROM agents WHERE id = $1',
    [id],
  );
  const agent = rows[0];
  if (!agent || !agent.enabled) return null;
  if (!(await verifySecret(agent.secret_hash, secret))) return null;

  if ((generation.get(id) ?? 0) === generationAtRead) {
    if (verified.size >= MAX_CACHED) verified.delete(verified.keys().next().value as string);
    verified.set(id, { secretDigest, siteId: agent.site_id, expiresAt: Date.now() + VERIFIED_TTL_MS });
  }
  return { id, siteId: agent.site_id };
}

/**
 * Registers an agent the estate names, if it is not registered yet, without a
 * usable secret: its data is accepted from an external broker (which does the
 * authentication), and on the embedded broker it logs in only once provisioned.
 */
export async function ensureAgent(db: Queryable, input: ProvisionAgentInput): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO agents (id, site_id, building_id, secret_hash) VALUES ($1, $2, $3, '!unprovisioned')
     ON CONFLICT (id) DO NOTHING`,
    [input.id, input.siteId, input.buildingId ?? null],
  );
  return (rowCount ?? 0) > 0;
}
