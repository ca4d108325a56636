import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type Role, type SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import { WardenError } from '../http/errors.js';
import { currentUser, withZod } from '../http/server.js';
import type { AlarmEngine } from './alarm-engine.js';
import { alarmKpis, DEFAULT_STALE_AFTER_HOURS } from './alarm-kpis.js';
import * as repo from './alarm.repository.js';
import type { Actor, AlarmService } from './alarm.service.js';
import { dispositionCodes } from './lifecycle.js';
import { categories, priorities, ruleInputSchema, type Category, type RuleInput } from './rule-schema.js';

const alarmReaders: Role[] = ['admin', 'manager', 'guard', 'technician'];
const alarmOperators: Role[] = ['admin', 'manager', 'guard', 'technician'];
const ruleEditors: Role[] = ['admin', 'manager'];

/** Technicians handle equipment: they see maintenance alarms only. */
function visibleCategories(user: SessionUser): Category[] {
  return user.role === 'technician' ? ['maintenance'] : [...categories];
}

const actorOf = (req: FastifyRequest): Actor => {
  const user = currentUser(req);
  return { userId: user.id, name: user.username, ip: req.ip };
};

const idParams = z.object({ id: z.coerce.number().int().positive() });

/** Present when hubs split evaluation (evaluation-ownership.ts); null when this hub evaluates every device. */
const engineOwnershipSchema = z.object({
  hubId: z.string(),
  liveHubs: z.array(z.string()),
  boundDevices: z.number().int(),
  ownedDevices: z.number().int(),
  forwardedIn: z.number().int(),
  forwardedOut: z.number().int(),
  rejected: z.number().int(),
  expired: z.number().int(),
  publishFailures: z.number().int(),
});

const engineStatusSchema = z.object({
  rules: z.number(),
  bindings: z.number(),
  pending: z.number(),
  decisions: z.number(),
  raised: z.number(),
  cleared: z.number(),
  failed: z.number(),
  ownership: engineOwnershipSchema.nullable(),
});

const alarmViewSchema = z.object({
  alarmId: z.number(),
  ruleId: z.number(),
  ruleName: z.string(),
  priority: z.enum(priorities),
  category: z.enum(categories),
  deviceId: z.number(),
  deviceName: z.string(),
  deviceType: z.string(),
  buildingId: z.string().nullable(),
  location: z.string().nullable(),
  state: z.enum(['normal', 'unack', 'acked', 'rtn_unack']),
  active: z.boolean(),
  shelvedUntil: z.string().nullable(),
  shelvedBy: z.string().nullable(),
  shelveReason: z.string().nullable(),
  suppressed: z.boolean(),
  outOfService: z.boolean(),
  episodeId: z.number().nullable(),
  message: z.string().nullable(),
  value: z.unknown(),
  raisedAt: z.string().nullable(),
  clearedAt: z.string().nullable(),
  ackedAt: z.string().nullable(),
  ackedBy: z.string().nullable(),
  endedAt: z.string().nullable(),
  activations: z.number(),
  realarms: z.number(),
  escalatedAt: z.string().nullable(),
  workOrderId: z.number().nullable(),
  workOrderNumber: z.string().nullable(),
  workOrderStatus: z.string().nullable(),
  changedAt: z.string(),
});

const ruleSchema = z.object({
  id: z.number(),
  name: z.string(),
  scope: z.object({ type: z.string(), id: z.string().optional() }),
  priority: z.enum(priorities),
  category: z.enum(categories),
  enabled: z.boolean(),
  definition: z.unknown(),
  version: z.number(),
  updatedBy: z.string(),
  updatedAt: z.string(),
});

const toRuleJson = (r: repo.RuleRow) => ({
  id: Number(r.id),
  name: r.name,
  scope: r.scope_type === 'estate' ? { type: 'estate' } : { type: r.scope_type, id: r.scope_id ?? undefined },
  priority: r.priority,
  category: r.category,
  enabled: r.enabled,
  definition: r.definition,
  version: r.version,
  updatedBy: r.updated_by,
  updatedAt: r.updated_at.toISOString(),
});

