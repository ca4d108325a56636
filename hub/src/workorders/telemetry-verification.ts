import type { Queryable } from '../db/database.js';
import type { Verification } from './work-order.types.js';

/** One threshold a resolved piece of equipment was checked against, with the reading it was checked on. */
export interface ThresholdCheck {
  ruleId: number;
  ruleName: string;
  metric: string;
  op: '>' | '>=' | '<' | '<=';
  limit: number;
  value: number;
  at: string;
  abnormal: boolean;
}

interface ThresholdLeaf {
  kind: 'threshold';
  metric: string;
  op: ThresholdCheck['op'];
  value: number;
}

const isThreshold = (c: unknown): c is ThresholdLeaf =>
  typeof c === 'object' && c !== null && (c as ThresholdLeaf).kind === 'threshold' && typeof (c as ThresholdLeaf).metric === 'string' && typeof (c as ThresholdLeaf).value === 'number';

/**
 * The threshold leaves of a rule that alone say "abnormal": a threshold condition, or
 * any threshold of an `any` combination. A threshold inside `all` is not enough on its
 * own (the rule needs its other leaves too), so it is not checked.
 */
function thresholdsOf(condition: unknown): ThresholdLeaf[] {
  if (isThreshold(condition)) return [condition];
  const combo = condition as { kind?: string; conditions?: unknown[] } | null;
  if (combo?.kind === 'any' && Array.isArray(combo.conditions)) return combo.conditions.filter(isThreshold);
  return [];
}

function breaches(value: number, op: ThresholdCheck['op'], limit: number): boolean {
  switch (op) {
    case '>':
      return value > limit;
    case '>=':
      return value >= limit;
    case '<':
      return value < limit;
    case '<=':
      return value <= limit;
  }
}

/**
 * Verifies equipment against telemetry when no alarm opened its work order (manual and
 * preventive work): the device's latest value of each metric watched by an enabled
 * threshold rule in scope (device, its type or a parent type, its building, the estate)
 * is compared with the rule's limit. Any breach: 'abnormal', the same flag an alarm work
 * order gets when its alarm is still active; readings checked and none breached:
 * 'normal'; nothing to check (no rule, or no reading yet): 'unverified'. The deadband is
 * not applied: it only stops an active alarm from chattering, and a value past the limit
 * is abnormal whichever way it got there.
 */
export async function verifyDeviceReadings(db: Queryable, deviceId: number): Promise<{ verification: Verification; checks: ThresholdCheck[] }> {
  const { rows } = await db.query<{ rule_id: string; rule_name: string; condition: unknown; metric: string; value: number | null; ts: Date }>(
    `SELECT r.id AS rule_id, r.name AS rule_name, r.definition->'condition' AS condition, m.name AS metric, lv.value, lv.ts
       FROM devices d
       JOIN alarm_rules r ON r.enabled AND NOT r.deleted
        AND (r.scope_type = 'estate'
          OR (r.scope_type = 'device' AND r.scope_id = d.id::text)
          OR (r.scope_type = 'deviceType' AND (d.type = r.scope_id OR d.type LIKE r.scope_id || '.%'))
          OR (r.scope_type = 'building' AND r.scope_id = d.building_id))
       JOIN device_metrics m ON m.device_id = d.id
       JOIN latest_values lv ON lv.series_id = m.id
      WHERE d.id = $1 AND lv.value IS NOT NULL
      ORDER BY r.id, m.name`,
    [deviceId],
  );
  const checks: ThresholdCheck[] = [];
  for (const row of rows) {
    for (const leaf of thresholdsOf(row.condition)) {
      if (leaf.metric !== row.metric) continue;
      const value = Number(row.value);
      checks.push({ ruleId: Number(row.rule_id), ruleName: row.rule_name, metric: row.metric, op: leaf.op, limit: leaf.value, value, at: row.ts.toISOString(), abnormal: breaches(value, leaf.op, leaf.value) });
    }
  }
  const verification: Verification = checks.length === 0 ? 'unverified' : checks.some((c) => c.abnormal) ? 'abnormal' : 'normal';
  return { verification, checks };
}
