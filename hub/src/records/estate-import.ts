import { agentIdOf, loadEstate, type Estate } from '@warden/simulators';
import { ensureAgent } from '../broker/index.js';
import type { Database } from '../db/database.js';
import { upsertBuilding, upsertFloor, upsertSite } from './estate.repository.js';

/** Floor labels of a building in lift order: B3, B2, B1, 1 … n, then any others its devices name (R, M…). */
export function floorsOf(building: Estate['buildings'][number]): { code: string; level: number }[] {
  const floors: { code: string; level: number }[] = [];
  for (let b = building.basements; b >= 1; b--) floors.push({ code: `B${b}`, level: -b });
  for (let f = 1; f <= building.floors; f++) floors.push({ code: String(f), level: f });
  const known = new Set(floors.map((f) => f.code));
  let extra = building.floors;
  for (const d of building.devices) {
    if (d.floor !== undefined && !known.has(d.floor)) {
      known.add(d.floor);
      floors.push({ code: d.floor, level: ++extra });
    }
  }
  return floors;
}

/**
 * Upserts the estate structure a file describes (site, buildings, floors) and
 * registers one agent per building. Idempotent: run at every start-up.
 */
export async function importEstate(db: Database, estate: Estate): Promise<{ agents: { id: string; buildingId: string }[] }> {
  return db.transaction(async (tx) => {
    await upsertSite(tx, { id: estate.site.id, name: estate.site.name });
    const agents: { id: string; buildingId: string }[] = [];
    for (const building of estate.buildings) {
      await upsertBuilding(tx, { id: building.id, siteId: estate.site.id, name: building.name });
      for (const floor of floorsOf(building)) await upsertFloor(tx, { buildingId: building.id, ...floor });
      const agentId = agentIdOf(building.id);
      await ensureAgent(tx, { id: agentId, siteId: estate.site.id, buildingId: building.id });
      agents.push({ id: agentId, buildingId: building.id });
    }
    return { agents };
  });
}

export async function importEstateFile(db: Database, file: string): Promise<{ estate: Estate; agents: { id: string; buildingId: string }[] }> {
  const estate = loadEstate(file);
  return { estate, ...(await importEstate(db, estate)) };
}