/** A scope must name something that exists: a typo would otherwise watch nothing, silently. */
async function checkScope(db: Queryable, input: RuleInput): Promise<void> {
  const { scope } = input;
  if (scope.type === 'device') {
    const id = Number(scope.id);
    const found = Number.isInteger(id) && (await db.query('SELECT 1 FROM devices WHERE id = $1', [id])).rowCount;
    if (!found) throw new WardenError('WARDEN_ERR_VALIDATION', `scope.id: no device ${scope.id}`, { issues: [{ field: 'body.scope.id', message: `no device ${scope.id}` }] });
  } else if (scope.type === 'building') {
    if (!(await db.query('SELECT 1 FROM buildings WHERE id = $1', [scope.id])).rowCount) {
      throw new WardenError('WARDEN_ERR_VALIDATION', `scope.id: no building ${scope.id}`, { issues: [{ field: 'body.scope.id', message: `no building ${scope.id}` }] });
    }
  }
}

async function snapshot(tx: Queryable, id: number, by: string): Promise<repo.RuleRow> {
  const { rows } = await tx.query<repo.RuleRow>('SELECT * FROM alarm_rules WHERE id = $1', [id]);
  const row = rows[0];
  await tx.query('INSERT INTO alarm_rule_versions (rule_id, version, snapshot, changed_by) VALUES ($1, $2, $3, $4)', [id, row.version, JSON.stringify(toRuleJson(row)), by]);
  return row;
}

