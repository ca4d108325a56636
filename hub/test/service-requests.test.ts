import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { upsertBuilding, upsertSite } from '../src/records/index.js';
import { databaseKinds } from './support/databases.js';
import { demoPassword, startTestHub, type TestHub } from './support/hub.js';
import { waitFor } from './support/wait.js';

type Login = 'owner' | 'clerk' | 'technician' | 'manager';

/**
 * Customer service through the real database on both back-ends: an owner's portal
 * request classified by a clerk into a work order, dispatched, followed to closure,
 * rated once, and counted in the satisfaction report; owners limited to their own.
 */
describe.each(databaseKinds)('service requests on %s', (kind) => {
  let hub: TestHub;
  const tokens = {} as Record<Login, string>;
  let myUnit: number;
  let otherUnit: number;
  let techStaffId: number;

  const api = (who: Login, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    hub.http.inject({ method, url, payload: payload as Record<string, unknown> | undefined, headers: { authorization: `Bearer ${tokens[who]}` } });
  const userId = async (role: string) => (await hub.db.query<{ id: number }>('SELECT id FROM users WHERE username = $1', [role])).rows[0].id;

  const addOwner = async (name: string, user: number | null, unit: number) => {
    const id = (await hub.db.query<{ id: number }>(
      `INSERT INTO owners (name, national_id_enc, national_id_index, user_id) VALUES ($1, $2, $3, $4) RETURNING id`,
      [name, Buffer.from(`enc-${name}`), Buffer.from(`idx-${name}`), user],
    )).rows[0].id;
    await hub.db.query(`INSERT INTO unit_owners (unit_id, owner_id, role, from_date, created_by) VALUES ($1, $2, 'owner', '2020-01-01', 'test')`, [unit, id]);
    return id;
  };

  beforeAll(async () => {
    hub = await startTestHub(kind);
    for (const who of ['owner', 'clerk', 'technician', 'manager'] as const) tokens[who] = await hub.login(who, demoPassword(hub, who));
    await upsertSite(hub.db, { id: 'site-s', name: 'Site S' });
    await upsertBuilding(hub.db, { id: 'bs1', siteId: 'site-s', name: 'Tower S' });
    myUnit = (await hub.db.query<{ id: number }>(`INSERT INTO units (building_id, number) VALUES ('bs1', '101') RETURNING id`)).rows[0].id;
    otherUnit = (await hub.db.query<{ id: number }>(`INSERT INTO units (building_id, number) VALUES ('bs1', '102') RETURNING id`)).rows[0].id;
    await addOwner('Olga Owner', await userId('owner'), myUnit);
    await addOwner('Nina Neighbour', null, otherUnit);
    // The demo technician is a plumber on shift: dispatch has someone to choose.
    techStaffId = (await hub.db.query<{ id: number }>(`INSERT INTO staff (user_id, name, trades) VALUES ($1, 'Tom Tech', '{plumbing}') RETURNING id`, [await userId('technician')])).rows[0].id;
    await hub.db.query(`INSERT INTO staff_shifts (staff_id, starts_at, ends_at) VALUES ($1, now() - interval '1 hour', now() + interval '12 hours')`, [techStaffId]);
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
  });

  it('takes an owner portal request through classification, dispatch, closure, survey and the report', async () => {
    const created = await api('owner', 'POST', '/api/service-requests', { unitId: myUnit, category: 'plumbing', urgency: 'high', description: 'Water dripping from the ceiling', location: 'bathroom' });
    expect(created.statusCode, created.body).toBe(201);
    const request = created.json().request;
    expect(request).toMatchObject({ channel: 'portal', status: 'new', buildingId: 'bs1', unit: { id: myUnit, number: '101' }, contactName: 'Olga Owner' });

    // Not yet closed: no rating.
    expect((await api('owner', 'POST', `/api/service-requests/${request.id}/survey`, { score: 5 })).statusCode).toBe(409);
    // Owners do not classify.
    expect((await api('owner', 'POST', `/api/service-requests/${request.id}/classify`, {})).statusCode).toBe(403);

    const classified = await api('clerk', 'POST', `/api/service-requests/${request.id}/classify`, { urgency: 'medium' });
    expect(classified.statusCode, classified.body).toBe(200);
    expect(classified.json().request).toMatchObject({ status: 'dispatched', urgency: 'medium', workOrder: { id: expect.any(Number) } });
    const woId = classified.json().request.workOrder.id as number;
    const wo = (await hub.db.query(`SELECT kind, source, trade, priority, status, assignee_id, building_id FROM work_orders WHERE id = $1`, [woId])).rows[0];
    expect(wo).toMatchObject({ kind: 'maintenance', source: 'request', trade: 'plumbing', priority: 'medium', status: 'assigned', assignee_id: techStaffId, building_id: 'bs1' });
    // A second classification is refused.
    expect((await api('clerk', 'POST', `/api/service-requests/${request.id}/classify`, {})).statusCode).toBe(409);

    // Staff add a note with a photo and an exception to the timeline.
    const noted = await api('technician', 'POST', `/api/service-requests/${request.id}/events`, { action: 'note', note: 'leak above the bath', photos: ['https://img.example/1.jpg'], location: 'unit 101 bathroom' });
    expect(noted.statusCode, noted.body).toBe(201);
    expect((await api('clerk', 'POST', `/api/service-requests/${request.id}/events`, { action: 'exception', note: 'owner not at home at the first visit' })).statusCode).toBe(201);

    for (const step of ['accept', 'start']) expect((await api('technician', 'POST', `/api/work-orders/${woId}/${step}`, {})).statusCode).toBe(200);
    expect((await api('owner', 'GET', `/api/service-requests/${request.id}`)).json().request.status).toBe('in_progress');
    expect((await api('technician', 'POST', `/api/work-orders/${woId}/resolve`, { resolution: 'replaced the seal' })).statusCode).toBe(200);
    expect((await api('owner', 'GET', `/api/service-requests/${request.id}`)).json().request.status).toBe('resolved');
    expect((await api('manager', 'POST', `/api/work-orders/${woId}/close`, {})).statusCode).toBe(200);

    const seen = await api('owner', 'GET', `/api/service-requests/${request.id}`);
    expect(seen.statusCode).toBe(200);
    expect(seen.json().request).toMatchObject({ status: 'closed', closedAt: expect.any(String), resolvedAt: expect.any(String) });
    const actions = (seen.json().events as { action: string }[]).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['create', 'classify', 'dispatch', 'note', 'exception', 'status']));
    expect((seen.json().events as { photos: string[] }[]).some((e) => e.photos.includes('https://img.example/1.jpg'))).toBe(true);
    // Status changes are recorded once, whether the bus or a read brought them.
    const statuses = (seen.json().events as { action: string; toStatus: string }[]).filter((e) => e.action === 'status').map((e) => e.toStatus);
    expect(new Set(statuses).size).toBe(statuses.length);

    // Only the requester rates; once.
    expect((await api('clerk', 'POST', `/api/service-requests/${request.id}/survey`, { score: 1 })).statusCode).toBe(403);
    const survey = await api('owner', 'POST', `/api/service-requests/${request.id}/survey`, { score: 4, comment: 'quick and tidy' });
    expect(survey.statusCode, survey.body).toBe(201);
    const again = await api('owner', 'POST', `/api/service-requests/${request.id}/survey`, { score: 5 });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('WARDEN_ERR_CONFLICT');

    const report = await api('manager', 'GET', `/api/service/satisfaction?from=${new Date(Date.now() - 3_600_000).toISOString()}`);
    expect(report.statusCode, report.body).toBe(200);
    const month = new Date().toISOString().slice(0, 7);
    expect(report.json()).toMatchObject({
      count: 1,
      average: 4,
      byCategory: [{ key: 'plumbing', count: 1, average: 4 }],
      byBuilding: [{ key: 'bs1', count: 1, average: 4 }],
      byStaff: [{ key: String(techStaffId), name: 'Tom Tech', count: 1, average: 4 }],
      byMonth: [{ key: month, count: 1, average: 4 }],
    });
    const empty = await api('clerk', 'GET', `/api/service/satisfaction?to=2000-01-01T00:00:00Z`);
    expect(empty.json()).toMatchObject({ count: 0, byCategory: [] });
    expect((await api('owner', 'GET', '/api/service/satisfaction')).statusCode).toBe(403);
  });

  it('keeps owners to their own units and requests; clerks take phone requests for any unit', async () => {
    const forbidden = await api('owner', 'POST', '/api/service-requests', { unitId: otherUnit, category: 'noise', description: 'loud music' });
    expect(forbidden.statusCode).toBe(403);

    const phone = await api('clerk', 'POST', '/api/service-requests', { unitId: otherUnit, category: 'noise', urgency: 'low', description: 'neighbour complains about music', contactName: 'Nina' });
    expect(phone.statusCode, phone.body).toBe(201);
    const other = phone.json().request;
    expect(other).toMatchObject({ channel: 'phone', status: 'new', buildingId: 'bs1' });
    expect((await api('owner', 'GET', `/api/service-requests/${other.id}`)).statusCode).toBe(404);
    expect((await api('owner', 'POST', `/api/service-requests/${other.id}/survey`, { score: 1 })).statusCode).toBe(404);
    const mine = (await api('owner', 'GET', '/api/service-requests')).json().requests as { id: number }[];
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.map((r) => r.id)).not.toContain(other.id);
    expect(((await api('clerk', 'GET', '/api/service-requests')).json().requests as { id: number }[]).map((r) => r.id)).toContain(other.id);

    // Noise goes to the guards as a security work order; with no guard on shift it stays open and the timeline says so.
    const classified = await api('clerk', 'POST', `/api/service-requests/${other.id}/classify`, {});
    expect(classified.statusCode, classified.body).toBe(200);
    const wo = (await hub.db.query(`SELECT kind, trade, priority FROM work_orders WHERE id = $1`, [classified.json().request.workOrder.id])).rows[0];
    expect(wo).toMatchObject({ kind: 'security', trade: 'security', priority: 'low' });
    const events = (await api('clerk', 'GET', `/api/service-requests/${other.id}`)).json().events as { action: string }[];
    expect(events.map((e) => e.action)).toContain('exception');

    const rejectable = (await api('clerk', 'POST', '/api/service-requests', { buildingId: 'bs1', category: 'other', description: 'duplicate call' })).json().request;
    const rejected = await api('clerk', 'POST', `/api/service-requests/${rejectable.id}/reject`, { reason: 'duplicate of an earlier call' });
    expect(rejected.json().request.status).toBe('rejected');
  });

  it("follows the owner's own requests live, and only theirs", async () => {
    const frames: { type: string; data: { action: string; request: { id: number; status: string } } }[] = [];
    const socket = new WebSocket(`${hub.url.replace(/^http/, 'ws')}/api/live?token=${tokens.owner}`);
    socket.on('message', (raw: Buffer) => frames.push(JSON.parse(raw.toString('utf8'))));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    try {
      await waitFor(() => frames.some((f) => f.type === 'live.hello'), 'the hello frame');
      const neighbours = (await api('clerk', 'POST', '/api/service-requests', { unitId: otherUnit, category: 'plumbing', description: 'tap drips' })).json().request;
      const mine = (await api('owner', 'POST', '/api/service-requests', { unitId: myUnit, category: 'plumbing', description: 'shower drain slow' })).json().request;
      await api('clerk', 'POST', `/api/service-requests/${neighbours.id}/classify`, {});
      await api('clerk', 'POST', `/api/service-requests/${mine.id}/classify`, {});
      const dispatched = await waitFor(() => frames.find((f) => f.type === 'service.request' && f.data.request.id === mine.id && f.data.request.status === 'dispatched'), 'my request dispatched, live');
      expect(dispatched.data.action).toBe('dispatch');
      expect(frames.filter((f) => f.type === 'service.request').map((f) => f.data.request.id)).not.toContain(neighbours.id);
    } finally {
      socket.close();
    }
  });

  it('answers bad input with per-field 400s and changes nothing', async () => {
    const before = (await hub.db.query<{ n: number }>('SELECT count(*)::int AS n FROM service_requests')).rows[0].n;
    const bad = async (who: Login, url: string, payload: unknown, field: string) => {
      const res = await api(who, 'POST', url, payload);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBe('WARDEN_ERR_VALIDATION');
      expect((res.json().error.details.issues as { field: string }[]).map((i) => i.field)).toContain(field);
    };
    await bad('owner', '/api/service-requests', { unitId: myUnit, category: 'magic', description: 'x' }, 'body.category');
    await bad('owner', '/api/service-requests', { unitId: myUnit, category: 'plumbing', description: '' }, 'body.description');
    await bad('owner', '/api/service-requests', { unitId: myUnit, category: 'plumbing', urgency: 'asap', description: 'x' }, 'body.urgency');
    await bad('owner', '/api/service-requests', { category: 'plumbing', description: 'x' }, 'body.unitId');
    await bad('owner', '/api/service-requests', { unitId: myUnit, channel: 'phone', category: 'plumbing', description: 'x' }, 'body.channel');
    await bad('clerk', '/api/service-requests', { category: 'plumbing', description: 'x' }, 'body.buildingId');
    await bad('clerk', '/api/service-requests', { unitId: 999999, category: 'plumbing', description: 'x' }, 'body.unitId');
    await bad('clerk', '/api/service-requests', { unitId: myUnit, buildingId: 'nope', category: 'plumbing', description: 'x' }, 'body.buildingId');
    await bad('clerk', '/api/service-requests', { buildingId: 'bs1', channel: 'fax', category: 'plumbing', description: 'x' }, 'body.channel');
    await bad('owner', '/api/service-requests/1/survey', { score: 6 }, 'body.score');
    await bad('owner', '/api/service-requests/1/survey', { score: 2.5 }, 'body.score');
    await bad('clerk', '/api/service-requests/1/events', { action: 'shout', note: 'x' }, 'body.action');
    expect((await hub.db.query<{ n: number }>('SELECT count(*)::int AS n FROM service_requests')).rows[0].n).toBe(before);
  });
});
