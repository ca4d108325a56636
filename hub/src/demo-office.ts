import { agentIdOf, type Estate } from '@warden/simulators';
import type { Hub } from './app.js';
import type { SessionUser } from './auth/roles.js';
import { ensureDevice, loadAgents } from './devices/devices.repository.js';
import { residentIdCheckChar } from './records/index.js';

/**
 * The property office's side of the demo estate, so its pages have something to show:
 * four flats a floor on floors 2–12 of each building (the flats whose meters the estate
 * simulates among them), an owner for most flats (contacts encrypted like any other),
 * the demo `owner` login holding flat A-0301, a fee schedule (management fee per m²,
 * parking, water and electricity by meter, with a late-fee rule), parking spaces for
 * some flats, and each simulated meter linked to its flat. Seeded once: an estate that
 * already has units is left alone.
 */
export async function seedDemoOffice(hub: Hub, estate: Estate): Promise<void> {
  const db = hub.db;
  if ((await db.query('SELECT 1 FROM units LIMIT 1')).rowCount) return;
  const admin = (await db.query<{ id: number }>(`SELECT id FROM users WHERE username = 'admin'`)).rows[0];
  const system: SessionUser = { id: admin.id, username: 'demo', displayName: 'Demo seed', role: 'admin', buildings: [] };
  const ownerLogin = (await db.query<{ id: number }>(`SELECT id FROM users WHERE username = 'owner' AND role = 'owner'`)).rows[0]?.id ?? null;

  // Through the office's own CSV import (one transaction per file, owners' data sealed by it).
  const unitsCsv = ['building,number,floor,area_m2,layout,status'];
  const ownersCsv = ['name,national_id,phone,email,building,unit,role,from_date'];
  let n = 0;
  for (const building of estate.buildings) {
    for (let floor = 2; floor <= Math.min(building.floors, 12); floor++) {
      for (let flat = 1; flat <= 4; flat++) {
        const number = `${String(floor).padStart(2, '0')}${String(flat).padStart(2, '0')}`;
        const plan = FLATS[flat - 1];
        n += 1;
        const vacant = n % 9 === 0;
        unitsCsv.push([building.id, number, floor, plan.areaM2, plan.layout, vacant ? 'vacant' : n % 5 === 0 ? 'rented' : 'occupied'].join(','));
        if (vacant) continue;
        const name = building === estate.buildings[0] && number === '0301' ? DEMO_OWNER : NAMES[n % NAMES.length];
        ownersCsv.push([name, demoNationalId(n), `138${String(10_000_000 + n * 7919).slice(0, 8)}`, `owner${n}@example.com`, building.id, number, 'owner', '2020-01-01'].join(','));
      }
    }
  }
  for (const [kind, csv] of [['units', unitsCsv], ['owners', ownersCsv]] as const) {
    const report = await hub.records.imports.run(system, kind, csv.join('\n'), false);
    if (report.rejected.length) throw new Error(`demo ${kind}: ${JSON.stringify(report.rejected.slice(0, 3))}`);
  }
  if (ownerLogin !== null) await db.query('UPDATE owners SET user_id = $1 WHERE name = $2', [ownerLogin, DEMO_OWNER]);
  await seedFeeSchedule(hub);
  // Parking spaces: every third flat.
  await db.query(
    `INSERT INTO unit_charges (unit_id, fee_item_id, quantity, from_period, created_by)
     SELECT u.id, f.id, 1, '2020-01', 'demo' FROM units u, fee_items f WHERE f.code = 'parking' AND u.id % 3 = 0`,
  );
  await linkMeters(hub, estate);
}

const FLATS = [
  { areaM2: 89.5, layout: '2室2厅' },
  { areaM2: 120, layout: '3室2厅' },
  { areaM2: 65.25, layout: '1室1厅' },
  { areaM2: 142.8, layout: '4室2厅' },
];