export function registerAlarmRoutes(app: FastifyInstance, db: Database, service: AlarmService, engine: AlarmEngine): void {
  const r = withZod(app);

  // ------------------------------------------------------------ rules
  r.get('/api/alarm-rules', {
    config: { roles: alarmReaders },
    schema: { tags: ['alarms'], summary: 'Alarm rules', response: { 200: z.object({ rules: z.array(ruleSchema) }) } },
    handler: async () => {
      const { rows } = await db.query<repo.RuleRow>('SELECT * FROM alarm_rules WHERE NOT deleted ORDER BY id');
      return { rules: rows.map(toRuleJson) };
    },
  });

  r.get('/api/alarm-rules/:id', {
    config: { roles: alarmReaders },
    schema: { tags: ['alarms'], summary: 'One alarm rule', params: idParams, response: { 200: z.object({ rule: ruleSchema }) } },
    handler: async (req) => {
      const { rows } = await db.query<repo.RuleRow>('SELECT * FROM alarm_rules WHERE id = $1 AND NOT deleted', [req.params.id]);
      if (!rows[0]) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no alarm rule ${req.params.id}`);
      return { rule: toRuleJson(rows[0]) };
    },
  });

  r.get('/api/alarm-rules/:id/versions', {
    config: { roles: ruleEditors },
    schema: {
      tags: ['alarms'],
      summary: 'Every version of a rule, newest first',
      params: idParams,
      response: { 200: z.object({ versions: z.array(z.object({ version: z.number(), changedBy: z.string(), changedAt: z.string(), rule: z.unknown() })) }) },
    },
    handler: async (req) => {
      const { rows } = await db.query<{ version: number; snapshot: unknown; changed_by: string; changed_at: Date }>(
        'SELECT version, snapshot, changed_by, changed_at FROM alarm_rule_versions WHERE rule_id = $1 ORDER BY version DESC',
        [req.params.id],
      );
      if (!rows.length) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no alarm rule ${req.params.id}`);
      return { versions: rows.map((v) => ({ version: v.version, changedBy: v.changed_by, changedAt: v.changed_at.toISOString(), rule: v.snapshot })) };
    },
  });

  r.post('/api/alarm-rules', {
    config: { roles: ruleEditors },
    schema: { tags: ['alarms'], summary: 'Create an alarm rule (version 1)', body: ruleInputSchema, response: { 201: z.object({ rule: ruleSchema }) } },
    handler: async (req, reply) => {
      const input = req.body;
      const user = currentUser(req);
      await checkScope(db, input);
      const row = await db.transaction(async (tx) => {
        const { rows } = await tx.query<{ id: string }>(
          `INSERT INTO alarm_rules (name, scope_type, scope_id, priority, category, definition, enabled, created_by, updated_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
          [input.name, input.scope.type, input.scope.type === 'estate' ? null : input.scope.id, input.priority, input.category, JSON.stringify(input.definition), input.enabled, user.username],
        );
        const created = await snapshot(tx, Number(rows[0].id), user.username);
        await recordAudit(tx, { userId: user.id, actor: user.username, action: 'alarm-rule.create', targetType: 'alarm_rule', targetId: created.id, ip: req.ip, details: { name: input.name } });
        return created;
      });
      await engine.loadRules();
      return reply.code(201).send({ rule: toRuleJson(row) });
    },
  });

  r.put('/api/alarm-rules/:id', {
    config: { roles: ruleEditors },
    schema: { tags: ['alarms'], summary: 'Replace a rule; the previous version is kept', params: idParams, body: ruleInputSchema, response: { 200: z.object({ rule: ruleSchema }) } },
    handler: async (req) => {
      const input = req.body;
      const user = currentUser(req);
      await checkScope(db, input);
      const row = await db.transaction(async (tx) => {
        const { rowCount } = await tx.query(
          `UPDATE alarm_rules SET name = $2, scope_type = $3, scope_id = $4, priority = $5, category = $6, definition = $7, enabled = $8,
                  version = version + 1, updated_by = $9, updated_at = now()
            WHERE id = $1 AND NOT deleted`,
          [req.params.id, input.name, input.scope.type, input.scope.type === 'estate' ? null : input.scope.id, input.priority, input.category, JSON.stringify(input.definition), input.enabled, user.username],
        );
        if (!rowCount) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no alarm rule ${req.params.id}`);
        const updated = await snapshot(tx, req.params.id, user.username);
        await recordAudit(tx, { userId: user.id, actor: user.username, action: 'alarm-rule.update', targetType: 'alarm_rule', targetId: req.params.id, ip: req.ip, details: { version: updated.version } });
        return updated;
      });
      await engine.loadRules();
      return { rule: toRuleJson(row) };
    },
  });

  r.delete('/api/alarm-rules/:id', {
    config: { roles: ruleEditors },
    schema: { tags: ['alarms'], summary: 'Retire a rule (its history stays); its active alarms return to normal', params: idParams, response: { 204: z.null() } },
    handler: async (req, reply) => {
      const user = currentUser(req);
      await db.transaction(async (tx) => {
        const { rowCount } = await tx.query('UPDATE alarm_rules SET deleted = true, version = version + 1, updated_by = $2, updated_at = now() WHERE id = $1 AND NOT deleted', [req.params.id, user.username]);
        if (!rowCount) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no alarm rule ${req.params.id}`);
        await snapshot(tx, req.params.id, user.username);
        await recordAudit(tx, { userId: user.id, actor: user.username, action: 'alarm-rule.delete', targetType: 'alarm_rule', targetId: req.params.id, ip: req.ip });
      });
      await engine.loadRules();
      return reply.code(204).send(null);
    },
  });

  r.get('/api/alarm-engine', {
    config: { roles: ruleEditors },
    schema: {
      tags: ['alarms'],
      summary: "This hub's alarm engine: rules loaded, (rule, device) pairs watched, decisions and their outcome, and its share of evaluation among hubs",
      response: { 200: engineStatusSchema },
    },
    handler: async () => engine.stats(),
  });

  // ------------------------------------------------------------ alarms
  r.get('/api/alarms', {
    config: { roles: alarmReaders },
    schema: {
      tags: ['alarms'],
      summary: 'Alarms by priority then time: standing (the console), shelved, suppressed/out of service, or all',
      querystring: z.object({
        view: z.enum(['standing', 'shelved', 'suppressed', 'all']).default('standing'),
        building: z.string().optional(),
        priority: z.enum(priorities).optional(),
        category: z.enum(categories).optional(),
        device: z.coerce.number().int().positive().optional(),
        limit: z.coerce.number().int().min(1).max(2000).default(500),
      }),
      response: { 200: z.object({ alarms: z.array(alarmViewSchema) }) },
    },
    handler: async (req) => {
      const user = currentUser(req);
      const q = req.query;
      const allowed = visibleCategories(user);
      const cats = q.category ? allowed.filter((c) => c === q.category) : allowed;
      return { alarms: await repo.listAlarms(db, { view: q.view, buildings: user.buildings, building: q.building, categories: cats, priority: q.priority, deviceId: q.device, limit: q.limit }) };
    },
  });

  r.get('/api/alarms/kpis', {
    config: { roles: ['admin', 'manager', 'guard'] },
    schema: {
      tags: ['alarms'],
      summary: 'Alarm KPIs (ISA-18.2): rates, floods, chattering, stale, top contributors, time to acknowledge',
      querystring: z.object({
        from: z.iso.datetime({ offset: true }).optional().describe('default: 24 hours before `to`'),
        to: z.iso.datetime({ offset: true }).optional().describe('default: now'),
        building: z.string().optional(),
        staleHours: z.coerce.number().positive().max(8760).default(DEFAULT_STALE_AFTER_HOURS).describe('an alarm standing longer than this is stale (default 24)'),
      }),
      response: { 200: z.unknown() },
    },
    handler: async (req) => {
      const user = currentUser(req);
      const to = req.query.to ? new Date(req.query.to) : new Date();
      const from = req.query.from ? new Date(req.query.from) : new Date(to.getTime() - 86_400_000);
      if (from >= to) throw new WardenError('WARDEN_ERR_VALIDATION', '`from` must be before `to`', { issues: [{ field: 'querystring.from', message: 'must be before to' }] });
      if (req.query.building && !canSeeBuilding(user, req.query.building)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `not allowed to see building ${req.query.building}`);
      return alarmKpis(db, from, to, user.buildings, req.query.building ?? null, visibleCategories(user), { staleAfterHours: req.query.staleHours });
    },
  });

  // ---------------------------------------------------------------- escalation contacts

  const escalationTargetSchema = z.object({ buildingId: z.string(), userId: z.number(), username: z.string(), displayName: z.string(), role: z.string(), updatedBy: z.string(), updatedAt: z.string() });
  const readTargets = async (q: Queryable, buildings: string[], building?: string) => {
    const { rows } = await q.query<{ building_id: string; user_id: string; username: string; display_name: string; role: string; updated_by: string; updated_at: Date }>(
      `SELECT t.building_id, t.user_id, u.username, u.display_name, u.role, t.updated_by, t.updated_at
         FROM alarm_escalation_targets t JOIN users u ON u.id = t.user_id
        WHERE (cardinality($1::text[]) = 0 OR t.building_id = ANY($1)) AND ($2::text IS NULL OR t.building_id = $2)
        ORDER BY t.building_id`,
      [buildings, building ?? null],
    );
    return rows.map((t) => ({ buildingId: t.building_id, userId: Number(t.user_id), username: t.username, displayName: t.display_name, role: t.role, updatedBy: t.updated_by, updatedAt: t.updated_at.toISOString() }));
  };
  const buildingParams = z.object({ building: z.string().min(1).max(64) });
  const checkBuilding = async (user: SessionUser, building: string) => {
    if (!canSeeBuilding(user, building) || !(await db.query('SELECT 1 FROM buildings WHERE id = $1', [building])).rowCount) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no building ${building}`);
  };

  r.get('/api/alarm-escalation-targets', {
    config: { roles: ruleEditors },
    schema: {
      tags: ['alarms'],
      summary: 'Escalation contacts per building: who an unacknowledged critical alarm escalates to (buildings without one escalate to their managers)',
      response: { 200: z.object({ targets: z.array(escalationTargetSchema) }) },
    },
    handler: async (req) => ({ targets: await readTargets(db, currentUser(req).buildings) }),
  });

  r.put('/api/alarm-escalation-targets/:building', {
    config: { roles: ruleEditors },
    schema: {
      tags: ['alarms'],
      summary: "Name a building's escalation contact (supervisor or on-call): escalations are addressed to them live and sent by e-mail and SMS",
      params: buildingParams,
      body: z.strictObject({ userId: z.number().int().positive() }),
      response: { 200: z.object({ target: escalationTargetSchema }) },
    },
    handler: async (req) => {
      const user = currentUser(req);
      const { building } = req.params;
      await checkBuilding(user, building);
      const person = (await db.query<{ id: string; role: string; disabled: boolean; buildings: string[] }>(
        `SELECT u.id, u.role, u.disabled, coalesce(array_agg(ub.building_id) FILTER (WHERE ub.building_id IS NOT NULL), '{}') AS buildings
           FROM users u LEFT JOIN user_buildings ub ON ub.user_id = u.id WHERE u.id = $1 GROUP BY u.id`,
        [req.body.userId],
      )).rows[0];
      const refuse = (message: string) => new WardenError('WARDEN_ERR_VALIDATION', `body.userId: ${message}`, { issues: [{ field: 'body.userId', message }] });
      if (!person) throw refuse(`no user ${req.body.userId}`);
      if (person.disabled) throw refuse(`user ${req.body.userId} is disabled`);
      if (!['admin', 'manager', 'guard', 'technician'].includes(person.role)) throw refuse(`a ${person.role} cannot be an escalation contact (admin, manager, guard or technician)`);
      if (person.buildings.length > 0 && !person.buildings.includes(building)) throw refuse(`user ${req.body.userId} may not see building ${building}`);
      const target = await db.transaction(async (tx) => {
        const before = (await tx.query<{ user_id: string }>('SELECT user_id FROM alarm_escalation_targets WHERE building_id = $1 FOR UPDATE', [building])).rows[0];
        await tx.query(
          `INSERT INTO alarm_escalation_targets (building_id, user_id, updated_by, updated_at) VALUES ($1, $2, $3, now())
           ON CONFLICT (building_id) DO UPDATE SET user_id = EXCLUDED.user_id, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`,
          [building, req.body.userId, user.username],
        );
        await recordAudit(tx, { userId: user.id, actor: user.username, action: 'alarm.escalation_target.set', targetType: 'building', targetId: building, details: { userId: req.body.userId, previousUserId: before ? Number(before.user_id) : null }, ip: req.ip });
        return (await readTargets(tx, [], building))[0];
      });
      return { target };
    },
  });

  r.delete('/api/alarm-escalation-targets/:building', {
    config: { roles: ruleEditors },
    schema: { tags: ['alarms'], summary: "Remove a building's escalation contact (escalations go to its managers again)", params: buildingParams, response: { 204: z.null() } },
    handler: async (req, reply) => {
      const user = currentUser(req);
      await checkBuilding(user, req.params.building);
      await db.transaction(async (tx) => {
        const removed = await tx.query<{ user_id: string }>('DELETE FROM alarm_escalation_targets WHERE building_id = $1 RETURNING user_id', [req.params.building]);
        if (!removed.rows[0]) throw new WardenError('WARDEN_ERR_NOT_FOUND', `building ${req.params.building} has no escalation contact`);
        await recordAudit(tx, { userId: user.id, actor: user.username, action: 'alarm.escalation_target.remove', targetType: 'building', targetId: req.params.building, details: { previousUserId: Number(removed.rows[0].user_id) }, ip: req.ip });
      });
      return reply.status(204).send(null);
    },
  });

  r.get('/api/alarm-episodes', {
    config: { roles: alarmReaders },
    schema: {
      tags: ['alarms'],
      summary: 'Alarm history: episodes raised in a time range, newest first',
      querystring: z.object({
        from: z.iso.datetime({ offset: true }).optional(),
        to: z.iso.datetime({ offset: true }).optional(),
        building: z.string().optional(),
        device: z.coerce.number().int().positive().optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(200),
        before: z.coerce.number().int().positive().optional().describe('page: episodes with an id below this'),
      }),
      response: { 200: z.object({ episodes: z.array(z.unknown()) }) },
    },
    handler: async (req) => {
      const user = currentUser(req);
      const q = req.query;
      const { rows } = await db.query(
        `SELECT e.id, e.alarm_id AS "alarmId", e.rule_id AS "ruleId", r.name AS "ruleName", e.priority, e.category, e.device_id AS "deviceId", d.name AS "deviceName",
                e.building_id AS "buildingId", e.message, e.raised_at AS "raisedAt", e.cleared_at AS "clearedAt", e.acked_at AS "ackedAt", e.acked_by AS "ackedBy",
                e.ended_at AS "endedAt", e.activations, e.realarms, e.escalated_at AS "escalatedAt", e.work_order_id AS "workOrderId", w.number AS "workOrderNumber"
           FROM alarm_episodes e JOIN alarm_rules r ON r.id = e.rule_id JOIN devices d ON d.id = e.device_id LEFT JOIN work_orders w ON w.id = e.work_order_id
          WHERE ($1::timestamptz IS NULL OR e.raised_at >= $1) AND ($2::timestamptz IS NULL OR e.raised_at < $2)
            AND ($3::text IS NULL OR e.building_id = $3) AND ($4::bigint IS NULL OR e.device_id = $4)
            AND (cardinality($5::text[]) = 0 OR e.building_id = ANY($5)) AND e.category = ANY($6::text[])
            AND ($7::bigint IS NULL OR e.id < $7)
          ORDER BY e.id DESC LIMIT $8`,
        [q.from ?? null, q.to ?? null, q.building ?? null, q.device ?? null, user.buildings, visibleCategories(user), q.before ?? null, q.limit],
      );
      return { episodes: rows.map((e) => ({ ...e, id: Number(e.id), alarmId: Number(e.alarmId), ruleId: Number(e.ruleId), deviceId: Number(e.deviceId), workOrderId: e.workOrderId === null ? null : Number(e.workOrderId) })) };
    },
  });

  /** The alarm, if this user may see it. */
  const visibleAlarm = async (req: FastifyRequest, id: number): Promise<repo.AlarmView> => {
    const view = await repo.alarmView(db, id);
    const user = currentUser(req);
    if (!view || !canSeeBuilding(user, view.buildingId) || !visibleCategories(user).includes(view.category)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no alarm ${id}`);
    return view;
  };

  r.get('/api/alarms/:id', {
    config: { roles: alarmReaders },
    schema: {
      tags: ['alarms'],
      summary: 'One alarm with its current episode and its transitions (newest first)',
      params: idParams,
      response: { 200: z.object({ alarm: alarmViewSchema, transitions: z.array(z.unknown()) }) },
    },
    handler: async (req) => ({ alarm: await visibleAlarm(req, req.params.id), transitions: await repo.alarmTransitions(db, req.params.id) }),
  });

  const note = z.string().trim().min(1).max(1000);
  const action = <B extends z.ZodType>(path: string, summary: string, roles: Role[], body: B, run: (id: number, actor: Actor, body: z.infer<B>) => Promise<repo.AlarmView>) =>
    r.post(`/api/alarms/:id/${path}`, {
      config: { roles },
      schema: { tags: ['alarms'], summary, params: idParams, body, response: { 200: z.object({ alarm: alarmViewSchema }) } },
      handler: async (req) => {
        await visibleAlarm(req, req.params.id);
        return { alarm: await run(req.params.id, actorOf(req), req.body as z.infer<B>) };
      },
    });

  // The disposition is required and one of the defined codes (free text cannot be
  // counted); a missing or unknown one is a 400 naming the allowed codes.
  const ackBody = z
    .strictObject({
      note: note.optional(),
      disposition: z.enum(dispositionCodes, { error: `disposition is required: one of ${dispositionCodes.join(', ')}` }),
    })
    .refine((b) => b.disposition !== 'other' || b.note !== undefined, { message: 'a note is required with disposition "other"', path: ['note'] });
  action('ack', `Acknowledge with a disposition code (${dispositionCodes.join(', ')}) and an optional note (required with "other")`, alarmOperators, ackBody, (id, actor, b) =>
    service.acknowledge(id, actor, b.note, b.disposition),
  );
  action(
    'shelve',
    'Shelve: hide from the console until a time, with a reason (at most 24 hours)',
    ['admin', 'manager', 'guard'],
    z.strictObject({ reason: note, minutes: z.number().int().min(1).max(1440) }),
    (id, actor, b) => service.shelve(id, actor, b.reason, new Date(Date.now() + b.minutes * 60_000)),
  );
  action('unshelve', 'Unshelve now', ['admin', 'manager', 'guard'], z.strictObject({ note: note.optional() }), (id, actor, b) => service.unshelve(id, actor, b.note));
  action('comment', 'Add a comment to the alarm log', alarmOperators, z.strictObject({ note }), (id, actor, b) => service.comment(id, actor, b.note));
  action('out-of-service', 'Take the alarm out of service (e.g. a sensor being replaced)', ruleEditors, z.strictObject({ reason: note }), (id, actor, b) => service.setOutOfService(id, actor, true, b.reason));
  action('return-to-service', 'Return the alarm to service', ruleEditors, z.strictObject({ note: note.optional() }), (id, actor, b) => service.setOutOfService(id, actor, false, b.note ?? 'returned to service'));
}
