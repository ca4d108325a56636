import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmService, type AlarmRule } from '../src/alarms/index.js';
import type { DeviceInfo } from '../src/alarms/alarm.repository.js';
import { Database } from '../src/db/database.js';
import { EventBus } from '../src/events/event-bus.js';
import { IncidentService } from '../src/security/index.js';
import { camerasWatching } from '../src/security/registry.repository.js';
import { WorkOrderService } from '../src/workorders/index.js';
import { databaseKinds } from './support/databases.js';
import { FakeAgent, TINY_JPEG_BASE64, TINY_MP4_BASE64 } from './support/fake-agent.js';
import { ADMIN_PASSWORD, demoPassword, startTestHub, type TestHub } from './support/hub.js';
import { waitFor } from './support/wait.js';

const SITE = 'site-sec';
const doorCaps = ['door.unlock', 'door.lock', 'door.access'];
const cameraCaps = ['camera.snapshot', 'camera.clip', 'camera.ptz'];
const cameraHealth = [
  { name: 'onvifReachable', type: 'boolean' },
  { name: 'rtspReachable', type: 'boolean' },
  { name: 'pictureFrozen', type: 'boolean' },
] as const;
const doorMetrics = [
  { name: 'open', type: 'boolean' },
  { name: 'locked', type: 'boolean' },
] as const;
/** Armed around the clock: 00:00–12:00 and 12:00–midnight, every day. */
const alwaysArmed = { utcOffsetMin: 480, windows: [{ from: '00:00', to: '12:00' }, { from: '12:00', to: '00:00' }] };

interface EpisodeRow {
  id: string;
  alarm_id: string;
  rule_id: string;
  raised_at: Date;
  work_order_id: string | null;
}

/**
 * Security through the real hub: an agent played by the test announces doors and the
 * cameras covering them, raises door and camera events, and answers the hub's
 * snapshot/clip commands with real JPEG and MP4 bytes (or stays silent).
 */
