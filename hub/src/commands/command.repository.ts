import type { Queryable } from '../db/database.js';

/** What a command is sent to: a device (with the agent that bridges it), or an agent as a whole. */
export interface CommandTarget {
  agentId: string;
  siteId: string;
  agentOnline: boolean;
  deviceId: number | null;
  deviceCode: string | null;
  deviceName: string | null;
  deviceType: string | null;
  buildingId: string | null;
  capabilities: string[];
}

interface TargetRow {
  agent_id: string;
  site_id: string;
  agent_online: boolean;
  device_id: string | null;
  code: string | null;
  name: string | null;
  type: string | null;
  building_id: string | null;
  capabilities: string[] | null;
}

const toTarget = (r: TargetRow): CommandTarget => ({
  agentId: r.agent_id,
  siteId: r.site_id,
  agentOnline: r.agent_online,
  deviceId: r.device_id === null ? null : Number(r.device_id),
  deviceCode: r.code,
  deviceName: r.name,
  deviceType: r.type,
  buildingId: r.building_id,
  capabilities: r.capabilities ?? [],
});

export async function deviceTarget(db: Queryable, deviceId: number): Promise<CommandTarget | undefined> {
  const { rows } = await db.query<TargetRow>(
    `SELECT a.id AS agent_id, a.site_id, a.online AS agent_online, d.id AS device_id, d.code, d.name, d.type, d.building_id, d.capabilities
       FROM devices d JOIN agents a ON a.id = d.agent_id
      WHERE d.id = $1`,
    [deviceId],
  );
  return rows[0] && toTarget(rows[0]);
}

export async function agentTarget(db: Queryable, agentId: string): Promise<CommandTarget | undefined> {
  const { rows } = await db.query<TargetRow>(
    `SELECT a.id AS agent_id, a.site_id, a.online AS agent_online, NULL AS device_id, NULL AS code, NULL AS name, NULL AS type, a.building_id, NULL AS capabilities
       FROM agents a WHERE a.id = $1`,
    [agentId],
  );
  return rows[0] && toTarget(rows[0]);
}

export async function insertCommand(
  db: Queryable,
  c: { id: string; agentId: string; deviceId: number | null; name: string; params: unknown; issuedBy: number | null; issuedByName: string; reason: string | null; sentAt: Date; expiresAt: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO commands (id, agent_id, device_id, name, params, issued_by, issued_by_name, reason, sent_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [c.id, c.agentId, c.deviceId, c.name, JSON.stringify(c.params), c.issuedBy, c.issuedByName, c.reason, c.sentAt, c.expiresAt],
  );
}

/** Stores the outcome once: a command already finished (e.g. timed out) keeps its first result. */
export async function finishCommand(db: Queryable, id: string, result: string, message: string | null, ackedAt: Date | null): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE commands SET result = $2, result_message = $3, acked_at = $4 WHERE id = $1 AND result IS NULL', [id, result, message, ackedAt]);
  return (rowCount ?? 0) > 0;
}

/** An acknowledgement that came after the hub gave up: the row keeps "timeout" and says what happened after all. */
export async function noteLateAck(db: Queryable, id: string, result: string, message: string | undefined, ackedAt: Date): Promise<void> {
  await db.query(
    `UPDATE commands SET acked_at = $2, result_message = concat_ws('; ', result_message, $3::text)
      WHERE id = $1 AND result = 'timeout' AND acked_at IS NULL`,
    [id, ackedAt, `answered late: ${result}${message ? ` (${message})` : ''}`],
  );
}

export interface CommandRow {
  id: string;
  agent_id: string;
  device_id: string | null;
  name: string;
  params: Record<string, unknown> | null;
  issued_by: string | null;
  issued_by_name: string;
  reason: string | null;
  sent_at: Date;
  expires_at: Date;
  result: string | null;
  result_message: string | null;
  acked_at: Date | null;
}

export async function commandsOfDevice(db: Queryable, deviceId: number, limit: number): Promise<CommandRow[]> {
  const { rows } = await db.query<CommandRow>('SELECT * FROM commands WHERE device_id = $1 ORDER BY sent_at DESC LIMIT $2', [deviceId, limit]);
  return rows;
}
