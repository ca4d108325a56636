import type { Queryable } from '../db/database.js';

/**
 * Alarm-system performance after ISA-18.2 / EEMUA 191: what an operator faced.
 * Counted from annunciated activations (`activate` transitions; silent ones while
 * shelved or suppressed are not an operator's load).
 */
export interface AlarmKpis {
  from: string;
  to: string;
  building: string | null;
  activations: number;
  episodes: number;
  /** Average and peak annunciated activations per 10 minutes and per hour. */
  per10Min: { average: number; peak: number };
  perHour: { average: number; peak: number };
  /**
   * Flood periods (EEMUA 191: more than 10 alarms in 10 minutes), by a sliding window:
   * a period starts at the activation that makes more than 10 within the 10 minutes
   * before it and ends when the trailing count falls back to 10 (the oldest of them
   * turning 10 minutes old). Unlike clock-aligned buckets, 11 activations that straddle
   * a bucket boundary are still a flood. `peak` is the most in any 10 minutes of it,
   * `count` the activations from 10 minutes before its start to its end.
   */
  floods: { start: string; end: string; count: number; peak: number }[];
  /** Share of the time in flood (sum of the periods' lengths over the time range). */
  floodPercent: number;
  /** The same threshold on clock-aligned 10-minute buckets (the older, coarser measure), for comparison with other tools. */
  floodBuckets: { start: string; count: number }[];
  /** Activations per 10-minute period (periods without any are left out), for a rate chart. */
  series: { start: string; count: number }[];
  /** Alarms activated 3 times or more within one minute. */
  chattering: { alarmId: number; ruleName: string; deviceName: string; maxPerMinute: number }[];
  /** The stale threshold used, in hours (query `staleHours`, default 24). */
  staleAfterHours: number;
  /** Alarms standing (not normal) for more than `staleAfterHours` now. */
  stale: { alarmId: number; ruleName: string; deviceName: string; since: string }[];
  /**
   * Dispositions given on acknowledgement in the range (ISA-18.2 alarm review): counts by
   * code and the false-alarm rate, false alarms over acknowledgements with a code.
   */
  dispositions: { acknowledged: number; byCode: Record<string, number>; falseAlarmRate: number | null };
  /**
   * The "console" dimension: Warden has no fixed console positions (any guard's browser is
   * a console), so the operator who acknowledged stands for it (EEMUA 191 counts the load
   * per operator): acknowledgements, their rate per hour of the range, time to acknowledge
   * and false alarms, per person.
   */
  byOperator: { operator: string; acknowledged: number; perHour: number; averageAckSec: number | null; falseAlarms: number }[];
  topContributors: { alarmId: number; ruleName: string; deviceName: string; activations: number; share: number }[];
  timeToAck: { count: number; averageSec: number | null; medianSec: number | null; p90Sec: number | null };
  byBuilding: { building: string | null; activations: number; episodes: number; unacknowledged: number }[];
  byPriority: { priority: string; activations: number }[];
}

export const FLOOD_THRESHOLD_PER_10_MIN = 10;
export const CHATTER_PER_MINUTE = 3;
export const DEFAULT_STALE_AFTER_HOURS = 24;
const FLOOD_WINDOW_MS = 10 * 60_000;

export interface AlarmKpiOptions {
  /** Standing longer than this is stale (default 24). */
  staleAfterHours?: number;
  /** "Now", for the stale check (default: the database's now()). */
  now?: Date;
}

/**
 * Flood periods from activation times (ascending), by the trailing 10-minute count as a
 * step function: +1 at each activation, -1 ten minutes later; in flood while above the
 * threshold. A -1 at the same instant as a +1 goes first (the window is (t-10 min, t]).
 */
export function floodPeriods(times: number[], threshold = FLOOD_THRESHOLD_PER_10_MIN, windowMs = FLOOD_WINDOW_MS): { start: number; end: number; count: number; peak: number }[] {
  const steps = [...times.map((t) => ({ t, d: 1 })), ...times.map((t) => ({ t: t + windowMs, d: -1 }))].sort((a, b) => a.t - b.t || a.d - b.d);
  const periods: { start: number; end: number; count: number; peak: number }[] = [];
  let level = 0;
  let open: { start: number; peak: number } | undefined;
  for (const { t, d } of steps) {
    level += d;
    if (!open && level > threshold) open = { start: t, peak: level };
    else if (open && level > open.peak) open.peak = level;
    else if (open && level <= threshold) {
      const start = open.start;
      periods.push({ start, end: t, peak: open.peak, count: times.filter((x) => x > start - windowMs && x <= t).length });
      open = undefined;
    }
  }
  return periods;
}

