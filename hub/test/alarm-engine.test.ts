import { randomUUID } from 'node:crypto';
import type mqtt from 'mqtt';
import { encode } from '@warden/protocols';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from './support/databases.js';
import { connectTestAgent, startTestHub, ADMIN_PASSWORD, type TestHub } from './support/hub.js';
import { waitFor } from './support/wait.js';

const address = { site: 'site-off', agent: 'agent-off' };

/** The alarm engine through the real hub: agent → broker → ingest/registry → engine → alarm in the database. */
describe.each(databaseKinds)('alarm engine (%s)', (kind) => {
  let hub: TestHub;
  let agent: mqtt.MqttClient;
  let admin: string;
  let deviceId: number;
  let pumpId: number;
  let seq = 1;

  const api = async <T = unknown>(method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const res = await hub.http.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${admin}` } });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json() as T;
  };
  const running = async (value: boolean) => {
    const msg = encode('telemetry', address, { v: 1, msgId: randomUUID(), seq: seq++, ts: Date.now(), points: [{ device: 'pump-e', metric: 'running', ts: Date.now(), value }] });
    await agent.publishAsync(msg.topic, msg.payload, msg.options);
  };
  const alarmRow = async (ruleId: number) =>
    (await hub.db.query<{ id: string; state: string; active: boolean }>('SELECT id, state, active FROM alarms WHERE rule_id = $1', [ruleId])).rows[0];

  beforeAll(async () => {
    hub = await startTestHub(kind, { ALARM_DEFAULT_RULES: 'false' });
    agent = await connectTestAgent(hub, { site: address.site, building: 'bldg-off', agent: address.agent });
    const online = encode('state', address, { v: 1, state: 'online', ts: Date.now(), session: 's1', nextSeq: 0 });
    await agent.publishAsync(online.topic, online.payload, online.options);
    admin = await hub.login('admin', ADMIN_PASSWORD);
    const birth = encode('deviceBirth', address, { v: 1, msgId: randomUUID(), seq: 0, ts: Date.now(), device: { id: 'meter-off', type: 'meter', name: 'Meter' }, metrics: [] });
    await agent.publishAsync(birth.topic, birth.payload, birth.options);
    const row = await waitFor(async () => (await hub.db.query<{ id: string }>('SELECT id FROM devices WHERE code = $1 AND online', ['meter-off'])).rows[0], 'the meter online');
    deviceId = Number(row.id);
    const pump = encode('deviceBirth', address, { v: 1, msgId: randomUUID(), seq: seq++, ts: Date.now(), device: { id: 'pump-e', type: 'pump', name: 'Pump' }, metrics: [{ name: 'running', type: 'boolean' }] });
    await agent.publishAsync(pump.topic, pump.payload, pump.options);
    pumpId = Number((await waitFor(async () => (await hub.db.query<{ id: string }>('SELECT id FROM devices WHERE code = $1', ['pump-e'])).rows[0], 'the pump')).id);
  });
  afterAll(async () => {
    await agent?.endAsync(true).catch(() => {});
    await hub?.close();
  });

  it('raises at once a no-delay offline rule bound while its device is already offline', async () => {
    const offline = encode('state', address, { v: 1, state: 'offline', ts: Date.now(), session: 's1' });
    await agent.publishAsync(offline.topic, offline.payload, offline.options);
    await waitFor(async () => (await hub.db.query('SELECT 1 FROM devices WHERE id = $1 AND NOT online', [deviceId])).rowCount, 'the meter offline');
    const res = await hub.http.inject({
      method: 'POST',
      url: '/api/alarm-rules',
      headers: { authorization: `Bearer ${admin}` },
      payload: { name: 'Meter offline', scope: { type: 'device', id: String(deviceId) }, priority: 'medium', category: 'maintenance', definition: { condition: { kind: 'offline' }, onDelaySec: 0, workOrder: { create: false } } },
    });
    expect(res.statusCode, res.body).toBe(201);
    const ruleId = (res.json() as { rule: { id: number } }).rule.id;
    await waitFor(async () => (await hub.db.query('SELECT 1 FROM alarms WHERE rule_id = $1 AND active', [ruleId])).rowCount, 'the offline alarm');
    await hub.alarmEngine.idle();
    const { rows } = await hub.db.query<{ n: string }>(`SELECT count(*) AS n FROM alarm_transitions t JOIN alarms a ON a.id = t.alarm_id WHERE a.rule_id = $1 AND t.action = 'activate'`, [ruleId]);
    expect(Number(rows[0].n)).toBe(1);
    expect(hub.alarmEngine.stats().failed).toBe(0);
  });

  it('goes on following the database after a change it could not apply: the condition’s return still clears the alarm', async () => {
    const { rule } = await api<{ rule: { id: number } }>('POST', '/api/alarm-rules', {
      name: 'Pump stopped',
      scope: { type: 'device', id: String(pumpId) },
      priority: 'low',
      category: 'maintenance',
      definition: { condition: { kind: 'state', metric: 'running', equals: false }, workOrder: { create: false } },
    });
    await running(false);
    const raised = await waitFor(async () => ((await alarmRow(rule.id))?.state === 'unack' ? await alarmRow(rule.id) : undefined), 'raised');
    await api('POST', `/api/alarms/${raised.id}/ack`, { disposition: 'real-fault' });
    await api('POST', `/api/alarms/${raised.id}/shelve`, { reason: 'pump under test', minutes: 30 });
    await running(true);
    await waitFor(async () => !(await alarmRow(rule.id)).active, 'cleared while shelved');
    await running(false);
    await waitFor(async () => (await alarmRow(rule.id)).active, 'active again, quietly (shelved)');
    await hub.alarmEngine.idle();

    // The shelf expires and the standing condition is to be annunciated again, but the database fails that once.
    const raise = hub.alarms.raise.bind(hub.alarms);
    hub.alarms.raise = () => Promise.reject(new Error('the database went away (test)'));
    const failedBefore = hub.alarmEngine.stats().failed;
    try {
      await hub.alarmEngine.sweep(new Date(Date.now() + 31 * 60_000));
      await waitFor(() => hub.alarmEngine.stats().failed === failedBefore + 1, 'the failed re-annunciation');
      await hub.alarmEngine.idle();
    } finally {
      hub.alarms.raise = raise;
    }
    // The alarm is still active in the database, and the engine knows it: the return to normal clears it.
    expect((await alarmRow(rule.id)).active).toBe(true);
    await running(true);
    await waitFor(async () => !(await alarmRow(rule.id)).active, 'cleared when the pump runs again');
  });
});
