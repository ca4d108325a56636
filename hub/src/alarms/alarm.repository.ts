import type { Queryable } from '../db/database.js';
import type { AlarmState } from './lifecycle.js';
import { ruleInputSchema, type AlarmRule, type Category, type Priority } from './rule-schema.js';

export interface RuleRow {
  id: string;
  name: string;
  scope_type: AlarmRule['scope']['type'];
  scope_id: string | null;
  priority: Priority;
  category: Category;
  definition: unknown;
  enabled: boolean;
  deleted: boolean;
  version: number;
  created_by: string;
  created_at: Date;
  updated_by: string;
  updated_at: Date;
}

export function toRule(r: RuleRow): AlarmRule {
  const parsed = ruleInputSchema.parse({
    name: r.name,
    scope: r.scope_type === 'estate' ? { type: 'estate' } : { type: r.scope_type, id: r.scope_id },
    priority: r.priority,
    category: r.category,
    enabled: r.enabled,
    definition: r.definition,
  });
  return { ...parsed, id: Number(r.id), version: r.version };
}

export async function loadRules(db: Queryable): Promise<{ rule: AlarmRule | undefined; row: RuleRow }[]> {
  const { rows } = await db.query<RuleRow>('SELECT * FROM alarm_rules WHERE NOT deleted AND enabled ORDER BY id');
  return rows.map((row) => {
    try {
      return { rule: toRule(row), row };
    } catch {
      return { rule: undefined, row };
    }
  });
}

export async function ruleVersions(db: Queryable): Promise<Map<number, number>> {
  const { rows } = await db.query<{ id: string; version: number; live: boolean }>('SELECT id, version, (enabled AND NOT deleted) AS live FROM alarm_rules');
  return new Map(rows.map((r) => [Number(r.id), r.live ? r.version : -1]));
}

export interface DeviceInfo {
  id: number;
  agentId: string;
  code: string;
  type: string;
  buildingId: string | null;
  name: string;
  location: string | null;
  online: boolean;
  /** Security zone (from the birth): armedEvent rules with zoneSchedule look up its schedule. */
  zone?: string | null;
}

interface DeviceRow {
  id: string;
  agent_id: string;
  code: string;
  type: string;
  building_id: string | null;
  name: string;
  location: string | null;
  online: boolean;
  zone: string | null;
}

const toDevice = (r: DeviceRow): DeviceInfo => ({
  id: Number(r.id),
  agentId: r.agent_id,
  code: r.code,
  type: r.type,
  buildingId: r.building_id,
  name: r.name,
  location: r.location,
  online: r.online,
  zone: r.zone,
});

export async function loadDevices(db: Queryable, ids?: number[]): Promise<DeviceInfo[]> {
  const { rows } = await db.query<DeviceRow>(
    `SELECT id, agent_id, code, type, building_id, name, location, online, zone FROM devices WHERE $1::bigint[] IS NULL OR id = ANY($1)`,
    [ids ?? null],
  );
  return rows.map(toDevice);
}

export async function loadEvaluationStates(db: Queryable): Promise<Map<string, { version: number; state: unknown }>> {
  const { rows } = await db.query<{ rule_id: string; device_id: string; rule_version: number; state: unknown }>(
    'SELECT rule_id, device_id, rule_version, state FROM alarm_rule_state',
  );
  return new Map(rows.map((r) => [`${r.rule_id}:${r.device_id}`, { version: r.rule_version, state: r.state }]));
}

export async function saveEvaluationStates(db: Queryable, states: { ruleId: number; deviceId: number; version: number; state: unknown }[]): Promise<void> {
  if (!states.length) return;
  await db.query(
    `INSERT INTO alarm_rule_state (rule_id, device_id, rule_version, state, updated_at)
     SELECT * , now() FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::jsonb[])
     ON CONFLICT (rule_id, device_id) DO UPDATE SET rule_version = EXCLUDED.rule_version, state = EXCLUDED.state, updated_at = now()`,
    [states.map((s) => s.ruleId), states.map((s) => s.deviceId), states.map((s) => s.version), states.map((s) => JSON.stringify(s.state))],
  );
}

/** (rule, device) pairs whose alarm is active in the database. */
export async function loadActiveAlarms(db: Queryable): Promise<Set<string>> {
  const { rows } = await db.query<{ rule_id: string; device_id: string }>('SELECT rule_id, device_id FROM alarms WHERE active');
  return new Set(rows.map((r) => `${r.rule_id}:${r.device_id}`));
}

export interface AlarmRow {
  id: string;
  rule_id: string;
  device_id: string;
  building_id: string | null;
  state: AlarmState;
  active: boolean;
  episode_id: string | null;
  shelved_until: Date | null;
  shelved_by: string | null;
  shelve_reason: string | null;
  suppressed: boolean;
  out_of_service: boolean;
  oos_reason: string | null;
  process_ts: Date | null;
}

