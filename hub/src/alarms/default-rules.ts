import type { Database } from '../db/database.js';
import { ruleInputSchema, type RuleInput } from './rule-schema.js';

/**
 * The starter rule set a new estate gets (only when it has no rules at all), so
 * the console is useful on day one; every rule is ordinary data, edited or retired
 * through the API like any other.
 */
export const defaultRules: RuleInput[] = [
  {
    name: 'Pump motor overheating',
    scope: { type: 'deviceType', id: 'pump' },
    priority: 'high',
    category: 'maintenance',
    enabled: true,
    definition: {
      condition: { kind: 'threshold', metric: 'motorTemp', op: '>', value: 80, deadband: 5 },
      onDelaySec: 5,
      offDelaySec: 10,
      realarmSec: 900,
      workOrder: { create: true, trade: 'plumbing', reopenWithinMinutes: 1440 },
    },
  },
  {
    name: 'Pump running without pressure',
    scope: { type: 'deviceType', id: 'pump' },
    priority: 'medium',
    category: 'maintenance',
    enabled: true,
    definition: {
      condition: {
        kind: 'all',
        conditions: [
          { kind: 'state', metric: 'running', equals: true },
          { kind: 'threshold', metric: 'outletPressure', op: '<', value: 300, deadband: 50 },
        ],
      },
      onDelaySec: 10,
      offDelaySec: 10,
      workOrder: { create: true, trade: 'plumbing', reopenWithinMinutes: 1440 },
    },
  },
  {
    name: 'Water tank level low',
    scope: { type: 'deviceType', id: 'sensor.level' },
    priority: 'high',
    category: 'maintenance',
    enabled: true,
    definition: { condition: { kind: 'threshold', metric: 'level', op: '<', value: 25, deadband: 5 }, onDelaySec: 30, offDelaySec: 30, workOrder: { create: true, reopenWithinMinutes: 1440 } },
  },
  {
    name: 'Water leak detected',
    scope: { type: 'deviceType', id: 'sensor.leak' },
    priority: 'critical',
    category: 'maintenance',
    enabled: true,
    definition: {
      condition: { kind: 'event', raise: ['sensor.alarm'], clear: ['sensor.alarmCleared'] },
      onDelaySec: 0,
      offDelaySec: 0,
      realarmSec: 300,
      workOrder: { create: true, trade: 'plumbing', reopenWithinMinutes: 1440 },
    },
  },
  {
    name: 'Smoke detected',
    scope: { type: 'deviceType', id: 'sensor.smoke' },
    priority: 'critical',
    category: 'security',
    enabled: true,
    definition: {
      condition: { kind: 'event', raise: ['sensor.alarm'], clear: ['sensor.alarmCleared'] },
      onDelaySec: 0,
      offDelaySec: 0,
      realarmSec: 120,
      escalateAfterSec: 120,
      workOrder: { create: true, trade: 'security', reopenWithinMinutes: 60 },
    },
  },
  {
    name: 'Lift out of order',
    scope: { type: 'deviceType', id: 'lift' },
    priority: 'high',
    category: 'maintenance',
    enabled: true,
    definition: { condition: { kind: 'state', metric: 'status', equals: 'fault' }, onDelaySec: 0, offDelaySec: 30, workOrder: { create: true, trade: 'lift', reopenWithinMinutes: 1440 } },
  },
  {
    name: 'Device offline',
    scope: { type: 'estate' },
    priority: 'low',
    category: 'maintenance',
    enabled: true,
    definition: { condition: { kind: 'offline' }, onDelaySec: 120, offDelaySec: 0, workOrder: { create: true, trade: 'general', reopenWithinMinutes: 1440 } },
  },
  {
    name: 'Door forced open',
    scope: { type: 'deviceType', id: 'door' },
    priority: 'critical',
    category: 'security',
    enabled: true,
    definition: { condition: { kind: 'event', raise: ['door.forced'], clear: ['door.closed'], autoClearSec: 600 }, onDelaySec: 0, offDelaySec: 0, workOrder: { create: true, reopenWithinMinutes: 30 } },
  },
  {
    name: 'Door held open',
    scope: { type: 'deviceType', id: 'door' },
    priority: 'medium',
    category: 'security',
    enabled: true,
    definition: { condition: { kind: 'heldOpen', seconds: 60 }, onDelaySec: 0, offDelaySec: 0, workOrder: { create: true, reopenWithinMinutes: 30 } },
  },
  {
    name: 'Repeated denied access',
    scope: { type: 'deviceType', id: 'door' },
    priority: 'high',
    category: 'security',
    enabled: true,
    definition: { condition: { kind: 'count', event: 'door.denied', count: 5, withinSec: 120 }, onDelaySec: 0, offDelaySec: 0, workOrder: { create: true, reopenWithinMinutes: 30 } },
  },
  {
    name: 'Tamper',
    scope: { type: 'estate' },
    priority: 'high',
    category: 'security',
    enabled: true,
    definition: { condition: { kind: 'event', raise: ['door.tamper', 'camera.tamper'], clear: [], autoClearSec: 300 }, onDelaySec: 0, offDelaySec: 0, workOrder: { create: true, reopenWithinMinutes: 30 } },
  },
  {
    name: 'Motion in an armed zone',
    scope: { type: 'deviceType', id: 'camera' },
    priority: 'high',
    category: 'security',
    enabled: true,
    definition: {
      condition: {
        kind: 'armedEvent',
        raise: ['camera.motionStart'],
        clear: ['camera.motionStop'],
        // The zone's own schedule, as the console shows it; zones without one follow ZONE_DEFAULT_ARMING (22:00–06:00).
        zoneSchedule: true,
        autoClearSec: 60,
      },
      onDelaySec: 0,
      offDelaySec: 0,
      workOrder: { create: true, reopenWithinMinutes: 30 },
    },
  },
  {
    name: 'Camera video lost or frozen',
    scope: { type: 'deviceType', id: 'camera' },
    priority: 'medium',
    category: 'security',
    enabled: true,
    definition: {
      // The agent's transitions (camera.online also ends a frozen picture), and its health readings: a camera
      // already broken when its agent starts reports camera.offline while still unconnected, which arrives
      // historical (never alarmed on), while every later health check's readings are live.
      condition: {
        kind: 'any',
        conditions: [
          { kind: 'event', raise: ['camera.offline', 'camera.frozen'], clear: ['camera.online'] },
          { kind: 'state', metric: 'onvifReachable', equals: false },
          { kind: 'state', metric: 'rtspReachable', equals: false },
          { kind: 'state', metric: 'pictureFrozen', equals: true },
        ],
      },
      onDelaySec: 0,
      offDelaySec: 0,
      workOrder: { create: true, trade: 'electrical', reopenWithinMinutes: 1440 },
    },
  },
].map((r) => ruleInputSchema.parse(r));

/** Seeds the starter rules into an estate that has none; returns how many it added. */
export async function seedDefaultRules(db: Database): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query('LOCK TABLE alarm_rules IN EXCLUSIVE MODE');
    if ((await tx.query('SELECT 1 FROM alarm_rules LIMIT 1')).rowCount) return 0;
    for (const rule of defaultRules) {
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO alarm_rules (name, scope_type, scope_id, priority, category, definition, enabled, created_by, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'system', 'system') RETURNING id`,
        [rule.name, rule.scope.type, rule.scope.type === 'estate' ? null : rule.scope.id, rule.priority, rule.category, JSON.stringify(rule.definition), rule.enabled],
      );
      await tx.query(`INSERT INTO alarm_rule_versions (rule_id, version, snapshot, changed_by) VALUES ($1, 1, $2, 'system')`, [rows[0].id, JSON.stringify(rule)]);
    }
    return defaultRules.length;
  });
}
