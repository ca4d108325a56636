import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { residentIdCheckChar, upsertBuilding, upsertFloor, upsertSite } from '../src/records/index.js';
import { databaseKinds } from './support/databases.js';
import { ADMIN_PASSWORD, demoPassword, startTestHub, type TestHub } from './support/hub.js';

type Login = 'admin' | 'manager' | 'clerk' | 'guard' | 'technician' | 'owner';

/** A valid resident ID number (GB 11643 check digit), distinct per n. */
function residentId(n: number): string {
  const first17 = `11010119900307${String(n).padStart(3, '0')}`;
  return first17 + residentIdCheckChar(first17);
}

interface Issue {
  field: string;
  message: string;
}

/**
 * Property records through the HTTP API against the real migrations on both
 * back-ends: units (search, status history), owners (personal data encrypted,
 * masked, revealed with an audit trail), the owner portal, staff work records.
 */
describe.each(databaseKinds)('records on %s', (kind) => {
  let hub: TestHub;
  const tokens = {} as Record<Login, string>;
  /** Every ID number this suite records, for the final check that none is stored in clear. */
  const clearIds: string[] = [];
  const phones: string[] = [];

  const api = (who: Login, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    hub.http.inject({ method, url, payload: payload as Record<string, unknown> | undefined, headers: { authorization: `Bearer ${tokens[who]}` } });

  const issuesOf = (res: { json(): unknown }) => ((res.json() as { error: { details?: { issues?: Issue[] } } }).error.details?.issues ?? []).map((i) => i.field);

  const count = async (sql: string, params: unknown[] = []) => (await hub.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0].n;

  const estate = async (site: string, buildings: string[], floors = ['1', '2', '3']) => {
    await upsertSite(hub.db, { id: site, name: site });
    for (const b of buildings) {
      await upsertBuilding(hub.db, { id: b, siteId: site, name: `Building ${b}` });
      for (const [i, code] of floors.entries()) await upsertFloor(hub.db, { buildingId: b, code, level: i + 1 });
    }
  };

  const createUnit = async (body: Record<string, unknown>) => {
    const res = await api('clerk', 'POST', '/api/units', body);
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { unit: { id: number } }).unit.id;
  };

  let ownerSeq = 0;
  const createOwner = async (name: string, extra: Record<string, unknown> = {}) => {
    const nationalId = residentId(++ownerSeq);
    const phone = `1381234${String(ownerSeq).padStart(4, '0')}`;
    clearIds.push(nationalId);
    phones.push(phone);
    const res = await api('clerk', 'POST', '/api/owners', { name, nationalId, phone, email: `owner${ownerSeq}@example.com`, ...extra });
    expect(res.statusCode, res.body).toBe(201);
    return { id: (res.json() as { owner: { id: number } }).owner.id, nationalId, phone };
  };

  const associate = async (unitId: number, ownerId: number, role: string, fromDate: string, toDate?: string) => {
    const res = await api('clerk', 'POST', `/api/units/${unitId}/owners`, { ownerId, role, fromDate, toDate });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { association: { id: number } }).association.id;
  };

  beforeAll(async () => {
    hub = await startTestHub(kind);
    tokens.admin = await hub.login('admin', ADMIN_PASSWORD);
    for (const role of ['manager', 'clerk', 'guard', 'technician', 'owner'] as const) tokens[role] = await hub.login(role, demoPassword(hub, role));
  });

  afterAll(async () => {
    await hub?.close();
  });

  it('finds units by building, floor, status, area range, owner and free text, paginated with totals', async () => {
    await estate('site-search', ['srch-a', 'srch-b']);
    const a101 = await createUnit({ buildingId: 'srch-a', number: '101', floor: '1', areaM2: 89.5, layout: '3室2厅', location: 'East stair', status: 'occupied' });
    const a102 = await createUnit({ buildingId: 'srch-a', number: '102', floor: '1', areaM2: 120, layout: '4室2厅' });
    const a201 = await createUnit({ buildingId: 'srch-a', number: '201', floor: '2', areaM2: 60, layout: '1室1厅', status: 'rented' });
    const a1001 = await createUnit({ buildingId: 'srch-a', number: '1001', floor: '3', areaM2: 150, status: 'renovation' });
    const b101 = await createUnit({ buildingId: 'srch-b', number: '101', floor: '1', areaM2: 95, status: 'under_repair' });
    const zhang = await createOwner('Zhang Wei');
    const li = await createOwner('Li Na');
    await associate(a101, zhang.id, 'owner', '2020-01-01');
    await associate(b101, zhang.id, 'owner', '2019-05-01', '2021-12-31'); // sold: no longer his
    await associate(a201, li.id, 'tenant', '2024-01-01');

    const search = async (query: string) => {
      const res = await api('clerk', 'GET', `/api/units?${query}`);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as { units: { id: number; number: string; occupants: { name: string }[] }[]; total: number; page: number; limit: number };
      return { ids: body.units.map((u) => u.id), total: body.total, body };
    };

    expect(await search('building=srch-a')).toMatchObject({ ids: [a101, a102, a201, a1001], total: 4 });
    expect((await search('building=srch-a&floor=1')).ids).toEqual([a101, a102]);
    expect((await search('building=srch-a&status=rented,renovation')).ids).toEqual([a201, a1001]);
    expect((await search('building=srch-a&status=occupied&status=vacant')).ids).toEqual([a101, a102]);
    expect((await search('building=srch-a&minArea=80&maxArea=120')).ids).toEqual([a101, a102]);
    expect((await search('building=srch-a&minArea=120')).ids).toEqual([a102, a1001]);
    expect((await search(`owner=${zhang.id}`)).ids).toEqual([a101]);
    expect((await search(`owner=${encodeURIComponent('zhang')}`)).ids).toEqual([a101]);
    expect((await search('q=3%E5%AE%A4&building=srch-a')).ids).toEqual([a101]); // "3室": the layout
    expect((await search('q=east+stair')).ids).toEqual([a101]);
    expect((await search('q=Li+Na')).ids).toEqual([a201]);
    expect((await search('building=srch-a&q=%25')).ids).toEqual([]); // "%" is a character, not a wildcard
    const byArea = await search('building=srch-a&sort=area&order=desc');
    expect(byArea.ids).toEqual([a1001, a102, a101, a201]);
    expect(byArea.body.units.find((u) => u.id === a101)!.occupants).toEqual([{ ownerId: zhang.id, name: 'Zhang Wei', role: 'owner' }]);

    const page1 = await search('building=srch-a&limit=3&page=1');
    const page2 = await search('building=srch-a&limit=3&page=2');
    const page3 = await search('building=srch-a&limit=3&page=3');
    expect(page1).toMatchObject({ ids: [a101, a102, a201], total: 4 });
    expect(page2).toMatchObject({ ids: [a1001], total: 4 });
    expect(page3).toMatchObject({ ids: [], total: 4 });
    expect(page2.body).toMatchObject({ page: 2, limit: 3 });
  });

  it('keeps every status change with who, when and why', async () => {
    await estate('site-status', ['stat-a']);
    const id = await createUnit({ buildingId: 'stat-a', number: '301', floor: '3', areaM2: 88 });
    const changed = await api('clerk', 'POST', `/api/units/${id}/status`, { status: 'renovation', reason: 'new owner renovating' });
    expect(changed.statusCode, changed.body).toBe(200);
    const again = await api('manager', 'POST', `/api/units/${id}/status`, { status: 'occupied', reason: 'moved in' });
    expect(again.statusCode, again.body).toBe(200);
    const detail = again.json() as { unit: { status: string }; history: { from: string | null; to: string; by: string; reason: string | null; at: string }[] };
    expect(detail.unit.status).toBe('occupied');
    expect(detail.history.map(({ from, to, by, reason }) => ({ from, to, by, reason }))).toEqual([
      { from: null, to: 'vacant', by: 'clerk', reason: 'created' },
      { from: 'vacant', to: 'renovation', by: 'clerk', reason: 'new owner renovating' },
      { from: 'renovation', to: 'occupied', by: 'manager', reason: 'moved in' },
    ]);
    expect(new Date(detail.history[2].at).getTime()).toBeGreaterThanOrEqual(new Date(detail.history[1].at).getTime());

    // The same status again is no change; guards read but do not write; an unknown status is a 400 on its field.
    expect((await api('clerk', 'POST', `/api/units/${id}/status`, { status: 'occupied' })).statusCode).toBe(409);
    expect((await api('guard', 'POST', `/api/units/${id}/status`, { status: 'vacant' })).statusCode).toBe(403);
    const bad = await api('clerk', 'POST', `/api/units/${id}/status`, { status: 'sold' });
    expect(bad.statusCode).toBe(400);
    expect(issuesOf(bad)).toEqual(['body.status']);
    expect(await count('unit_status_history WHERE unit_id = $1', [id])).toBe(3);
    expect(await count(`audit_log WHERE action = 'unit.status_changed' AND target_id = $1`, [String(id)])).toBe(2);
    // A guard reads the unit and its history.
    const seen = await api('guard', 'GET', `/api/units/${id}`);
    expect(seen.statusCode).toBe(200);
    expect((seen.json() as { history: unknown[] }).history).toHaveLength(3);

    // Corrections leave the status (and its history) alone; a unit entered by mistake can go, with its history.
    const corrected = await api('clerk', 'PATCH', `/api/units/${id}`, { number: '301A', areaM2: 88.25, floor: null, location: 'North wing' });
    expect(corrected.statusCode, corrected.body).toBe(200);
    expect((corrected.json() as { unit: unknown }).unit).toMatchObject({ number: '301A', areaM2: 88.25, floor: null, location: 'North wing', status: 'occupied' });
    expect(await count(`audit_log WHERE action = 'unit.updated' AND target_id = $1`, [String(id)])).toBe(1);
    const mistake = await createUnit({ buildingId: 'stat-a', number: '999' });
    expect((await api('guard', 'DELETE', `/api/units/${mistake}`)).statusCode).toBe(403);
    expect((await api('clerk', 'DELETE', `/api/units/${mistake}`)).statusCode).toBe(204);
    expect(await count('unit_status_history WHERE unit_id = $1', [mistake])).toBe(0);
    expect((await api('clerk', 'GET', `/api/units/${mistake}`)).statusCode).toBe(404);
  });

  it('answers bad input with a 400 naming each field, and changes nothing', async () => {
    await estate('site-bad', ['bad-a']);
    const unitsBefore = await count('units');
    const ownersBefore = await count('owners');
    const lastAudit = (await hub.db.query<{ id: number }>('SELECT coalesce(max(id), 0)::int AS id FROM audit_log')).rows[0].id;
    const auditSince = async () => (await hub.db.query<{ action: string }>('SELECT action FROM audit_log WHERE id > $1 ORDER BY id', [lastAudit])).rows.map((r) => r.action);

    const unit = await api('clerk', 'POST', '/api/units', { buildingId: '', number: 5, areaM2: -3, status: 'sold' });
    expect(unit.statusCode).toBe(400);
    expect((unit.json() as { error: { code: string } }).error.code).toBe('WARDEN_ERR_VALIDATION');
    expect(issuesOf(unit).sort()).toEqual(['body.areaM2', 'body.buildingId', 'body.number', 'body.status']);

    const noFloor = await api('clerk', 'POST', '/api/units', { buildingId: 'bad-a', number: '9', floor: '99' });
    expect(noFloor.statusCode).toBe(400);
    expect(issuesOf(noFloor)).toEqual(['body.floor']);
    const noBuilding = await api('clerk', 'POST', '/api/units', { buildingId: 'nowhere', number: '9' });
    expect(issuesOf(noBuilding)).toEqual(['body.buildingId']);

    const wrongCheckDigit = residentId(900).slice(0, 17) + (residentId(900).endsWith('0') ? '1' : '0');
    const owner = await api('clerk', 'POST', '/api/owners', { name: ' ', nationalId: wrongCheckDigit, email: 'not-an-address', phone: 'call me' });
    expect(owner.statusCode).toBe(400);
    expect(issuesOf(owner).sort()).toEqual(['body.email', 'body.name', 'body.nationalId', 'body.phone']);
    // The answer explains the problem without repeating the number.
    expect(owner.body).not.toContain(wrongCheckDigit);

    const range = await api('clerk', 'GET', '/api/units?minArea=100&maxArea=50&page=0');
    expect(range.statusCode).toBe(400);
    expect(issuesOf(range).sort()).toEqual(['querystring.minArea', 'querystring.page']);

    expect(await auditSince()).toEqual([]);
    const id = await createUnit({ buildingId: 'bad-a', number: '1', floor: '1' });
    const emptyPatch = await api('clerk', 'PATCH', `/api/units/${id}`, {});
    expect(emptyPatch.statusCode).toBe(400);
    const unknownField = await api('clerk', 'PATCH', `/api/units/${id}`, { status: 'occupied' });
    expect(unknownField.statusCode).toBe(400);
    const dates = await api('clerk', 'POST', `/api/units/${id}/owners`, { ownerId: 1, role: 'landlord', fromDate: '2024-02-30', toDate: '2023-01-01' });
    expect(dates.statusCode).toBe(400);
    expect(issuesOf(dates).sort()).toEqual(['body.fromDate', 'body.role']);
    const before = await api('clerk', 'POST', `/api/units/${id}/owners`, { ownerId: 1, role: 'owner', fromDate: '2024-02-01', toDate: '2023-01-01' });
    expect(issuesOf(before)).toEqual(['body.toDate']);
    const duplicate = await api('clerk', 'POST', '/api/units', { buildingId: 'bad-a', number: '1' });
    expect(duplicate.statusCode).toBe(409);
    expect(issuesOf(duplicate)).toEqual(['body.number']);

    expect(await count('units')).toBe(unitsBefore + 1);
    expect(await count('owners')).toBe(ownersBefore);
    // Only the one unit created in between left a trace.
    expect(await auditSince()).toEqual(['unit.created']);
    expect(await count('unit_owners WHERE unit_id = $1', [id])).toBe(0);
  });

  it('masks ID numbers and phones for guards and technicians; a clerk reveals, each reveal audited with its reason; a guard may not', async () => {
    await estate('site-mask', ['mask-a']);
    const unitId = await createUnit({ buildingId: 'mask-a', number: '501', floor: '3' });
    const owner = await createOwner('Wang Fang');
    await associate(unitId, owner.id, 'owner', '2022-03-01');
    const masked = `${owner.nationalId.slice(0, 3)}***********${owner.nationalId.slice(-4)}`;

    for (const who of ['guard', 'technician'] as const) {
      const one = await api(who, 'GET', `/api/owners/${owner.id}`);
      expect(one.statusCode, one.body).toBe(200);
      expect((one.json() as { owner: unknown }).owner).toMatchObject({
        name: 'Wang Fang',
        nationalIdMasked: masked,
        phone: `${owner.phone.slice(0, 3)}****${owner.phone.slice(-4)}`,
        email: 'o***@example.com',
        contactsMasked: true,
        notes: null,
      });
      const list = await api(who, 'GET', `/api/owners?unit=${unitId}`);
      expect(list.statusCode).toBe(200);
      expect(list.body).not.toContain(owner.nationalId);
      expect(list.body).not.toContain(owner.phone);
      expect((list.json() as { owners: { id: number; nationalIdMasked: string }[] }).owners).toEqual([expect.objectContaining({ id: owner.id, nationalIdMasked: masked })]);
    }
    // The office sees contacts, but the ID number stays masked in every answer, for every role.
    const clerkView = await api('clerk', 'GET', `/api/owners/${owner.id}`);
    expect((clerkView.json() as { owner: unknown }).owner).toMatchObject({ nationalIdMasked: masked, phone: owner.phone, contactsMasked: false });
    expect(clerkView.body).not.toContain(owner.nationalId);

    const reveal = (who: Login, reason: unknown) => api(who, 'POST', `/api/owners/${owner.id}/reveal-id`, { reason });
    const first = await reveal('clerk', 'owner at the counter asked to verify the deed');
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ ownerId: owner.id, idType: 'resident_id', nationalId: owner.nationalId });
    expect(first.headers['cache-control']).toBe('no-store');
    expect((await reveal('clerk', 'notarised sale contract')).statusCode).toBe(200);
    expect((await reveal('manager', 'court request 2024-17')).statusCode).toBe(200);

    for (const who of ['guard', 'technician', 'owner'] as const) {
      const denied = await reveal(who, 'just curious');
      expect(denied.statusCode).toBe(403);
      expect(denied.body).not.toContain(owner.nationalId);
    }
    const noReason = await reveal('clerk', '');
    expect(noReason.statusCode).toBe(400);
    expect(issuesOf(noReason)).toEqual(['body.reason']);

    const { rows } = await hub.db.query<{ actor: string; user_id: number; details: { reason: string }; at: Date }>(
      `SELECT actor, user_id, details, at FROM audit_log WHERE action = 'owner.national_id_revealed' AND target_type = 'owner' AND target_id = $1 ORDER BY id`,
      [String(owner.id)],
    );
    expect(rows.map((r) => [r.actor, r.details.reason])).toEqual([
      ['clerk', 'owner at the counter asked to verify the deed'],
      ['clerk', 'notarised sale contract'],
      ['manager', 'court request 2024-17'],
    ]);
    expect(rows.every((r) => r.user_id > 0 && r.at instanceof Date)).toBe(true);

    // Exact lookup by number goes through the blind index, in a body, and is audited without the number.
    const found = await api('clerk', 'POST', '/api/owners/lookup', { nationalId: owner.nationalId.toLowerCase().replace(/^(\d{6})/, '$1 ') });
    expect((found.json() as { owner: { id: number } | null }).owner?.id).toBe(owner.id);
    expect((await api('guard', 'POST', '/api/owners/lookup', { nationalId: owner.nationalId })).statusCode).toBe(403);
    // A second owner with the same number (however written) is refused.
    const twin = await api('clerk', 'POST', '/api/owners', { name: 'Someone Else', nationalId: owner.nationalId.replace(/(\d{6})(\d{8})/, '$1-$2-') });
    expect(twin.statusCode).toBe(409);
    expect(issuesOf(twin)).toEqual(['body.nationalId']);
  });

  it('shows an owner-portal user only their own units and their own record', async () => {
    await estate('site-portal', ['portal-a']);
    const mine = await createUnit({ buildingId: 'portal-a', number: '701', floor: '3', status: 'occupied' });
    const sold = await createUnit({ buildingId: 'portal-a', number: '702', floor: '3' });
    const neighbours = await createUnit({ buildingId: 'portal-a', number: '703', floor: '3', status: 'occupied' });
    const ownerUserId = (await hub.db.query<{ id: number }>(`SELECT id FROM users WHERE username = 'owner'`)).rows[0].id;
    const me = await createOwner('Chen Jie');
    const coOwner = await createOwner('Chen Jie Spouse');
    const neighbour = await createOwner('Neighbour');
    const linked = await api('clerk', 'PATCH', `/api/owners/${me.id}`, { userId: ownerUserId });
    expect(linked.statusCode, linked.body).toBe(200);
    // A staff login cannot be an owner's portal login.
    const guardUserId = (await hub.db.query<{ id: number }>(`SELECT id FROM users WHERE username = 'guard'`)).rows[0].id;
    expect(issuesOf(await api('clerk', 'PATCH', `/api/owners/${coOwner.id}`, { userId: guardUserId }))).toEqual(['body.userId']);
    await associate(mine, me.id, 'owner', '2021-06-01');
    await associate(mine, coOwner.id, 'owner', '2021-06-01');
    const soldAssociation = await associate(sold, me.id, 'owner', '2015-01-01');
    const ended = await api('clerk', 'POST', `/api/units/${sold}/owners/${soldAssociation}/end`, { toDate: '2020-12-31', reason: 'sold' });
    expect(ended.statusCode, ended.body).toBe(200);
    expect((ended.json() as { association: unknown }).association).toMatchObject({ toDate: '2020-12-31', current: false, endedBy: 'clerk', endReason: 'sold' });
    await associate(neighbours, neighbour.id, 'owner', '2018-01-01');

    const list = await api('owner', 'GET', '/api/units');
    expect(list.statusCode, list.body).toBe(200);
    const units = (list.json() as { units: { id: number; occupants: { name: string }[] }[]; total: number });
    expect(units.units.map((u) => u.id)).toEqual([mine]);
    expect(units.total).toBe(1);
    expect(units.units[0].occupants.map((o) => o.name)).toEqual(['Chen Jie']);
    expect((await api('owner', 'GET', `/api/units?building=portal-a&q=703`)).json()).toMatchObject({ units: [], total: 0 });

    const detail = await api('owner', 'GET', `/api/units/${mine}`);
    expect(detail.statusCode).toBe(200);
    expect((detail.json() as { associations: { ownerName: string }[] }).associations.map((a) => a.ownerName)).toEqual(['Chen Jie']);
    expect((await api('owner', 'GET', `/api/units/${neighbours}`)).statusCode).toBe(404);
    expect((await api('owner', 'GET', `/api/units/${sold}`)).statusCode).toBe(404);

    const owners = await api('owner', 'GET', '/api/owners');
    const ownRecord = (owners.json() as { owners: { id: number; phone: string; nationalIdMasked: string }[] }).owners;
    expect(ownRecord.map((o) => o.id)).toEqual([me.id]);
    expect(ownRecord[0].phone).toBe(me.phone);
    expect((await api('owner', 'GET', `/api/owners/${neighbour.id}`)).statusCode).toBe(404);
    expect((await api('owner', 'POST', '/api/units', { buildingId: 'portal-a', number: '704' })).statusCode).toBe(403);
    expect((await api('owner', 'POST', `/api/units/${mine}/status`, { status: 'vacant' })).statusCode).toBe(403);
    // A unit with people on record keeps its history: it cannot be deleted.
    expect((await api('clerk', 'DELETE', `/api/units/${sold}`)).statusCode).toBe(409);
    // Ending an association twice, or before it began, is refused.
    expect((await api('clerk', 'POST', `/api/units/${sold}/owners/${soldAssociation}/end`, { toDate: '2021-01-01' })).statusCode).toBe(409);
    const early = await api('clerk', 'POST', `/api/units/${mine}/owners`, { ownerId: me.id, role: 'owner', fromDate: '2022-01-01' });
    expect(early.statusCode).toBe(409); // overlaps the open association from 2021-06-01
  });

  it("derives a member of staff's work record from work orders: done, time spent, SLA kept, by month", async () => {
    await estate('site-work', ['work-a']);
    const techUserId = (await hub.db.query<{ id: number }>(`SELECT id FROM users WHERE username = 'technician'`)).rows[0].id;
    const created = await api('clerk', 'POST', '/api/records/staff', {
      name: 'Liu Yang',
      position: 'Maintenance technician',
      phone: '13900000001',
      email: 'liu.yang@example.com',
      trades: ['plumbing', 'electrical'],
      buildings: ['work-a'],
      userId: techUserId,
    });
    expect(created.statusCode, created.body).toBe(201);
    const tech = (created.json() as { staff: { id: number; user: { role: string } } }).staff;
    expect(tech.user.role).toBe('technician');
    const other = (await api('clerk', 'POST', '/api/records/staff', { name: 'Wang Fang', email: 'wang.fang@example.com', trades: ['plumbing'] })).json() as { staff: { id: number } };
    const dupe = await api('clerk', 'POST', '/api/records/staff', { name: 'Imposter', email: 'LIU.YANG@example.com' });
    expect(dupe.statusCode).toBe(409);
    expect(issuesOf(dupe)).toEqual(['body.email']);

    let n = 0;
    const MIN = 60_000;
    const workOrder = async (o: { assignee: number; created: string; acceptedAfterMin: number | null; resolvedAfterMin: number | null; acceptDueMin: number; resolveDueMin: number; status: string }) => {
      const at = new Date(o.created).getTime();
      const t = (min: number | null) => (min === null ? null : new Date(at + min * MIN));
      await hub.db.query(
        `INSERT INTO work_orders (number, kind, source, title, priority, status, trade, building_id, assignee_id, created_by, created_at,
                                  accept_due_at, resolve_due_at, assigned_at, accepted_at, resolved_at)
         VALUES ($1, 'maintenance', 'manual', 'Leak', 'medium', $2, 'plumbing', 'work-a', $3, 'test', $4, $5, $6, $4, $7, $8)`,
        [`WR-${kind}-${++n}`, o.status, o.assignee, new Date(at), t(o.acceptDueMin), t(o.resolveDueMin), t(o.acceptedAfterMin), t(o.resolvedAfterMin)],
      );
    };
    // January (Asia/Shanghai): one in time (accepted 30 min, resolved at 2 h: 90 min spent), one resolved late (290 min spent).
    await workOrder({ assignee: tech.id, created: '2025-01-10T02:00:00Z', acceptedAfterMin: 30, resolvedAfterMin: 120, acceptDueMin: 60, resolveDueMin: 240, status: 'closed' });
    await workOrder({ assignee: tech.id, created: '2025-01-20T02:00:00Z', acceptedAfterMin: 10, resolvedAfterMin: 300, acceptDueMin: 60, resolveDueMin: 240, status: 'resolved' });
    // February: accepted late (30 min spent); and one resolved 1 Feb 05:30 in Shanghai, still 31 Jan in UTC (30 min spent, in time).
    await workOrder({ assignee: tech.id, created: '2025-02-03T02:00:00Z', acceptedAfterMin: 90, resolvedAfterMin: 120, acceptDueMin: 60, resolveDueMin: 240, status: 'closed' });
    await workOrder({ assignee: tech.id, created: '2025-01-31T20:00:00Z', acceptedAfterMin: 60, resolvedAfterMin: 90, acceptDueMin: 60, resolveDueMin: 240, status: 'resolved' });
    // Not counted: still open, someone else's, before the range.
    await workOrder({ assignee: tech.id, created: '2025-02-10T02:00:00Z', acceptedAfterMin: 5, resolvedAfterMin: null, acceptDueMin: 60, resolveDueMin: 240, status: 'in_progress' });
    await workOrder({ assignee: other.staff.id, created: '2025-01-12T02:00:00Z', acceptedAfterMin: 5, resolvedAfterMin: 50, acceptDueMin: 60, resolveDueMin: 240, status: 'closed' });
    await workOrder({ assignee: tech.id, created: '2024-12-20T02:00:00Z', acceptedAfterMin: 5, resolvedAfterMin: 50, acceptDueMin: 60, resolveDueMin: 240, status: 'closed' });

    const res = await api('manager', 'GET', `/api/staff/${tech.id}/work-record?from=2025-01-01&to=2025-03-01`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      staffId: tech.id,
      name: 'Liu Yang',
      from: '2024-12-31T16:00:00.000Z',
      to: '2025-02-28T16:00:00.000Z',
      openNow: 1,
      total: { done: 4, timeSpentSeconds: (90 + 290 + 30 + 30) * 60, averageSeconds: 110 * 60, slaKept: 2, slaKeptPercent: 50 },
      months: [
        { month: '2025-01', done: 2, timeSpentSeconds: (90 + 290) * 60, averageSeconds: 190 * 60, slaKept: 1, slaKeptPercent: 50 },
        { month: '2025-02', done: 2, timeSpentSeconds: 60 * 60, averageSeconds: 30 * 60, slaKept: 1, slaKeptPercent: 50 },
      ],
    });

    // Staff see their own record only; a clerk keeps records but does not review performance.
    expect((await api('technician', 'GET', `/api/staff/${tech.id}/work-record?from=2025-01-01&to=2025-03-01`)).statusCode).toBe(200);
    expect((await api('technician', 'GET', `/api/staff/${other.staff.id}/work-record`)).statusCode).toBe(403);
    expect((await api('clerk', 'GET', `/api/staff/${tech.id}/work-record`)).statusCode).toBe(403);
    const badRange = await api('manager', 'GET', `/api/staff/${tech.id}/work-record?from=2025-03-01&to=2025-01-01`);
    expect(issuesOf(badRange)).toEqual(['querystring.from']);
    // Dispatch's staff list is unchanged by the records module.
    const dispatch = await api('manager', 'GET', '/api/staff?trade=plumbing');
    expect(dispatch.statusCode).toBe(200);
    expect((dispatch.json() as { staff: { id: number }[] }).staff.map((s) => s.id)).toEqual(expect.arrayContaining([tech.id, other.staff.id]));
    const detail = await api('clerk', 'GET', `/api/records/staff/${tech.id}`);
    expect((detail.json() as { staff: { buildings: string[]; trades: string[] } }).staff).toMatchObject({ buildings: ['work-a'], trades: ['plumbing', 'electrical'] });
  });

  // Last: it checks what every test above stored.
  it('stores no national ID number (nor phone) in clear: not in any column of owners, not in the audit log, not in the logs', async () => {
    expect(clearIds.length).toBeGreaterThanOrEqual(6);
    const owners = (await hub.db.query<{ row: string }>(`SELECT row_to_json(o)::text AS row FROM owners o`)).rows.map((r) => r.row).join('\n');
    // And not as raw bytes inside a bytea either (escape encoding shows printable bytes as they are).
    const raw = (await hub.db.query<{ row: string }>(`SELECT concat_ws('|', encode(national_id_enc, 'escape'), encode(phone_enc, 'escape'), encode(email_enc, 'escape'), encode(national_id_index, 'escape')) AS row FROM owners`)).rows
      .map((r) => r.row)
      .join('\n');
    const audit = (await hub.db.query<{ row: string }>(`SELECT row_to_json(a)::text AS row FROM audit_log a`)).rows.map((r) => r.row).join('\n');
    const logs = JSON.stringify(hub.logs);
    expect(owners.length).toBeGreaterThan(0);
    for (const id of clearIds) {
      const hex = Buffer.from(id).toString('hex');
      for (const [where, text] of Object.entries({ owners, raw, audit, logs })) {
        expect(text.includes(id), `${where} holds an ID number in clear`).toBe(false);
        expect(text.includes(id.slice(6, 14)), `${where} holds a date of birth`).toBe(false);
        expect(text.toLowerCase().includes(hex), `${where} holds an ID number as hex`).toBe(false);
      }
    }
    for (const phone of phones) for (const text of [owners, raw, audit, logs]) expect(text.includes(phone)).toBe(false);
    // What is there instead: sealed values of the expected shape, and the key's check value, not the key.
    const { rows } = await hub.db.query<{ enc: Buffer; idx: Buffer }>('SELECT national_id_enc AS enc, national_id_index AS idx FROM owners LIMIT 1');
    expect(rows[0].enc[0]).toBe(1);
    expect(rows[0].enc.length).toBe(1 + 12 + 16 + 18);
    expect(rows[0].idx.length).toBe(32);
  });
});