const DEMO_OWNER = '王芳 Wang Fang';
const NAMES = ['李娜 Li Na', '张伟 Zhang Wei', '刘洋 Liu Yang', '陈静 Chen Jing', '杨磊 Yang Lei', '赵敏 Zhao Min', '黄勇 Huang Yong', '周婷 Zhou Ting', '吴强 Wu Qiang', '徐丽 Xu Li'];

/** A well-formed (check digit and all) but invented resident ID number: Beijing Chaoyang, born 1970–1999. */
function demoNationalId(n: number): string {
  const first17 = `110105${1970 + (n % 30)}${String((n % 12) + 1).padStart(2, '0')}${String((n % 28) + 1).padStart(2, '0')}${String(n % 1000).padStart(3, '0')}`;
  return first17 + residentIdCheckChar(first17);
}

/** Rates in fen (exact decimals): management 2.80 yuan/m² a month (3.20 in the second building), parking 300 yuan, water 4.10 yuan/m³, electricity 0.568 yuan/kWh. */
async function seedFeeSchedule(hub: Hub): Promise<void> {
  const items: [code: string, name: string, nameZh: string, basis: string, meterKind: string | null, rateFen: string][] = [
    ['mgmt', 'Management fee', '物业管理费', 'area', null, '280'],
    ['parking', 'Parking space', '车位管理费', 'fixed', null, '30000'],
    ['water', 'Water', '水费', 'meter', 'water', '410'],
    ['electricity', 'Electricity', '电费', 'meter', 'electricity', '56.8'],
  ];
  for (const [code, name, nameZh, basis, meterKind, rate] of items) {
    const id = (await hub.db.query<{ id: number }>(
      `INSERT INTO fee_items (code, name, name_zh, basis, meter_kind, due_days, late_daily_bp, late_cap_bp, late_grace_days)
       VALUES ($1, $2, $3, $4, $5, 15, 5, 1000, 5) RETURNING id`,
      [code, name, nameZh, basis, meterKind],
    )).rows[0].id;
    await hub.db.query(`INSERT INTO fee_rates (fee_item_id, rate_fen, effective_from, created_by) VALUES ($1, $2, '2020-01-01', 'demo')`, [id, rate]);
  }
  const second = (await hub.db.query<{ id: string }>('SELECT id FROM buildings ORDER BY id OFFSET 1 LIMIT 1')).rows[0];
  if (second) {
    await hub.db.query(`INSERT INTO fee_rates (fee_item_id, building_id, rate_fen, effective_from, created_by) SELECT id, $1, '320', '2020-01-01', 'demo' FROM fee_items WHERE code = 'mgmt'`, [second.id]);
  }
}

/** Each simulated meter (`a-wm-0301`: building A's flat 0301) linked to its flat; registered ahead of the agent's birth. */
async function linkMeters(hub: Hub, estate: Estate): Promise<void> {
  const agents = new Map((await loadAgents(hub.db)).map((a) => [a.id, a]));
  for (const building of estate.buildings) {
    const agent = agents.get(agentIdOf(building.id));
    if (!agent) continue;
    for (const device of building.devices) {
      const kind = device.type === 'meter.water' ? 'water' : device.type === 'meter.electricity' ? 'electricity' : null;
      const flat = /(\d{4})$/.exec(device.id)?.[1];
      if (!kind || !flat) continue;
      const unit = (await hub.db.query<{ id: number }>('SELECT id FROM units WHERE building_id = $1 AND number = $2', [building.id, flat])).rows[0];
      if (!unit) continue;
      const { deviceId } = await ensureDevice(hub.db, agent, device.id);
      await hub.db.query(
        // In service since the flats were handed over: the register's history before the demo started is unknown,
        // so the first months' readings come up missing (estimated, for a clerk to confirm) as they would for real.
        `INSERT INTO meters (device_id, metric, kind, building_id, unit_id, rollover_at, installed_at, created_by) VALUES ($1, $2, $3, $4, $5, 99999.999, '2020-01-01T00:00:00+08:00', 'demo')`,
        [deviceId, kind === 'water' ? 'volume' : 'energy', kind, building.id, unit.id],
      );
    }
  }
}
