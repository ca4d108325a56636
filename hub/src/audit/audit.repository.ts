import type { Queryable } from '../db/database.js';

export interface AuditEntry {
  userId?: number | null;
  /** Username, "system", or an agent id: who did it, readable without a join. */
  actor: string;
  action: string;
  targetType?: string;
  targetId?: string | number;
  /** Never secrets or personal data in clear. */
  details?: Record<string, unknown>;
  ip?: string;
}

/** Appends to the audit log; pass a transaction client to audit atomically with the change. */
export async function recordAudit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (user_id, actor, action, target_type, target_id, details, ip)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      entry.userId ?? null,
      entry.actor,
      entry.action,
      entry.targetType ?? null,
      entry.targetId === undefined ? null : String(entry.targetId),
      entry.details ? JSON.stringify(entry.details) : null,
      entry.ip ?? null,
    ],
  );
}