/**
 * The alarm row of (rule, device), created on first use, locked for this transaction.
 * A new maintenance alarm starts suppressed while maintenance work is in progress on
 * its device (see setDeviceAlarmsSuppressed: security alarms are never suppressed by it).
 */
export async function lockAlarm(tx: Queryable, ruleId: number, deviceId: number, buildingId: string | null): Promise<AlarmRow> {
  // One round trip: an existing row is "updated" to itself, which locks it like SELECT ... FOR UPDATE.
  const { rows } = await tx.query<AlarmRow>(
    `INSERT INTO alarms (rule_id, device_id, building_id, suppressed)
     VALUES ($1, $2, $3, EXISTS (SELECT 1 FROM work_orders WHERE device_id = $2 AND kind = 'maintenance' AND status IN ('in_progress', 'on_hold'))
                         AND EXISTS (SELECT 1 FROM alarm_rules WHERE id = $1 AND category = 'maintenance'))
     ON CONFLICT (rule_id, device_id) DO UPDATE SET rule_id = alarms.rule_id
     RETURNING *`,
    [ruleId, deviceId, buildingId],
  );
  return rows[0];
}

export async function lockAlarmById(tx: Queryable, alarmId: number): Promise<AlarmRow | undefined> {
  const { rows } = await tx.query<AlarmRow>('SELECT * FROM alarms WHERE id = $1 FOR UPDATE', [alarmId]);
  return rows[0];
}

export interface TransitionRecord {
  alarmId: number;
  episodeId: number | null;
  action: string;
  from: AlarmState;
  to: AlarmState;
  userId?: number | null;
  actor: string;
  note?: string | null;
  details?: Record<string, unknown>;
  at?: Date;
}

export async function recordTransition(tx: Queryable, t: TransitionRecord): Promise<void> {
  await tx.query(
    `INSERT INTO alarm_transitions (alarm_id, episode_id, at, action, from_state, to_state, user_id, actor, note, details)
     VALUES ($1, $2, coalesce($3, now()), $4, $5, $6, $7, $8, $9, $10)`,
    [t.alarmId, t.episodeId, t.at ?? null, t.action, t.from, t.to, t.userId ?? null, t.actor, t.note ?? null, t.details ? JSON.stringify(t.details) : null],
  );
}

/** What clients get for an alarm: enough to draw a console row without another request. */
export interface AlarmView {
  alarmId: number;
  ruleId: number;
  ruleName: string;
  priority: Priority;
  category: Category;
  deviceId: number;
  deviceName: string;
  deviceType: string;
  buildingId: string | null;
  location: string | null;
  state: AlarmState;
  active: boolean;
  shelvedUntil: string | null;
  shelvedBy: string | null;
  shelveReason: string | null;
  suppressed: boolean;
  outOfService: boolean;
  episodeId: number | null;
  message: string | null;
  value: unknown;
  raisedAt: string | null;
  clearedAt: string | null;
  ackedAt: string | null;
  ackedBy: string | null;
  endedAt: string | null;
  activations: number;
  realarms: number;
  escalatedAt: string | null;
  workOrderId: number | null;
  workOrderNumber: string | null;
  workOrderStatus: string | null;
  changedAt: string;
  /** The time of the reading or event behind the last process change (active / not active). */
  processTs: string | null;
}

