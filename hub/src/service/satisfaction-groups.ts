import type { Queryable } from '../db/database.js';

/** An average as SQL rounds it (numeric as text, 2 decimals): a number, or null when nothing was measured. */
export function average(text: string | null): number | null {
  return text === null ? null : Number(text);
}

/** Count and average satisfaction of one group (a category, a building, a member of staff). */
export interface SurveyGroup {
  key: string;
  name?: string;
  count: number;
  average: number | null;
}

export interface SurveyGroups {
  count: number;
  average: number | null;
  byCategory: SurveyGroup[];
  byBuilding: SurveyGroup[];
  byStaff: SurveyGroup[];
}

export interface SurveyScope {
  from: Date;
  to: Date;
  /** Only this building. */
  building?: string;
  /** The user's buildings; empty: the whole estate. */
  userBuildings: string[];
}

/**
 * The surveys taken after closed requests in [from, to), overall and by the request's
 * category, its building and the member of staff who did the work (its work order's
 * assignee). One query with grouping sets, so every breakdown counts the same surveys.
 */
export async function surveyGroups(db: Queryable, s: SurveyScope): Promise<SurveyGroups> {
  const args: unknown[] = [s.from, s.to];
  const where = ['s.at >= $1', 's.at < $2'];
  if (s.building !== undefined) where.push(`r.building_id = $${args.push(s.building)}`);
  if (s.userBuildings.length) where.push(`r.building_id = ANY($${args.push(s.userBuildings)}::text[])`);
  const { rows } = await db.query<{ category: string | null; building_id: string | null; staff_id: string | null; staff_name: string | null; g: number; count: number; average: string | null }>(
    `SELECT r.category, r.building_id, w.assignee_id::text AS staff_id, st.name AS staff_name,
            GROUPING(r.category, r.building_id, w.assignee_id, st.name)::int AS g,
            count(*)::int AS count, round(avg(s.score), 2)::text AS average
       FROM service_surveys s
       JOIN service_requests r ON r.id = s.request_id
       LEFT JOIN work_orders w ON w.id = r.work_order_id
       LEFT JOIN staff st ON st.id = w.assignee_id
      WHERE ${where.join(' AND ')}
      GROUP BY GROUPING SETS ((), (r.category), (r.building_id), (w.assignee_id, st.name))`,
    args,
  );
  // GROUPING() is a bit mask over its arguments (first = highest bit): 1 = grouped away.
  const ALL = 0b1111;
  const BY_CATEGORY = 0b0111;
  const BY_BUILDING = 0b1011;
  const BY_STAFF = 0b1100;
  const pick = (g: number, key: (r: (typeof rows)[number]) => string | null, name?: (r: (typeof rows)[number]) => string | null): SurveyGroup[] =>
    rows
      .filter((r) => r.g === g)
      .map((r) => {
        const n = name?.(r) ?? null;
        return { key: key(r) ?? '(none)', ...(n !== null ? { name: n } : {}), count: r.count, average: average(r.average) };
      })
      .sort((a, b) => a.key.localeCompare(b.key));
  const overall = rows.find((r) => r.g === ALL);
  return {
    count: overall?.count ?? 0,
    average: average(overall?.average ?? null),
    byCategory: pick(BY_CATEGORY, (r) => r.category),
    byBuilding: pick(BY_BUILDING, (r) => r.building_id),
    byStaff: pick(BY_STAFF, (r) => r.staff_id, (r) => r.staff_name),
  };
}
