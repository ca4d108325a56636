import type { Queryable } from '../db/database.js';

/** Estate structure upserts, used by provisioning (API, estate files, the demo). */

export async function upsertSite(db: Queryable, site: { id: string; name: string; timezone?: string }): Promise<void> {
  await db.query(
    `INSERT INTO sites (id, name, timezone) VALUES ($1, $2, coalesce($3, 'Asia/Shanghai'))
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, timezone = EXCLUDED.timezone`,
    [site.id, site.name, site.timezone ?? null],
  );
}

export async function upsertBuilding(db: Queryable, b: { id: string; siteId: string; name: string; address?: string }): Promise<void> {
  await db.query(
    `INSERT INTO buildings (id, site_id, name, address) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET site_id = EXCLUDED.site_id, name = EXCLUDED.name, address = EXCLUDED.address`,
    [b.id, b.siteId, b.name, b.address ?? null],
  );
}

export async function upsertFloor(db: Queryable, f: { buildingId: string; code: string; level: number; name?: string }): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO floors (building_id, code, level, name) VALUES ($1, $2, $3, $4)
     ON CONFLICT (building_id, code) DO UPDATE SET level = EXCLUDED.level, name = EXCLUDED.name
     RETURNING id`,
    [f.buildingId, f.code, f.level, f.name ?? null],
  );
  return rows[0].id;
}