export async function alarmKpis(db: Queryable, from: Date, to: Date, buildings: string[], building: string | null, categories: string[], options: AlarmKpiOptions = {}): Promise<AlarmKpis> {
  const staleAfterHours = options.staleAfterHours ?? DEFAULT_STALE_AFTER_HOURS;
  const scope = `AND ($3::text IS NULL OR a.building_id = $3) AND (cardinality($4::text[]) = 0 OR a.building_id = ANY($4)) AND r.category = ANY($5::text[])`;
  const params = [from, to, building, buildings, categories];
  const activations = `SELECT t.alarm_id, t.at, r.priority, a.building_id FROM alarm_transitions t JOIN alarms a ON a.id = t.alarm_id JOIN alarm_rules r ON r.id = a.rule_id
                        WHERE t.action = 'activate' AND t.at >= $1 AND t.at < $2 ${scope}`;

  const acks = `SELECT t.actor, t.at, t.details->>'disposition' AS disposition, e.raised_at
                  FROM alarm_transitions t JOIN alarms a ON a.id = t.alarm_id JOIN alarm_rules r ON r.id = a.rule_id LEFT JOIN alarm_episodes e ON e.id = t.episode_id
                 WHERE t.action = 'ack' AND t.at >= $1 AND t.at < $2 ${scope}`;

  const [totals, buckets10, bucketsHour, chatter, top, ack, stale, byBuilding, byPriority, times, dispositions, operators] = await Promise.all([
    db.query<{ activations: string; episodes: string }>(
      `SELECT (SELECT count(*) FROM (${activations}) x) AS activations,
              (SELECT count(*) FROM alarm_episodes e JOIN alarms a ON a.id = e.alarm_id JOIN alarm_rules r ON r.id = a.rule_id WHERE e.raised_at >= $1 AND e.raised_at < $2 ${scope}) AS episodes`,
      params,
    ),
    db.query<{ start: Date; count: string }>(
      `SELECT to_timestamp(floor(extract(epoch FROM at) / 600) * 600) AS start, count(*) FROM (${activations}) x GROUP BY 1 ORDER BY 1`,
      params,
    ),
    db.query<{ count: string }>(`SELECT count(*) FROM (${activations}) x GROUP BY date_trunc('hour', at)`, params),
    db.query<{ alarm_id: string; rule_name: string; device_name: string; max_per_minute: string }>(
      `SELECT w.alarm_id, r.name AS rule_name, d.name AS device_name, max(w.n) AS max_per_minute
         FROM (SELECT x.alarm_id, count(*) OVER (PARTITION BY x.alarm_id ORDER BY x.at RANGE BETWEEN interval '60 seconds' PRECEDING AND CURRENT ROW) AS n
                 FROM (${activations}) x) w
         JOIN alarms a ON a.id = w.alarm_id JOIN alarm_rules r ON r.id = a.rule_id JOIN devices d ON d.id = a.device_id
        GROUP BY w.alarm_id, r.name, d.name
       HAVING max(w.n) >= ${CHATTER_PER_MINUTE}
        ORDER BY max(w.n) DESC, w.alarm_id LIMIT 50`,
      params,
    ),
    db.query<{ alarm_id: string; rule_name: string; device_name: string; n: string }>(
      `SELECT x.alarm_id, r.name AS rule_name, d.name AS device_name, count(*) AS n
         FROM (${activations}) x JOIN alarms a ON a.id = x.alarm_id JOIN alarm_rules r ON r.id = a.rule_id JOIN devices d ON d.id = a.device_id
        GROUP BY x.alarm_id, r.name, d.name ORDER BY n DESC, x.alarm_id LIMIT 10`,
      params,
    ),
    db.query<{ n: string; avg: number | null; median: number | null; p90: number | null }>(
      `SELECT count(*) AS n, avg(s) AS avg, percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS median, percentile_cont(0.9) WITHIN GROUP (ORDER BY s) AS p90
         FROM (SELECT extract(epoch FROM e.acked_at - e.raised_at)::float8 AS s
                 FROM alarm_episodes e JOIN alarms a ON a.id = e.alarm_id JOIN alarm_rules r ON r.id = a.rule_id
                WHERE e.acked_at IS NOT NULL AND e.raised_at >= $1 AND e.raised_at < $2 ${scope}) x`,
      params,
    ),
    db.query<{ alarm_id: string; rule_name: string; device_name: string; since: Date }>(
      `SELECT a.id AS alarm_id, r.name AS rule_name, d.name AS device_name, e.raised_at AS since
         FROM alarms a JOIN alarm_rules r ON r.id = a.rule_id JOIN devices d ON d.id = a.device_id JOIN alarm_episodes e ON e.id = a.episode_id
        WHERE a.state <> 'normal' AND e.raised_at < coalesce($4::timestamptz, now()) - make_interval(secs => $5::float8 * 3600)
          AND ($1::text IS NULL OR a.building_id = $1) AND (cardinality($2::text[]) = 0 OR a.building_id = ANY($2)) AND r.category = ANY($3::text[])
        ORDER BY e.raised_at LIMIT 50`,
      [building, buildings, categories, options.now ?? null, staleAfterHours],
    ),
    db.query<{ building_id: string | null; activations: string; episodes: string; unack: string }>(
      `SELECT b.building_id,
              (SELECT count(*) FROM (${activations}) x WHERE x.building_id IS NOT DISTINCT FROM b.building_id) AS activations,
              count(*) FILTER (WHERE e.raised_at >= $1 AND e.raised_at < $2) AS episodes,
              count(*) FILTER (WHERE e.ended_at IS NULL AND e.acked_at IS NULL) AS unack
         FROM (SELECT DISTINCT a.building_id FROM alarms a JOIN alarm_rules r ON r.id = a.rule_id WHERE true ${scope}) b
         LEFT JOIN alarm_episodes e ON e.building_id IS NOT DISTINCT FROM b.building_id AND e.category = ANY($5::text[])
        GROUP BY b.building_id ORDER BY b.building_id`,
      params,
    ),
    db.query<{ priority: string; n: string }>(`SELECT priority, count(*) AS n FROM (${activations}) x GROUP BY priority ORDER BY priority`, params),
    db.query<{ ms: number }>(`SELECT (extract(epoch FROM at) * 1000)::float8 AS ms FROM (${activations}) x ORDER BY at`, params),
    db.query<{ disposition: string | null; n: string }>(`SELECT disposition, count(*) AS n FROM (${acks}) x GROUP BY disposition`, params),
    db.query<{ actor: string; n: string; avg: number | null; false_alarms: string }>(
      `SELECT actor, count(*) AS n, avg(extract(epoch FROM at - raised_at))::float8 AS avg, count(*) FILTER (WHERE disposition = 'false-alarm') AS false_alarms
         FROM (${acks}) x GROUP BY actor ORDER BY count(*) DESC, actor`,
      params,
    ),
  ]);

  const total = Number(totals.rows[0].activations);
  const minutes = Math.max(1, (to.getTime() - from.getTime()) / 60_000);
  const tenMinPeriods = Math.max(1, Math.ceil(minutes / 10));
  const hours = Math.max(1, Math.ceil(minutes / 60));
  const counts10 = buckets10.rows.map((r) => Number(r.count));
  const floodBuckets = buckets10.rows.filter((r) => Number(r.count) > FLOOD_THRESHOLD_PER_10_MIN).map((r) => ({ start: r.start.toISOString(), count: Number(r.count) }));
  const floods = floodPeriods(times.rows.map((r) => Number(r.ms)));
  const floodMs = floods.reduce((sum, f) => sum + Math.min(f.end, to.getTime()) - Math.max(f.start, from.getTime()), 0);
  const round = (n: number) => Math.round(n * 100) / 100;
  const byCode: Record<string, number> = {};
  let coded = 0;
  for (const r of dispositions.rows) {
    if (r.disposition === null) continue;
    byCode[r.disposition] = Number(r.n);
    coded += Number(r.n);
  }
  const acknowledged = dispositions.rows.reduce((sum, r) => sum + Number(r.n), 0);
  const a = ack.rows[0];
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    building,
    activations: total,
    episodes: Number(totals.rows[0].episodes),
    per10Min: { average: round(total / tenMinPeriods), peak: Math.max(0, ...counts10) },
    perHour: { average: round(total / hours), peak: Math.max(0, ...bucketsHour.rows.map((r) => Number(r.count))) },
    floods: floods.map((f) => ({ start: new Date(f.start).toISOString(), end: new Date(f.end).toISOString(), count: f.count, peak: f.peak })),
    floodPercent: round((Math.max(0, floodMs) / (to.getTime() - from.getTime())) * 100),
    floodBuckets,
    series: buckets10.rows.map((r) => ({ start: r.start.toISOString(), count: Number(r.count) })),
    chattering: chatter.rows.map((r) => ({ alarmId: Number(r.alarm_id), ruleName: r.rule_name, deviceName: r.device_name, maxPerMinute: Number(r.max_per_minute) })),
    staleAfterHours,
    stale: stale.rows.map((r) => ({ alarmId: Number(r.alarm_id), ruleName: r.rule_name, deviceName: r.device_name, since: r.since.toISOString() })),
    topContributors: top.rows.map((r) => ({ alarmId: Number(r.alarm_id), ruleName: r.rule_name, deviceName: r.device_name, activations: Number(r.n), share: total ? round((Number(r.n) / total) * 100) : 0 })),
    timeToAck: {
      count: Number(a.n),
      averageSec: a.avg === null ? null : round(Number(a.avg)),
      medianSec: a.median === null ? null : round(Number(a.median)),
      p90Sec: a.p90 === null ? null : round(Number(a.p90)),
    },
    byBuilding: byBuilding.rows.map((r) => ({ building: r.building_id, activations: Number(r.activations), episodes: Number(r.episodes), unacknowledged: Number(r.unack) })),
    byPriority: byPriority.rows.map((r) => ({ priority: r.priority, activations: Number(r.n) })),
    dispositions: { acknowledged, byCode, falseAlarmRate: coded ? round((byCode['false-alarm'] ?? 0) / coded) : null },
    byOperator: operators.rows.map((r) => ({
      operator: r.actor,
      acknowledged: Number(r.n),
      perHour: round(Number(r.n) / (minutes / 60)),
      averageAckSec: r.avg === null ? null : round(Number(r.avg)),
      falseAlarms: Number(r.false_alarms),
    })),
  };
}
