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
  /** 10-minute periods with more than 10 activations, and their share of the time. */
  floods: { start: string; count: number }[];
  floodPercent: number;
  /** Activations per 10-minute period (periods without any are left out), for a rate chart. */
  series: { start: string; count: number }[];
  /** Alarms activated 3 times or more within one minute. */
  chattering: { alarmId: number; ruleName: string; deviceName: string; maxPerMinute: number }[];
  /** Alarms standing (not normal) for more than 24 hours now. */
  stale: { alarmId: number; ruleName: string; deviceName: string; since: string }[];
  topContributors: { alarmId: number; ruleName: string; deviceName: string; activations: number; share: number }[];
  timeToAck: { count: number; averageSec: number | null; medianSec: number | null; p90Sec: number | null };
  byBuilding: { building: string | null; activations: number; episodes: number; unacknowledged: number }[];
  byPriority: { priority: string; activations: number }[];
}

export const FLOOD_THRESHOLD_PER_10_MIN = 10;
export const CHATTER_PER_MINUTE = 3;
const STALE_AFTER_HOURS = 24;

export async function alarmKpis(db: Queryable, from: Date, to: Date, buildings: string[], building: string | null, categories: string[]): Promise<AlarmKpis> {
  const scope = `AND ($3::text IS NULL OR a.building_id = $3) AND (cardinality($4::text[]) = 0 OR a.building_id = ANY($4)) AND r.category = ANY($5::text[])`;
  const params = [from, to, building, buildings, categories];
  const activations = `SELECT t.alarm_id, t.at, r.priority, a.building_id FROM alarm_transitions t JOIN alarms a ON a.id = t.alarm_id JOIN alarm_rules r ON r.id = a.rule_id
                        WHERE t.action = 'activate' AND t.at >= $1 AND t.at < $2 ${scope}`;

  const [totals, buckets10, bucketsHour, chatter, top, ack, stale, byBuilding, byPriority] = await Promise.all([
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
        WHERE a.state <> 'normal' AND e.raised_at < now() - interval '${STALE_AFTER_HOURS} hours'
          AND ($1::text IS NULL OR a.building_id = $1) AND (cardinality($2::text[]) = 0 OR a.building_id = ANY($2)) AND r.category = ANY($3::text[])
        ORDER BY e.raised_at LIMIT 50`,
      [building, buildings, categories],
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
  ]);

  const total = Number(totals.rows[0].activations);
  const minutes = Math.max(1, (to.getTime() - from.getTime()) / 60_000);
  const tenMinPeriods = Math.max(1, Math.ceil(minutes / 10));
  const hours = Math.max(1, Math.ceil(minutes / 60));
  const counts10 = buckets10.rows.map((r) => Number(r.count));
  const floods = buckets10.rows.filter((r) => Number(r.count) > FLOOD_THRESHOLD_PER_10_MIN).map((r) => ({ start: r.start.toISOString(), count: Number(r.count) }));
  const round = (n: number) => Math.round(n * 100) / 100;
  const a = ack.rows[0];
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    building,
    activations: total,
    episodes: Number(totals.rows[0].episodes),
    per10Min: { average: round(total / tenMinPeriods), peak: Math.max(0, ...counts10) },
    perHour: { average: round(total / hours), peak: Math.max(0, ...bucketsHour.rows.map((r) => Number(r.count))) },
    floods,
    floodPercent: round((floods.length / tenMinPeriods) * 100),
    series: buckets10.rows.map((r) => ({ start: r.start.toISOString(), count: Number(r.count) })),
    chattering: chatter.rows.map((r) => ({ alarmId: Number(r.alarm_id), ruleName: r.rule_name, deviceName: r.device_name, maxPerMinute: Number(r.max_per_minute) })),
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
  };
}