interface AlarmViewRow {
  alarm_id: string;
  rule_id: string;
  rule_name: string;
  priority: Priority;
  category: Category;
  device_id: string;
  device_name: string;
  device_type: string;
  building_id: string | null;
  location: string | null;
  state: AlarmState;
  active: boolean;
  shelved_until: Date | null;
  shelved_by: string | null;
  shelve_reason: string | null;
  suppressed: boolean;
  out_of_service: boolean;
  episode_id: string | null;
  message: string | null;
  value: unknown;
  raised_at: Date | null;
  cleared_at: Date | null;
  acked_at: Date | null;
  acked_by: string | null;
  ended_at: Date | null;
  activations: number | null;
  realarms: number | null;
  escalated_at: Date | null;
  work_order_id: string | null;
  work_order_number: string | null;
  work_order_status: string | null;
  changed_at: Date;
  process_ts: Date | null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;
const num = (v: string | null) => (v === null ? null : Number(v));

function toView(r: AlarmViewRow): AlarmView {
  return {
    alarmId: Number(r.alarm_id),
    ruleId: Number(r.rule_id),
    ruleName: r.rule_name,
    priority: r.priority,
    category: r.category,
    deviceId: Number(r.device_id),
    deviceName: r.device_name,
    deviceType: r.device_type,
    buildingId: r.building_id,
    location: r.location,
    state: r.state,
    active: r.active,
    shelvedUntil: iso(r.shelved_until),
    shelvedBy: r.shelved_by,
    shelveReason: r.shelve_reason,
    suppressed: r.suppressed,
    outOfService: r.out_of_service,
    episodeId: num(r.episode_id),
    message: r.message,
    value: r.value,
    raisedAt: iso(r.raised_at),
    clearedAt: iso(r.cleared_at),
    ackedAt: iso(r.acked_at),
    ackedBy: r.acked_by,
    endedAt: iso(r.ended_at),
    activations: r.activations ?? 0,
    realarms: r.realarms ?? 0,
    escalatedAt: iso(r.escalated_at),
    workOrderId: num(r.work_order_id),
    workOrderNumber: r.work_order_number,
    workOrderStatus: r.work_order_status,
    changedAt: r.changed_at.toISOString(),
    processTs: iso(r.process_ts),
  };
}

/** `episode` picks the episode to show (an alarm that just returned to normal no longer points at it). */
const viewSelect = (episodeJoin: string) => `
  SELECT a.id AS alarm_id, a.rule_id, r.name AS rule_name, r.priority, r.category, a.device_id, d.name AS device_name, d.type AS device_type,
         a.building_id, d.location, a.state, a.active, a.shelved_until, a.shelved_by, a.shelve_reason, a.suppressed, a.out_of_service,
         e.id AS episode_id, e.message, e.value, e.raised_at, e.cleared_at, e.acked_at, e.acked_by, e.ended_at, e.activations, e.realarms,
         e.escalated_at, w.id AS work_order_id, w.number AS work_order_number, w.status AS work_order_status, a.changed_at, a.process_ts
    FROM alarms a
    JOIN alarm_rules r ON r.id = a.rule_id
    JOIN devices d ON d.id = a.device_id
    LEFT JOIN alarm_episodes e ON ${episodeJoin}
    LEFT JOIN work_orders w ON w.id = e.work_order_id`;

export async function alarmView(db: Queryable, alarmId: number, episodeId?: number | null): Promise<AlarmView | undefined> {
  const { rows } = await db.query<AlarmViewRow>(`${viewSelect('e.id = coalesce($2, a.episode_id)')} WHERE a.id = $1`, [alarmId, episodeId ?? null]);
  return rows[0] && toView(rows[0]);
}

export interface AlarmListFilter {
  /** standing: active or unacknowledged (the console); shelved; all: every alarm ever raised. */
  view: 'standing' | 'shelved' | 'suppressed' | 'all';
  buildings: string[];
  building?: string;
  categories: Category[];
  priority?: Priority;
  deviceId?: number;
  limit: number;
}

const priorityOrder = `CASE r.priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END`;

export async function listAlarms(db: Queryable, f: AlarmListFilter): Promise<AlarmView[]> {
  const where =
    f.view === 'standing'
      ? `a.state <> 'normal' AND (a.shelved_until IS NULL OR a.shelved_until <= now()) AND NOT a.out_of_service`
      : f.view === 'shelved'
        ? `a.shelved_until > now()`
        : f.view === 'suppressed'
          ? `(a.suppressed OR a.out_of_service)`
          : 'true';
  const { rows } = await db.query<AlarmViewRow>(
    `${viewSelect('e.id = a.episode_id')}
      WHERE ${where}
        AND r.category = ANY($1::text[])
        AND (cardinality($2::text[]) = 0 OR a.building_id = ANY($2))
        AND ($3::text IS NULL OR a.building_id = $3)
        AND ($4::text IS NULL OR r.priority = $4)
        AND ($5::bigint IS NULL OR a.device_id = $5)
      ORDER BY ${priorityOrder}, e.raised_at DESC NULLS LAST, a.id
      LIMIT $6`,
    [f.categories, f.buildings, f.building ?? null, f.priority ?? null, f.deviceId ?? null, f.limit],
  );
  return rows.map(toView);
}

export interface TransitionView {
  id: number;
  at: string;
  action: string;
  from: AlarmState;
  to: AlarmState;
  actor: string;
  note: string | null;
  episodeId: number | null;
  details: unknown;
}

export async function alarmTransitions(db: Queryable, alarmId: number, limit = 200): Promise<TransitionView[]> {
  const { rows } = await db.query<{ id: string; at: Date; action: string; from_state: AlarmState; to_state: AlarmState; actor: string; note: string | null; episode_id: string | null; details: unknown }>(
    `SELECT id, at, action, from_state, to_state, actor, note, episode_id, details FROM alarm_transitions WHERE alarm_id = $1 ORDER BY id DESC LIMIT $2`,
    [alarmId, limit],
  );
  return rows.map((r) => ({ id: Number(r.id), at: r.at.toISOString(), action: r.action, from: r.from_state, to: r.to_state, actor: r.actor, note: r.note, episodeId: num(r.episode_id), details: r.details }));
}
