import { randomUUID } from 'node:crypto';
import type mqtt from 'mqtt';
import { encode, type DeviceEventInput } from '@warden/protocols';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { connectTestAgent, demoPassword, startTestHub, ADMIN_PASSWORD, type TestHub } from './support/hub.js';
import { createTestDatabase, databaseKinds } from './support/databases.js';
import { waitFor } from './support/wait.js';

const address = { site: 'site-al', agent: 'agent-al' };

interface AlarmJson {
  alarmId: number;
  ruleId: number;
  deviceId: number;
  state: string;
  active: boolean;
  episodeId: number | null;
  message: string | null;
  activations: number;
  realarms: number;
  ackedBy: string | null;
  escalatedAt: string | null;
  shelvedUntil: string | null;
  endedAt: string | null;
}

/** Alarms through the real hub: agent → broker → ingest → engine → lifecycle in the database → API. */
describe.each(databaseKinds)('alarms (%s)', (kind) => {
  let hub: TestHub;
  let agent: mqtt.MqttClient;
  let admin: string;
  let guard: string;
  let technician: string;
  let seq = 0;
  const deviceIds: Record<string, number> = {};

  const api = async <T = unknown>(token: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<{ status: number; body: T }> => {
    const res = await hub.http.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${token}` } });
    return { status: res.statusCode, body: (res.body ? res.json() : undefined) as T };
  };
  const birth = async (device: string, type: string, metrics: { name: string; type: 'number' | 'boolean' | 'string'; unit?: string }[]) => {
    const msg = encode('deviceBirth', address, { v: 1, msgId: randomUUID(), seq: seq++, ts: Date.now(), device: { id: device, type, name: `${device} name` }, metrics });
    await agent.publishAsync(msg.topic, msg.payload, msg.options);
    const row = await waitFor(async () => (await hub.db.query<{ id: string }>('SELECT id FROM devices WHERE code = $1', [device])).rows[0], `device ${device}`);
    deviceIds[device] = Number(row.id);
  };
  const point = async (device: string, metric: string, value: number | boolean | string) => {
    const msg = encode('telemetry', address, { v: 1, msgId: randomUUID(), seq: seq++, ts: Date.now(), points: [{ device, metric, ts: Date.now(), value }] });
    await agent.publishAsync(msg.topic, msg.payload, msg.options);
  };
  const event = async (device: string, kind: DeviceEventInput['kind'], data?: Record<string, unknown>) => {
    const msg = encode('event', address, { v: 1, msgId: randomUUID(), seq: seq++, ts: Date.now(), device, kind, data });
    await agent.publishAsync(msg.topic, msg.payload, msg.options);
  };
  const createRule = async (body: unknown) => {
    const res = await api<{ rule: { id: number; version: number } }>(admin, 'POST', '/api/alarm-rules', body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.rule;
  };
  const alarmOf = async (ruleId: number, device: string) => {
    const res = await api<{ alarms: AlarmJson[] }>(admin, 'GET', `/api/alarms?view=all&device=${deviceIds[device]}`);
    return res.body.alarms.find((a) => a.ruleId === ruleId);
  };
  const waitAlarm = (ruleId: number, device: string, check: (a: AlarmJson) => boolean, what: string) =>
    waitFor(async () => {
      const a = await alarmOf(ruleId, device);
      return a && check(a) ? a : undefined;
    }, what);
  const transitions = async (alarmId: number) => (await api<{ transitions: { action: string; from: string; to: string; actor: string; note: string | null }[] }>(admin, 'GET', `/api/alarms/${alarmId}`)).body.transitions.reverse();

  beforeAll(async () => {
    hub = await startTestHub(kind, { ALARM_DEFAULT_RULES: 'false' });
    agent = await connectTestAgent(hub, { site: address.site, building: 'bldg-al', agent: address.agent });
    const online = encode('state', address, { v: 1, state: 'online', ts: Date.now(), session: 's1', nextSeq: 0 });
    await agent.publishAsync(online.topic, online.payload, online.options);
    admin = await hub.login('admin', ADMIN_PASSWORD);
    guard = await hub.login('guard', demoPassword(hub, 'guard'));
    technician = await hub.login('technician', demoPassword(hub, 'technician'));
    await birth('pump-1', 'pump', [
      { name: 'motorTemp', type: 'number', unit: 'Cel' },
      { name: 'running', type: 'boolean' },
    ]);
    await birth('door-1', 'door', []);
  });
  afterAll(async () => {
    await agent?.endAsync(true).catch(() => {});
    await hub?.close();
  });

  it('walks the ISA-18.2 lifecycle: raise, acknowledge, return to normal; every transition with who', async () => {
    const rule = await createRule({
      name: 'Motor hot',
      scope: { type: 'deviceType', id: 'pump' },
      priority: 'high',
      category: 'maintenance',
      definition: { condition: { kind: 'threshold', metric: 'motorTemp', op: '>', value: 80, deadband: 5 } },
    });
    await point('pump-1', 'motorTemp', 60);
    await point('pump-1', 'motorTemp', 91.25);
    const raised = await waitAlarm(rule.id, 'pump-1', (a) => a.state === 'unack', 'the alarm raised');
    expect(raised).toMatchObject({ active: true, activations: 1, message: 'Motor hot: pump-1 name motorTemp 91.25 Cel' });
    // Guards see it on the console (standing alarms); technicians see maintenance alarms too.
    const consoleList = await api<{ alarms: AlarmJson[] }>(guard, 'GET', '/api/alarms');
    expect(consoleList.body.alarms.map((a) => a.alarmId)).toContain(raised.alarmId);

    const acked = await api<{ alarm: AlarmJson }>(technician, 'POST', `/api/alarms/${raised.alarmId}/ack`, { note: 'on my way', disposition: 'real-fault' });
    expect(acked.status).toBe(200);
    expect(acked.body.alarm).toMatchObject({ state: 'acked', ackedBy: 'technician', active: true });
    const again = await api<{ error: { code: string } }>(guard, 'POST', `/api/alarms/${raised.alarmId}/ack`, { disposition: 'duplicate' });
    expect(again.status).toBe(409);

    await point('pump-1', 'motorTemp', 77); // within the deadband: still active
    await point('pump-1', 'motorTemp', 70);
    const normal = await waitAlarm(rule.id, 'pump-1', (a) => a.state === 'normal', 'return to normal');
    expect(normal.episodeId).toBeNull();
    expect((await transitions(raised.alarmId)).map((t) => [t.action, t.from, t.to, t.actor])).toEqual([
      ['activate', 'normal', 'unack', 'system'],
      ['ack', 'unack', 'acked', 'technician'],
      ['clear', 'acked', 'normal', 'system'],
    ]);
    const audit = await hub.db.query(`SELECT actor FROM audit_log WHERE action = 'alarm.ack' AND target_id = $1`, [String(raised.alarmId)]);
    expect(audit.rows).toEqual([{ actor: 'technician' }]);
    const episode = await hub.db.query<{ ended_at: Date | null; acked_by: string }>('SELECT ended_at, acked_by FROM alarm_episodes WHERE id = $1', [raised.episodeId]);
    expect(episode.rows[0].ended_at).not.toBeNull();
    expect(episode.rows[0].acked_by).toBe('technician');
  });

  it('returned-unacknowledged: clearing before anyone acknowledged keeps the episode; re-activations are counted', async () => {
    const rule = await createRule({
      name: 'Door forced',
      scope: { type: 'device', id: String(deviceIds['door-1']) },
      priority: 'critical',
      category: 'security',
      definition: { condition: { kind: 'event', raise: ['door.forced'], clear: ['door.closed'] } },
    });
    await event('door-1', 'door.forced');
    const raised = await waitAlarm(rule.id, 'door-1', (a) => a.state === 'unack', 'door forced raised');
    await event('door-1', 'door.closed');
    await waitAlarm(rule.id, 'door-1', (a) => a.state === 'rtn_unack', 'returned unacknowledged');
    await event('door-1', 'door.forced');
    const again = await waitAlarm(rule.id, 'door-1', (a) => a.state === 'unack' && a.activations === 2, 're-activated');
    expect(again.episodeId).toBe(raised.episodeId);
    await event('door-1', 'door.closed');
    await waitAlarm(rule.id, 'door-1', (a) => a.state === 'rtn_unack', 'returned again');
    // Technicians do not see security alarms at all.
    expect((await api(technician, 'POST', `/api/alarms/${raised.alarmId}/ack`, { disposition: 'real-fault' })).status).toBe(404);
    const acked = await api<{ alarm: AlarmJson }>(guard, 'POST', `/api/alarms/${raised.alarmId}/ack`, { disposition: 'real-fault' });
    expect(acked.body.alarm.state).toBe('normal');
    expect(acked.body.alarm.endedAt).not.toBeNull();
  });

  it('shelving hides an alarm until it expires or is unshelved; an activation meanwhile is kept quiet, then annunciated', async () => {
    const rule = await createRule({
      name: 'Pump stopped',
      scope: { type: 'device', id: String(deviceIds['pump-1']) },
      priority: 'low',
      category: 'maintenance',
      definition: { condition: { kind: 'state', metric: 'running', equals: false } },
    });
    await point('pump-1', 'running', false);
    const raised = await waitAlarm(rule.id, 'pump-1', (a) => a.state === 'unack', 'raised');
    await api(guard, 'POST', `/api/alarms/${raised.alarmId}/ack`, { disposition: 'real-fault' });
    const shelved = await api<{ alarm: AlarmJson }>(guard, 'POST', `/api/alarms/${raised.alarmId}/shelve`, { reason: 'pump under test by contractor', minutes: 30 });
    expect(shelved.status).toBe(200);
    expect(shelved.body.alarm.shelvedUntil).not.toBeNull();
    const standing = await api<{ alarms: AlarmJson[] }>(guard, 'GET', '/api/alarms');
    expect(standing.body.alarms.map((a) => a.alarmId)).not.toContain(raised.alarmId);
    expect((await api<{ alarms: AlarmJson[] }>(guard, 'GET', '/api/alarms?view=shelved')).body.alarms.map((a) => a.alarmId)).toContain(raised.alarmId);

    await point('pump-1', 'running', true);
    await waitAlarm(rule.id, 'pump-1', (a) => a.state === 'normal', 'cleared while shelved');
    await point('pump-1', 'running', false);
    await waitFor(async () => (await transitions(raised.alarmId)).some((t) => t.action === 'activate-silent' && t.note === 'shelved'), 'a silent activation');
    expect((await alarmOf(rule.id, 'pump-1'))!.state).toBe('normal');

    // The shelf expires (the sweep runs with a clock 31 minutes ahead): the standing condition is annunciated.
    await hub.alarmEngine.sweep(new Date(Date.now() + 31 * 60_000));
    const back = await waitAlarm(rule.id, 'pump-1', (a) => a.state === 'unack', 'annunciated after the shelf expired');
    expect(back.shelvedUntil).toBeNull();
    expect(back.episodeId).not.toBe(raised.episodeId);
    const actions = (await transitions(raised.alarmId)).map((t) => `${t.action}:${t.actor}`);
    expect(actions).toEqual(expect.arrayContaining(['shelve:guard', 'unshelve:system', 'activate:system']));
    // Bad input names the field.
    const bad = await api<{ error: { code: string; details: { issues: { field: string }[] } } }>(guard, 'POST', `/api/alarms/${raised.alarmId}/shelve`, { reason: '', minutes: 5000 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues.map((i) => i.field).sort()).toEqual(['body.minutes', 'body.reason']);
    await point('pump-1', 'running', true);
  });

  it('re-alarms a standing unacknowledged alarm and escalates an unacknowledged critical one, once each', async () => {
    const rule = await createRule({
      name: 'Door tamper',
      scope: { type: 'device', id: String(deviceIds['door-1']) },
      priority: 'critical',
      category: 'security',
      definition: { condition: { kind: 'event', raise: ['door.tamper'], clear: ['door.closed'] }, realarmSec: 60, escalateAfterSec: 120 },
    });
    await event('door-1', 'door.tamper');
    const raised = await waitAlarm(rule.id, 'door-1', (a) => a.state === 'unack', 'tamper raised');
    const now = Date.now();
    await hub.alarmEngine.sweep(new Date(now + 30_000));
    expect((await alarmOf(rule.id, 'door-1'))!.realarms).toBe(0);
    await hub.alarmEngine.sweep(new Date(now + 61_000));
    await hub.alarmEngine.sweep(new Date(now + 62_000));
    expect((await alarmOf(rule.id, 'door-1'))!.realarms).toBe(1);
    await hub.alarmEngine.sweep(new Date(now + 125_000));
    const escalated = (await alarmOf(rule.id, 'door-1'))!;
    expect(escalated.realarms).toBe(2);
    expect(escalated.escalatedAt).not.toBeNull();
    await hub.alarmEngine.sweep(new Date(now + 126_000));
    const actions = (await transitions(raised.alarmId)).map((t) => t.action);
    expect(actions.filter((a) => a === 'escalate')).toHaveLength(1);
    expect(actions.filter((a) => a === 'realarm')).toHaveLength(2);
    await api(guard, 'POST', `/api/alarms/${raised.alarmId}/ack`, { disposition: 'real-fault' });
    await event('door-1', 'door.closed');
    await waitAlarm(rule.id, 'door-1', (a) => a.state === 'normal', 'normal');
  });

  it('out of service ends the episode and keeps the alarm quiet; return to service re-annunciates a standing condition', async () => {
    const rule = await createRule({
      name: 'Motor very hot',
      scope: { type: 'device', id: String(deviceIds['pump-1']) },
      priority: 'medium',
      category: 'maintenance',
      definition: { condition: { kind: 'threshold', metric: 'motorTemp', op: '>=', value: 100 } },
    });
    await point('pump-1', 'motorTemp', 101);
    const raised = await waitAlarm(rule.id, 'pump-1', (a) => a.state === 'unack', 'raised');
    expect((await api(guard, 'POST', `/api/alarms/${raised.alarmId}/out-of-service`, { reason: 'sensor replaced' })).status).toBe(403);
    const oos = await api<{ alarm: AlarmJson }>(admin, 'POST', `/api/alarms/${raised.alarmId}/out-of-service`, { reason: 'sensor being replaced' });
    expect(oos.body.alarm).toMatchObject({ state: 'normal' });
    await point('pump-1', 'motorTemp', 50);
    await point('pump-1', 'motorTemp', 120);
    await waitFor(async () => (await transitions(raised.alarmId)).some((t) => t.action === 'activate-silent' && t.note === 'out of service'), 'quiet activation');
    await api(admin, 'POST', `/api/alarms/${raised.alarmId}/return-to-service`, {});
    const back = await waitAlarm(rule.id, 'pump-1', (a) => a.state === 'unack', 're-annunciated');
    expect(back.episodeId).not.toBe(raised.episodeId);
    await api(guard, 'POST', `/api/alarms/${raised.alarmId}/ack`, { disposition: 'real-fault' });
    await point('pump-1', 'motorTemp', 60);
  });

  it('rules are validated, versioned, and edited rules take effect; a bad scope is named', async () => {
    const bad = await api<{ error: { details: { issues: { field: string }[] } } }>(admin, 'POST', '/api/alarm-rules', {
      name: 'x',
      scope: { type: 'device', id: '999999' },
      priority: 'urgent',
      category: 'maintenance',
      definition: { condition: { kind: 'threshold', metric: 'motorTemp', op: '>', value: 1 } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues.map((i) => i.field)).toContain('body.priority');
    const noDevice = await api<{ error: { message: string } }>(admin, 'POST', '/api/alarm-rules', {
      name: 'x',
      scope: { type: 'device', id: '999999' },
      priority: 'low',
      category: 'maintenance',
      definition: { condition: { kind: 'offline' } },
    });
    expect(noDevice.status).toBe(400);
    expect(noDevice.body.error.message).toMatch(/no device 999999/);
    expect((await api(guard, 'POST', '/api/alarm-rules', {})).status).toBe(403);

    const rule = await createRule({
      name: 'Running flag',
      scope: { type: 'device', id: String(deviceIds['pump-1']) },
      priority: 'low',
      category: 'maintenance',
      definition: { condition: { kind: 'state', metric: 'running', equals: 'never' } },
    });
    const edited = await api<{ rule: { version: number } }>(admin, 'PUT', `/api/alarm-rules/${rule.id}`, {
      name: 'Pump running',
      scope: { type: 'device', id: String(deviceIds['pump-1']) },
      priority: 'low',
      category: 'maintenance',
      definition: { condition: { kind: 'state', metric: 'running', equals: true } },
    });
    expect(edited.body.rule.version).toBe(2);
    await point('pump-1', 'running', true);
    await waitAlarm(rule.id, 'pump-1', (a) => a.state === 'unack', 'the edited rule raises');
    const versions = await api<{ versions: { version: number; changedBy: string }[] }>(admin, 'GET', `/api/alarm-rules/${rule.id}/versions`);
    expect(versions.body.versions.map((v) => [v.version, v.changedBy])).toEqual([
      [2, 'admin'],
      [1, 'admin'],
    ]);
    // Retiring the rule returns its alarm to the process-normal side (people still acknowledge it).
    expect((await api(admin, 'DELETE', `/api/alarm-rules/${rule.id}`)).status).toBe(204);
    await waitAlarm(rule.id, 'pump-1', (a) => a.state === 'rtn_unack', 'returned after the rule was retired');
  });

  it('reports KPIs: activations, chattering, top contributors, time to acknowledge', async () => {
    const rule = await createRule({
      name: 'Chatter',
      scope: { type: 'device', id: String(deviceIds['door-1']) },
      priority: 'low',
      category: 'security',
      definition: { condition: { kind: 'event', raise: ['door.opened'], clear: ['door.closed'] } },
    });
    for (let i = 0; i < 3; i++) {
      await event('door-1', 'door.opened');
      await waitAlarm(rule.id, 'door-1', (a) => a.state === 'unack' && a.activations === i + 1, `activation ${i + 1}`);
      await event('door-1', 'door.closed');
      await waitAlarm(rule.id, 'door-1', (a) => a.state === 'rtn_unack' && a.activations === i + 1, `return ${i + 1}`);
    }
    const alarm = (await alarmOf(rule.id, 'door-1'))!;
    const kpis = await api<{
      activations: number;
      chattering: { alarmId: number; maxPerMinute: number }[];
      topContributors: { alarmId: number; activations: number }[];
      timeToAck: { count: number };
      per10Min: { peak: number };
    }>(guard, 'GET', '/api/alarms/kpis');
    expect(kpis.status, JSON.stringify(hub.logs.slice(-3))).toBe(200);
    const all = (await hub.db.query<{ n: string }>(`SELECT count(*) AS n FROM alarm_transitions WHERE action = 'activate'`)).rows[0].n;
    expect(kpis.body.activations).toBe(Number(all));
    expect(kpis.body.chattering).toContainEqual({ alarmId: alarm.alarmId, ruleName: 'Chatter', deviceName: 'door-1 name', maxPerMinute: 3 });
    expect(kpis.body.topContributors).toContainEqual(expect.objectContaining({ alarmId: alarm.alarmId, activations: 3 }));
    const acked = (await hub.db.query<{ n: string }>('SELECT count(*) AS n FROM alarm_episodes WHERE acked_at IS NOT NULL')).rows[0].n;
    expect(kpis.body.timeToAck.count).toBe(Number(acked));
    expect(kpis.body.per10Min.peak).toBeGreaterThanOrEqual(3);
    expect((await api(technician, 'GET', '/api/alarms/kpis')).status).toBe(403);
  });
});

/** Evaluation state lives in the database: a restarted hub resumes a held-open door timer where the old one left it. */
describe('alarm state across a hub restart (postgres)', () => {
  it('recovers a pending held-open timer and the active alarms', async () => {
    const database = await createTestDatabase('postgres');
    const config = loadConfig({ HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', MQTT_HOST: '127.0.0.1', MQTT_PORT: '0', ADMIN_INITIAL_PASSWORD: ADMIN_PASSWORD, ALARM_DEFAULT_RULES: 'false', DASHBOARD_DIR: '/nonexistent', LOG_LEVEL: 'silent', ...database.env });
    const logger = pino({ level: 'silent' });
    let hub = await startHub(config, logger);
    try {
      const agent = await connectTestAgent(hub, { site: 'site-rs', building: 'bldg-rs', agent: 'agent-rs' });
      const addr = { site: 'site-rs', agent: 'agent-rs' };
      let seq = 0;
      const send = async (kind: 'door.opened' | 'door.forced') => {
        const msg = encode('event', addr, { v: 1, msgId: randomUUID(), seq: seq++, ts: Date.now(), device: 'door-9', kind });
        await agent.publishAsync(msg.topic, msg.payload, msg.options);
      };
      const b = encode('deviceBirth', addr, { v: 1, msgId: randomUUID(), seq: seq++, ts: Date.now(), device: { id: 'door-9', type: 'door', name: 'Lobby door' }, metrics: [] });
      await agent.publishAsync(b.topic, b.payload, b.options);
      const deviceId = Number((await waitFor(async () => (await hub.db.query<{ id: string }>(`SELECT id FROM devices WHERE code = 'door-9'`)).rows[0], 'door registered')).id);
      const rules = await hub.db.query<{ id: string }>(
        `INSERT INTO alarm_rules (name, scope_type, scope_id, priority, category, definition, created_by, updated_by)
         VALUES ('Held', 'device', $1, 'medium', 'security', '{"condition":{"kind":"heldOpen","seconds":60}}', 't', 't'),
                ('Forced', 'device', $1, 'critical', 'security', '{"condition":{"kind":"event","raise":["door.forced"],"clear":["door.closed"]}}', 't', 't')
         RETURNING id`,
        [String(deviceId)],
      );
      const [held, forced] = rules.rows.map((r) => Number(r.id));
      await hub.alarmEngine.loadRules();
      const openedAt = Date.now();
      await send('door.opened');
      await send('door.forced');
      await waitFor(async () => (await hub.db.query(`SELECT 1 FROM alarms WHERE rule_id = $1 AND state = 'unack'`, [forced])).rowCount, 'forced raised');
      await waitFor(async () => (await hub.db.query(`SELECT 1 FROM alarm_rule_state WHERE rule_id = $1 AND state->'leaves'->0->>'openSince' IS NOT NULL`, [held])).rowCount, 'the open door saved');
      await agent.endAsync(true);
      await hub.stop();

      hub = await startHub(config, logger);
      hub.alarmEngine.tick(openedAt + 30_000);
      await hub.alarmEngine.idle();
      expect((await hub.db.query(`SELECT 1 FROM alarms WHERE rule_id = $1 AND active`, [held])).rowCount).toBe(0);
      hub.alarmEngine.tick(openedAt + 61_000);
      await hub.alarmEngine.idle();
      const alarm = await hub.db.query<{ state: string }>(`SELECT state FROM alarms WHERE rule_id = $1`, [held]);
      expect(alarm.rows[0].state).toBe('unack');
      // The forced-door alarm is still known as active: no second episode is opened for it.
      expect((await hub.db.query(`SELECT 1 FROM alarm_episodes WHERE rule_id = $1`, [forced])).rowCount).toBe(1);
    } finally {
      await hub.stop();
      await database.drop();
    }
  });
});