describe.each(databaseKinds)('security: registry, evidence, incidents, zones (%s)', (kind) => {
  let hub: TestHub;
  const tokens: Record<string, string> = {};
  const rules: Record<string, number> = {};
  let ev: FakeAgent;
  let inc: FakeAgent;
  let zn: FakeAgent;

  const api = async <T = unknown>(who: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
    const res = await hub.http.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${tokens[who] ?? who}` } });
    return { status: res.statusCode, body: (res.headers['content-type']?.toString().startsWith('application/json') ? res.json() : res.rawPayload) as T, headers: res.headers };
  };
  const createRule = async (body: Record<string, unknown>) => {
    const res = await api<{ rule: { id: number } }>('admin', 'POST', '/api/alarm-rules', body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.rule.id;
  };
  const episodeOf = (ruleId: number, deviceId: number) =>
    waitFor(
      async () => (await hub.db.query<EpisodeRow>('SELECT id, alarm_id, rule_id, raised_at, work_order_id FROM alarm_episodes WHERE rule_id = $1 AND device_id = $2 ORDER BY id DESC', [ruleId, deviceId])).rows[0],
      `an episode of rule ${ruleId} on device ${deviceId}`,
    );
  const incidentOf = async (episodeId: string | number) => (await hub.db.query<{ incident_id: string }>('SELECT incident_id FROM incident_episodes WHERE episode_id = $1', [episodeId])).rows[0]?.incident_id;
  const deviceInfo = async (id: number): Promise<DeviceInfo> => {
    const r = (await hub.db.query('SELECT id, agent_id, code, type, building_id, name, location, online, zone FROM devices WHERE id = $1', [id])).rows[0];
    return { id: Number(r.id), agentId: r.agent_id, code: r.code, type: r.type, buildingId: r.building_id, name: r.name, location: r.location, online: r.online, zone: r.zone };
  };
  const ruleOf = (id: number): AlarmRule => {
    const rule = hub.alarmEngine.rule(id);
    if (!rule) throw new Error(`rule ${id} not loaded`);
    return rule;
  };

  beforeAll(async () => {
    // Zones without a schedule are never armed here; the estate's default is tested in security-default-rules.test.ts.
    hub = await startTestHub(kind, { ALARM_DEFAULT_RULES: 'false', ZONE_DEFAULT_ARMING: 'none' });
    tokens.admin = await hub.login('admin', ADMIN_PASSWORD);
    for (const role of ['guard', 'manager', 'technician', 'clerk', 'owner']) tokens[role] = await hub.login(role, demoPassword(hub, role));
    ev = await FakeAgent.connect(hub, { site: SITE, building: 'b-ev', agent: 'agent-ev' });
    inc = await FakeAgent.connect(hub, { site: SITE, building: 'b-inc', agent: 'agent-inc' });
    zn = await FakeAgent.connect(hub, { site: SITE, building: 'b-zone', agent: 'agent-zone' });

    // The camera is born before the door it covers: coverage is resolved whenever the door comes.
    await ev.birth('cam-ev-1', 'camera', { zone: 'lobby', covers: ['door-ev-1'], capabilities: cameraCaps, metrics: [...cameraHealth] });
    await ev.birth('door-ev-1', 'door', { zone: 'lobby', floor: '1', capabilities: doorCaps, metrics: [...doorMetrics] });
    await ev.birth('cam-ev-dead', 'camera', { zone: 'garage', covers: ['door-ev-2'], capabilities: ['camera.snapshot'] });
    await ev.birth('door-ev-2', 'door', { zone: 'garage', capabilities: doorCaps });
    await ev.birth('door-ev-3', 'door', { zone: 'lobby', capabilities: doorCaps });
    ev.handlers.set('cam-ev-dead', () => undefined);
    // Answers only when the test says so (after the deadline).
    await ev.birth('cam-ev-slow', 'camera', { zone: 'dock', covers: ['door-ev-4'], capabilities: ['camera.snapshot'], name: 'Dock camera' });
    await ev.birth('door-ev-4', 'door', { zone: 'dock', capabilities: doorCaps });
    ev.handlers.set('cam-ev-slow', () => undefined);

    await inc.birth('door-in-1', 'door', { zone: 'north-gate', capabilities: doorCaps });
    // In another zone than the door: the incident must follow the camera's coverage, not the zone.
    await inc.birth('cam-in-1', 'camera', { zone: 'north-yard', covers: ['door-in-1'], capabilities: ['camera.snapshot'] });
    await inc.birth('door-in-2', 'door', { zone: 'south-gate', capabilities: doorCaps });

    await zn.birth('cam-z-lobby', 'camera', { zone: 'lobby', capabilities: ['camera.snapshot'] });
    await zn.birth('cam-z-yard', 'camera', { zone: 'yard', capabilities: ['camera.snapshot'] });

    rules.forced = await createRule({
      name: 'Door forced open',
      scope: { type: 'deviceType', id: 'door' },
      priority: 'critical',
      category: 'security',
      definition: { condition: { kind: 'event', raise: ['door.forced'], clear: ['door.closed'] }, workOrder: { create: true, reopenWithinMinutes: 0 } },
    });
    rules.tamper = await createRule({
      name: 'Tamper',
      scope: { type: 'building', id: 'b-inc' },
      priority: 'high',
      category: 'security',
      definition: { condition: { kind: 'event', raise: ['door.tamper', 'camera.tamper'], clear: [] }, workOrder: { create: true, reopenWithinMinutes: 0 } },
    });
    rules.motion = await createRule({
      name: 'Motion at the north gate',
      scope: { type: 'device', id: String(inc.deviceIds['cam-in-1']) },
      priority: 'high',
      category: 'security',
      definition: { condition: { kind: 'event', raise: ['camera.motionStart'], clear: ['camera.motionStop'] }, workOrder: { create: true, reopenWithinMinutes: 0 } },
    });
    // Never raised by events in these tests: raised directly, at chosen times.
    rules.frozen = await createRule({
      name: 'Camera frozen',
      scope: { type: 'building', id: 'b-inc' },
      priority: 'medium',
      category: 'security',
      definition: { condition: { kind: 'event', raise: ['camera.frozen'], clear: ['camera.online'] }, workOrder: { create: true, reopenWithinMinutes: 0 } },
    });
    rules.armed = await createRule({
      name: 'Motion in an armed zone',
      scope: { type: 'building', id: 'b-zone' },
      priority: 'high',
      category: 'security',
      definition: { condition: { kind: 'armedEvent', raise: ['camera.motionStart'], clear: ['camera.motionStop'], zoneSchedule: true }, workOrder: { create: false } },
    });
  });
  afterAll(async () => {
    for (const a of [ev, inc, zn]) await a?.close();
    await hub?.close();
  });

  it('keeps the door and camera registry: coverage from camera births, open/locked, stream health', async () => {
    await ev.point('door-ev-1', 'open', false);
    await ev.point('door-ev-1', 'locked', true);
    for (const m of ['onvifReachable', 'rtspReachable']) await ev.point('cam-ev-1', m, true);
    await ev.point('cam-ev-1', 'pictureFrozen', false);
    type Door = { code: string; building: string; floor: string | null; zone: string; open: boolean | null; locked: boolean | null; online: boolean; coveredBy: { code: string }[] };
    const doors = await waitFor(async () => {
      const res = await api<{ doors: Door[] }>('guard', 'GET', '/api/doors?building=b-ev');
      const d = res.body.doors.find((x) => x.code === 'door-ev-1');
      return d?.locked === true ? res.body.doors : undefined;
    }, 'the door state in the registry');
    expect(doors.find((d) => d.code === 'door-ev-1')).toMatchObject({ building: 'b-ev', zone: 'lobby', open: false, locked: true, online: true, coveredBy: [{ code: 'cam-ev-1' }] });
    expect(doors.find((d) => d.code === 'door-ev-3')).toMatchObject({ open: null, locked: null, coveredBy: [] });

    type Camera = { code: string; covers: { code: string; type: string }[]; coversUnknown: string[]; health: Record<string, boolean | null>; capabilities: string[] };
    const cameras = await waitFor(async () => {
      const res = await api<{ cameras: Camera[] }>('manager', 'GET', '/api/cameras?building=b-ev');
      return res.body.cameras.find((c) => c.code === 'cam-ev-1')?.health.pictureFrozen === false ? res.body.cameras : undefined;
    }, 'camera health in the registry');
    expect(cameras.find((c) => c.code === 'cam-ev-1')).toMatchObject({ covers: [{ code: 'door-ev-1', type: 'door' }], coversUnknown: [], health: { onvifReachable: true, rtspReachable: true, pictureFrozen: false }, capabilities: cameraCaps });
    for (const who of ['technician', 'clerk', 'owner']) expect((await api(who, 'GET', '/api/cameras')).status).toBe(403);

    // Which cameras give evidence: the device itself, else its covering cameras, else its zone's.
    const watch = async (code: string) => {
      const r = await camerasWatching(hub.db, ev.deviceIds[code], 4);
      return [r.how, r.cameras.map((c) => c.code)];
    };
    expect(await watch('cam-ev-1')).toEqual(['self', ['cam-ev-1']]);
    expect(await watch('door-ev-1')).toEqual(['coverage', ['cam-ev-1']]);
    expect(await watch('door-ev-3')).toEqual(['zone', ['cam-ev-1']]);

    // A re-birth is the camera's whole truth: what it no longer lists, it no longer covers.
    await ev.birth('cam-ev-1', 'camera', { zone: 'lobby', covers: ['door-ev-1', 'door-ev-9'], capabilities: cameraCaps, metrics: [...cameraHealth] });
    const again = await api<{ cameras: Camera[] }>('guard', 'GET', '/api/cameras?building=b-ev');
    expect(again.body.cameras.find((c) => c.code === 'cam-ev-1')).toMatchObject({ covers: [{ code: 'door-ev-1' }], coversUnknown: ['door-ev-9'] });
    await ev.birth('cam-ev-1', 'camera', { zone: 'lobby', covers: ['door-ev-1'], capabilities: cameraCaps, metrics: [...cameraHealth] });
  });

  it('attaches a snapshot from the covering camera within 2 s of a forced door, then a clip; guards see them, technicians do not', async () => {
    const door = ev.deviceIds['door-ev-1'];
    const camera = ev.deviceIds['cam-ev-1'];
    await ev.event('door-ev-1', 'door.forced');
    const episode = await episodeOf(rules.forced, door);
    type Evidence = { id: number; episodeId: number; incidentId: number | null; cameraId: number; kind: string; contentType: string; size: number; width: number | null; createdAt: string; url: string };
    const snapshot = await waitFor(async () => {
      const res = await api<{ evidence: Evidence[] }>('guard', 'GET', `/api/alarm-episodes/${episode.id}/evidence`);
      return res.body.evidence.find((e) => e.kind === 'snapshot');
    }, 'the snapshot evidence', 5_000);
    expect(snapshot).toMatchObject({ episodeId: Number(episode.id), cameraId: camera, contentType: 'image/jpeg', size: Buffer.from(TINY_JPEG_BASE64, 'base64').length, width: 64, url: `/api/evidence/${snapshot.id}` });
    expect(snapshot.incidentId).toBe(Number(await incidentOf(episode.id)));
    expect(new Date(snapshot.createdAt).getTime() - episode.raised_at.getTime()).toBeLessThan(2_000);
    const asked = ev.commandsFor('cam-ev-1').find((c) => c.name === 'camera.snapshot')!;
    expect(asked).toMatchObject({ issuedBy: 'system', expiresAt: asked.ts + 1_500 });

    const image = await api<Buffer>('guard', 'GET', snapshot.url);
    expect(image.status).toBe(200);
    expect(image.headers['content-type']).toBe('image/jpeg');
    expect(image.headers['x-content-type-options']).toBe('nosniff');
    expect(Buffer.compare(image.body, Buffer.from(TINY_JPEG_BASE64, 'base64'))).toBe(0);
    // <img> tags cannot send headers: the token may come in the query string.
    const byQuery = await hub.http.inject({ url: `${snapshot.url}?token=${tokens.manager}` });
    expect(byQuery.statusCode).toBe(200);
    const views = await hub.db.query<{ actor: string }>(`SELECT actor FROM audit_log WHERE action = 'evidence.view' AND target_id = $1 ORDER BY id`, [String(snapshot.id)]);
    expect(views.rows.map((r) => r.actor)).toEqual(['guard', 'manager']);
    for (const who of ['technician', 'clerk', 'owner']) {
      expect((await api(who, 'GET', snapshot.url)).status).toBe(403);
      expect((await api(who, 'GET', `/api/alarm-episodes/${episode.id}/evidence`)).status).toBe(403);
    }
    const userId = await hub.auth.createUser({ username: 'guard-b-zone', displayName: 'Guard of b-zone', password: 'guard-b-zone-password', role: 'guard' }, 'test');
    await hub.db.query(`INSERT INTO user_buildings (user_id, building_id) VALUES ($1, 'b-zone')`, [userId]);
    tokens['guard-b-zone'] = await hub.login('guard-b-zone', 'guard-b-zone-password');
    expect((await api('guard-b-zone', 'GET', snapshot.url)).status).toBe(404);

    const clip = await waitFor(async () => (await api<{ evidence: Evidence[] }>('guard', 'GET', `/api/alarm-episodes/${episode.id}/evidence`)).body.evidence.find((e) => e.kind === 'clip'), 'the clip');
    expect(clip).toMatchObject({ contentType: 'video/mp4', cameraId: camera, size: Buffer.from(TINY_MP4_BASE64, 'base64').length });
    expect(ev.commandsFor('cam-ev-1').find((c) => c.name === 'camera.clip')?.params).toEqual({ seconds: 5 });
    const video = await api<Buffer>('guard', 'GET', clip.url);
    expect(video.headers['content-type']).toBe('video/mp4');

    const live = await hub.db.query<{ audience: string[]; building_id: string; data: { episodeId: number; evidence: { id: number }[] } }>(`SELECT audience, building_id, data FROM live_events WHERE type = 'alarm.evidence' ORDER BY id`);
    const mine = live.rows.filter((r) => r.data.episodeId === Number(episode.id));
    expect(mine.map((r) => r.data.evidence.map((e) => e.id))).toEqual([[snapshot.id], [clip.id]]);
    expect(mine[0].building_id).toBe('b-ev');
    expect(mine[0].audience.sort()).toEqual(['admin', 'guard', 'manager']);
  });

  it('records "evidence-failed" when the camera does not answer, and leaves the alarm and its work order intact', async () => {
    const door = ev.deviceIds['door-ev-2'];
    await ev.event('door-ev-2', 'door.forced');
    const episode = await episodeOf(rules.forced, door);
    const failed = await waitFor(
      async () => (await hub.db.query<{ note: string; details: { cameraId: number; kind: string } }>(`SELECT note, details FROM alarm_transitions WHERE episode_id = $1 AND action = 'evidence-failed'`, [episode.id])).rows[0],
      'the evidence-failed note',
      5_000,
    );
    expect(failed.note).toBe('snapshot from cam-ev-dead name: camera.snapshot to cam-ev-dead: no acknowledgement within 1500 ms (a later one is still kept, marked late)');
    expect(failed.details).toMatchObject({ cameraId: ev.deviceIds['cam-ev-dead'], kind: 'snapshot' });
    expect((await hub.db.query('SELECT 1 FROM evidence WHERE episode_id = $1', [episode.id])).rowCount).toBe(0);
    const alarm = await api<{ alarm: { state: string; active: boolean; workOrderId: number | null }; transitions: { action: string }[] }>('guard', 'GET', `/api/alarms/${episode.alarm_id}`);
    expect(alarm.body.alarm).toMatchObject({ state: 'unack', active: true });
    expect(alarm.body.alarm.workOrderId).not.toBeNull();
    expect(alarm.body.transitions.map((t) => t.action)).toEqual(['evidence-failed', 'activate']);
    // The hub's own log names it too, as a warning.
    expect(hub.logs.some((l) => l.msg === 'no evidence from a camera' && l.camera === ev.deviceIds['cam-ev-dead'])).toBe(true);
  });

  it('stores a snapshot that comes after the deadline, marked late, and announces it live', async () => {
    const door = ev.deviceIds['door-ev-4'];
    const camera = ev.deviceIds['cam-ev-slow'];
    await ev.event('door-ev-4', 'door.forced');
    const episode = await episodeOf(rules.forced, door);
    const asked = await waitFor(() => ev.commandsFor('cam-ev-slow').find((c) => c.name === 'camera.snapshot'), 'the snapshot command');
    // The deadline passes first: the alarm says the snapshot is missing, and nothing is stored yet.
    const note = await waitFor(
      async () => (await hub.db.query<{ note: string }>(`SELECT note FROM alarm_transitions WHERE episode_id = $1 AND action = 'evidence-failed'`, [episode.id])).rows[0]?.note,
      'the deadline note',
      5_000,
    );
    expect(note).toBe('snapshot from Dock camera: camera.snapshot to cam-ev-slow: no acknowledgement within 1500 ms (a later one is still kept, marked late)');
    expect((await hub.db.query('SELECT 1 FROM evidence WHERE episode_id = $1', [episode.id])).rowCount).toBe(0);

    // The camera answers after all: the picture is kept, marked late.
    await ev.ack(asked.id, { result: 'ok', data: { contentType: 'image/jpeg', image: TINY_JPEG_BASE64, width: 64, height: 48, capturedAt: Date.now() } });
    type Evidence = { id: number; cameraId: number; kind: string; late: boolean; createdAt: string };
    const late = await waitFor(async () => (await api<{ evidence: Evidence[] }>('guard', 'GET', `/api/alarm-episodes/${episode.id}/evidence`)).body.evidence[0], 'the late snapshot', 5_000);
    expect(late).toMatchObject({ cameraId: camera, kind: 'snapshot', late: true });
    expect(new Date(late.createdAt).getTime() - episode.raised_at.getTime()).toBeGreaterThanOrEqual(1_500);
    const command = await hub.db.query<{ result: string; acked_at: Date | null }>('SELECT result, acked_at FROM commands WHERE id = $1', [asked.id]);
    expect(command.rows[0].result).toBe('ok');
    const live = await waitFor(async () => {
      const rows = await hub.db.query<{ data: { episodeId: number; evidence: { id: number; late: boolean }[]; failed: unknown[] } }>(`SELECT data FROM live_events WHERE type = 'alarm.evidence' ORDER BY id`);
      const mine = rows.rows.filter((r) => r.data.episodeId === Number(episode.id));
      return mine.length === 2 ? mine : undefined;
    }, 'the deadline event and the late one');
    expect(live.map((r) => [r.data.evidence.map((e) => [e.id, e.late]), r.data.failed.length])).toEqual([
      [[], 1],
      [[[late.id, true]], 0],
    ]);
    // An answer in time is not marked late.
    const onTime = await hub.db.query<{ late: boolean }>('SELECT late FROM evidence WHERE camera_device_id = $1', [ev.deviceIds['cam-ev-1']]);
    expect(onTime.rows.length).toBeGreaterThan(0);
    expect(onTime.rows.every((r) => r.late === false)).toBe(true);
  });

  it('makes one incident, one work order and one evidence bundle of a forced door, motion on its camera and a tamper', async () => {
    const door = inc.deviceIds['door-in-1'];
    const camera = inc.deviceIds['cam-in-1'];
    await inc.event('door-in-1', 'door.forced');
    await inc.event('cam-in-1', 'camera.motionStart', { score: 0.9 });
    await inc.event('door-in-1', 'door.tamper', { part: 'reader' });
    const episodes = [await episodeOf(rules.forced, door), await episodeOf(rules.motion, camera), await episodeOf(rules.tamper, door)];
    await hub.alarmEngine.idle();
    const incidentIds = new Set(await Promise.all(episodes.map((e) => incidentOf(e.id))));
    expect(incidentIds.size).toBe(1);
    const incidentId = Number([...incidentIds][0]);

    const workOrders = await hub.db.query<{ id: string }>('SELECT id FROM work_orders WHERE alarm_episode_id = ANY($1)', [episodes.map((e) => e.id)]);
    expect(workOrders.rows).toHaveLength(1);
    const woId = workOrders.rows[0].id;
    const linked = await hub.db.query<{ work_order_id: string }>('SELECT work_order_id FROM alarm_episodes WHERE id = ANY($1)', [episodes.map((e) => e.id)]);
    expect(linked.rows.map((r) => r.work_order_id)).toEqual([woId, woId, woId]);

    type Detail = { incident: { id: number; priority: string; buildingId: string; zone: string; workOrderId: number; episodes: number; closedAt: string | null }; episodes: { episodeId: number; deviceCode: string; workOrderId: number }[]; evidence: { episodeId: number; cameraId: number; kind: string }[]; workOrder: { id: number; number: string } };
    // Every alarm shows the camera's picture, but the camera was asked once: one snapshot, linked to all three.
    const perEpisode = await Promise.all(
      episodes.map((e) =>
        waitFor(async () => (await api<{ evidence: { id: number; episodeId: number }[] }>('guard', 'GET', `/api/alarm-episodes/${e.id}/evidence`)).body.evidence[0], `the snapshot of episode ${e.id}`, 8_000),
      ),
    );
    expect(new Set(perEpisode.map((e) => e.id)).size).toBe(1);
    expect(inc.commandsFor('cam-in-1').filter((c) => c.name === 'camera.snapshot')).toHaveLength(1);
    const links = await hub.db.query<{ episode_id: string }>('SELECT episode_id FROM evidence_links WHERE evidence_id = $1', [perEpisode[0].id]);
    expect(links.rows.map((r) => Number(r.episode_id)).sort()).toEqual(episodes.map((e) => Number(e.id)).filter((id) => id !== perEpisode[0].episodeId).sort());
    const detail = (await api<Detail>('guard', 'GET', `/api/incidents/${incidentId}`)).body;
    expect(detail.evidence).toHaveLength(1);
    expect(detail.incident).toMatchObject({ priority: 'critical', buildingId: 'b-inc', workOrderId: Number(woId), episodes: 3, closedAt: null });
    // The door's and the camera's alarms are raised concurrently: the incident takes the zone of whichever came first.
    expect(['north-gate', 'north-yard']).toContain(detail.incident.zone);
    expect(detail.episodes.map((e) => e.deviceCode).sort()).toEqual(['cam-in-1', 'door-in-1', 'door-in-1']);
    expect(detail.evidence[0]).toMatchObject({ cameraId: camera, kind: 'snapshot' });
    expect(episodes.map((e) => Number(e.id))).toContain(detail.evidence[0].episodeId);
    expect((await api<{ incidents: { id: number; evidence: number }[] }>('guard', 'GET', '/api/incidents?building=b-inc')).body.incidents.find((i) => i.id === incidentId)?.evidence).toBe(1);
    expect(detail.workOrder.id).toBe(Number(woId));

    const list = await api<{ incidents: { id: number }[] }>('manager', 'GET', '/api/incidents?status=open&building=b-inc');
    expect(list.body.incidents.map((i) => i.id)).toContain(incidentId);
    for (const who of ['technician', 'clerk']) expect((await api(who, 'GET', `/api/incidents/${incidentId}`)).status).toBe(403);
    const live = await hub.db.query<{ type: string }>(`SELECT type FROM live_events WHERE type LIKE 'incident.%' AND (data->'incident'->>'id')::bigint = $1 ORDER BY id`, [incidentId]);
    expect(live.rows.map((r) => r.type)).toEqual(['incident.opened', 'incident.updated', 'incident.updated']);

    // The same building, but another place with no camera in common: another incident.
    await inc.event('door-in-2', 'door.forced');
    const elsewhere = await episodeOf(rules.forced, inc.deviceIds['door-in-2']);
    expect(Number(await waitFor(() => incidentOf(elsewhere.id), 'the other incident'))).not.toBe(incidentId);

    // The same place after the window (10 minutes): a new incident with its own work order.
    await hub.alarms.raise({ rule: ruleOf(rules.frozen), device: await deviceInfo(camera), at: Date.now() + 11 * 60_000, trigger: { event: 'camera.frozen', at: Date.now() } });
    const late = await episodeOf(rules.frozen, camera);
    const lateIncident = Number(await incidentOf(late.id));
    expect(lateIncident).not.toBe(incidentId);
    expect(late.work_order_id).not.toBeNull();
    expect(late.work_order_id).not.toBe(woId);
  });

  it('closes an incident when its work order is cancelled: the next signal there opens a new one', async () => {
    const camera = inc.deviceIds['cam-in-1'];
    const open = await hub.db.query<{ id: string; work_order_id: string }>(`SELECT id, work_order_id FROM incidents WHERE building_id = 'b-inc' AND closed_at IS NULL ORDER BY id DESC LIMIT 1`);
    const { id, work_order_id } = open.rows[0];
    const cancelled = await api('guard', 'POST', `/api/work-orders/${work_order_id}/cancel`, { reason: 'camera checked, false alarm' });
    expect(cancelled.status).toBe(200);
    await waitFor(async () => (await hub.db.query('SELECT 1 FROM incidents WHERE id = $1 AND closed_at IS NOT NULL', [id])).rowCount, 'the incident closed');
    // Acknowledged and cleared, the frozen-camera alarm can raise a new episode.
    const alarmId = (await episodeOf(rules.frozen, camera)).alarm_id;
    expect((await api('guard', 'POST', `/api/alarms/${alarmId}/ack`, { disposition: 'false-alarm' })).status).toBe(200);
    await hub.alarms.clear(ruleOf(rules.frozen), await deviceInfo(camera), Date.now() + 11 * 60_000 + 1_000);
    await hub.alarms.raise({ rule: ruleOf(rules.frozen), device: await deviceInfo(camera), at: Date.now() + 11 * 60_000 + 2_000, trigger: { event: 'camera.frozen', at: Date.now() } });
    const episodes = await hub.db.query<{ id: string }>('SELECT id FROM alarm_episodes WHERE alarm_id = $1 ORDER BY id DESC', [alarmId]);
    expect(episodes.rows).toHaveLength(2);
    expect(Number(await incidentOf(episodes.rows[0].id))).not.toBe(Number(id));
  });

  it('arms zones by their stored schedule: managers set it, guards read it, armedEvent rules follow it', async () => {
    for (const who of ['guard', 'technician']) expect((await api(who, 'PUT', '/api/zones/b-zone/lobby/schedule', alwaysArmed)).status).toBe(403);
    const bad = await api<{ error: { details: { issues: { field: string }[] } } }>('manager', 'PUT', '/api/zones/b-zone/lobby/schedule', { windows: [{ from: '25:00', to: '06:00' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues.map((i) => i.field)).toEqual(['body.windows.0.from']);
    expect((await api('manager', 'PUT', '/api/zones/no-such-building/lobby/schedule', alwaysArmed)).status).toBe(404);

    const put = await api<{ armedNow: boolean; updatedBy: string; schedule: unknown }>('manager', 'PUT', '/api/zones/b-zone/lobby/schedule', alwaysArmed);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ armedNow: true, source: 'zone', updatedBy: 'manager', schedule: { utcOffsetMin: 480, windows: [{ days: [0, 1, 2, 3, 4, 5, 6], from: '00:00', to: '12:00' }, { from: '12:00', to: '00:00' }] } });
    expect((await api<{ armedNow: boolean }>('guard', 'GET', '/api/zones/b-zone/lobby/schedule')).body.armedNow).toBe(true);
    expect((await api<{ armedNow: boolean | null; schedule: unknown }>('guard', 'GET', '/api/zones/b-zone/yard/schedule')).body).toMatchObject({ armedNow: null, schedule: null, source: null });
    const zones = await api<{ zones: { zone: string; armedNow: boolean | null; cameras: number }[] }>('guard', 'GET', '/api/zones?building=b-zone');
    expect(zones.body.zones.map((z) => [z.zone, z.armedNow, z.cameras])).toEqual([
      ['lobby', true, 1],
      ['yard', null, 1],
    ]);
    expect((await hub.db.query(`SELECT 1 FROM audit_log WHERE action = 'zone.schedule.set' AND target_id = 'b-zone/lobby' AND actor = 'manager'`)).rowCount).toBe(1);
    const cams = await api<{ cameras: { code: string; zoneArmed: boolean | null }[] }>('guard', 'GET', '/api/cameras?building=b-zone');
    expect(cams.body.cameras.map((c) => [c.code, c.zoneArmed])).toEqual([
      ['cam-z-lobby', true],
      ['cam-z-yard', null],
    ]);

    // Motion in the armed zone raises; in the zone without a schedule it does not.
    const seen = new Set<string>();
    const off = hub.bus.on('device.event', (e) => seen.add(`${e.event.device}:${e.event.kind}`));
    try {
      await zn.event('cam-z-yard', 'camera.motionStart');
      await zn.event('cam-z-lobby', 'camera.motionStart');
      await episodeOf(rules.armed, zn.deviceIds['cam-z-lobby']);
      await waitFor(() => seen.has('cam-z-yard:camera.motionStart'), 'the yard motion evaluated');
      await hub.alarmEngine.idle();
      expect((await hub.db.query('SELECT 1 FROM alarm_episodes WHERE rule_id = $1 AND device_id = $2', [rules.armed, zn.deviceIds['cam-z-yard']])).rowCount).toBe(0);
    } finally {
      off();
    }

    // Removing the schedule disarms the zone at once.
    const removed = await api<{ armedNow: boolean | null }>('manager', 'DELETE', '/api/zones/b-zone/lobby/schedule');
    expect(removed.body.armedNow).toBeNull();
    expect(hub.zoneSchedules.scheduleFor('b-zone', 'lobby')).toBeUndefined();
  });
});

/**
 * Two alarm services (as two hubs would run) on one PostgreSQL database, raising the
 * alarms of one break-in at the same moment: the incident decision is serialised per
 * building, so there is still one incident with one work order.
 */
describe('incidents with two hubs raising at once (postgres)', () => {
  let hub: TestHub;
  let second: { db: Database; incidents: IncidentService; workOrders: WorkOrderService; alarms: AlarmService };

  beforeAll(async () => {
    hub = await startTestHub('postgres', { ALARM_DEFAULT_RULES: 'false' });
    const db = new Database(new pg.Pool({ connectionString: hub.database.url!, max: 4 }), 'postgres');
    const bus = new EventBus();
    const logger = pino({ level: 'silent' });
    const workOrders = new WorkOrderService(db, bus, logger);
    const incidents = new IncidentService(db, bus, logger, { windowMinutes: 10 });
    second = { db, incidents, workOrders, alarms: new AlarmService(db, bus, logger, workOrders, { incidents }) };
  });
  afterAll(async () => {
    await second?.db.close();
    await hub?.close();
  });

  it('opens one incident and one work order for three alarms raised concurrently by two services', async () => {
    await hub.db.query(`INSERT INTO sites (id, name) VALUES ('site-race', 'Race')`);
    await hub.db.query(`INSERT INTO agents (id, site_id, secret_hash) VALUES ('agent-race', 'site-race', 'x')`);
    const rule = async (name: string, priority: string) =>
      Number(
        (await hub.db.query<{ id: string }>(
          `INSERT INTO alarm_rules (name, scope_type, priority, category, definition, created_by, updated_by)
           VALUES ($1, 'estate', $2, 'security', '{"condition":{"kind":"event","raise":["door.tamper"]},"workOrder":{"create":true,"reopenWithinMinutes":0}}', 't', 't') RETURNING id`,
          [name, priority],
        )).rows[0].id,
      );
    const ruleRow = (id: number, name: string, priority: 'critical' | 'high'): AlarmRule => ({
      id,
      version: 1,
      name,
      scope: { type: 'estate' },
      priority,
      category: 'security',
      enabled: true,
      definition: { condition: { kind: 'event', raise: ['door.tamper'], clear: [] }, onDelaySec: 0, offDelaySec: 0, workOrder: { create: true, reopenWithinMinutes: 0 } },
    });
    const forced = ruleRow(await rule('Forced', 'critical'), 'Forced', 'critical');
    const motion = ruleRow(await rule('Motion', 'high'), 'Motion', 'high');
    const tamper = ruleRow(await rule('Tamper', 'high'), 'Tamper', 'high');

    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      const building = `b-race-${round}`;
      await hub.db.query(`INSERT INTO buildings (id, site_id, name) VALUES ($1, 'site-race', $1)`, [building]);
      const device = async (code: string, type: string, zone: string): Promise<DeviceInfo> => {
        const id = Number((await hub.db.query<{ id: string }>(`INSERT INTO devices (agent_id, code, site_id, building_id, type, name, zone) VALUES ('agent-race', $1, 'site-race', $2, $3, $1, $4) RETURNING id`, [`${code}-${round}`, building, type, zone])).rows[0].id);
        return { id, agentId: 'agent-race', code: `${code}-${round}`, type, buildingId: building, name: code, location: null, online: true, zone };
      };
      const door = await device('door', 'door', 'gate');
      const camera = await device('cam', 'camera', 'yard');
      await hub.db.query('INSERT INTO device_coverage (camera_id, covered_code) VALUES ($1, $2)', [camera.id, door.code]);
      const at = Date.now();
      const trigger = { event: 'door.tamper', at };
      await Promise.all([
        hub.alarms.raise({ rule: forced, device: door, at, trigger }),
        second.alarms.raise({ rule: motion, device: camera, at, trigger }),
        second.alarms.raise({ rule: tamper, device: door, at, trigger }),
        // The same alarm seen by both hubs: one episode.
        hub.alarms.raise({ rule: tamper, device: door, at, trigger }),
      ]);
      const counts = (
        await hub.db.query<{ incidents: number; episodes: number; work_orders: number; linked: number }>(
          `SELECT (SELECT count(*)::int FROM incidents WHERE building_id = $1) AS incidents,
                  (SELECT count(*)::int FROM alarm_episodes WHERE building_id = $1) AS episodes,
                  (SELECT count(*)::int FROM work_orders WHERE building_id = $1) AS work_orders,
                  (SELECT count(DISTINCT e.work_order_id)::int FROM alarm_episodes e WHERE e.building_id = $1) AS linked`,
          [building],
        )
      ).rows[0];
      expect(counts, `round ${round}`).toEqual({ incidents: 1, episodes: 3, work_orders: 1, linked: 1 });
    }
  });
});
