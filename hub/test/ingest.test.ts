import { randomUUID } from 'node:crypto';
import type mqtt from 'mqtt';
import { encode, topics } from '@warden/protocols';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from './support/databases.js';
import { ADMIN_PASSWORD, connectTestAgent, startTestHub, type TestHub } from './support/hub.js';
import { waitFor } from './support/wait.js';

const site = 'site-t';
const agentId = 'agent-t1';
const address = { site, agent: agentId };

describe.each(databaseKinds)('ingest on %s', (kind) => {
  let hub: TestHub;
  let agent: mqtt.MqttClient;
  let seq = 0;
  const publish = async (topic: string, payload: string | Buffer) => {
    await agent.publishAsync(topic, payload, { qos: 1 });
  };
  const count = async (sql: string, values: unknown[] = []) => (await hub.db.query<{ n: number }>(sql, values)).rows[0].n;

  beforeAll(async () => {
    hub = await startTestHub(kind);
    agent = await connectTestAgent(hub, { site, building: 'bldg-t', agent: agentId });
    const birth = encode('deviceBirth', address, {
      v: 1,
      msgId: randomUUID(),
      seq: seq++,
      ts: Date.now(),
      device: { id: 'pump-1', type: 'pump', name: 'Booster pump 1' },
      metrics: [
        { name: 'temperature', type: 'number', unit: 'Cel' },
        { name: 'running', type: 'boolean' },
      ],
      heartbeatSec: 60,
    });
    await publish(birth.topic, birth.payload);
  });
  afterAll(async () => {
    await agent?.endAsync();
    await hub?.close();
  });

  const telemetry = (points: { metric: string; ts: number; value: number | boolean }[], historical = false, msgId = randomUUID()) =>
    encode('telemetry', address, { v: 1, msgId, seq: seq++, ts: Date.now(), historical, points: points.map((p) => ({ device: 'pump-1', ...p })) });

  it('registers a device from its birth, with its metrics and units', async () => {
    await waitFor(() => count(`SELECT count(*)::int AS n FROM device_metrics`).then((n) => n === 2), 'device metrics');
    const { rows } = await hub.db.query(`SELECT d.code, d.type, d.building_id, d.online, m.name, m.unit FROM devices d JOIN device_metrics m ON m.device_id = d.id ORDER BY m.name`);
    expect(rows).toEqual([
      { code: 'pump-1', type: 'pump', building_id: 'bldg-t', online: true, name: 'running', unit: null },
      { code: 'pump-1', type: 'pump', building_id: 'bldg-t', online: true, name: 'temperature', unit: 'Cel' },
    ]);
  });

  it('stores every point of a batch once, even when the message is redelivered', async () => {
    const base = Date.UTC(2026, 10, 27, 8, 0, 0);
    const points = Array.from({ length: 300 }, (_, i) => ({ metric: 'temperature', ts: base + i * 1000, value: 40 + (i % 7) }));
    const msg = telemetry(points);
    await publish(msg.topic, msg.payload);
    await publish(msg.topic, msg.payload); // an MQTT redelivery carries the same message
    // Both deliveries reach the writer: the second one finds every point already stored.
    await waitFor(() => hub.ingest.stats().pointsDuplicate >= 300, 'the redelivery to be written');
    expect(await count(`SELECT count(*)::int AS n FROM telemetry WHERE ts >= to_timestamp($1 / 1000.0)`, [base])).toBe(300);
  });

  it('stores text values exactly, whatever characters they hold', async () => {
    const texts = ['a"b\\c', '{x,y}', 'NULL', '', '中文 状态', "it's\nfine"];
    const base = Date.UTC(2026, 10, 27, 9, 0, 0);
    const msg = encode('telemetry', address, { v: 1, msgId: randomUUID(), seq: seq++, ts: Date.now(), points: texts.map((value, i) => ({ device: 'pump-1', metric: 'status_text', ts: base + i, value })) });
    await publish(msg.topic, msg.payload);
    const rows = await waitFor(async () => {
      const { rows } = await hub.db.query<{ value_text: string | null; value: number | null }>(
        `SELECT t.value_text, t.value FROM telemetry t JOIN device_metrics m ON m.id = t.series_id WHERE m.name = 'status_text' ORDER BY t.ts`,
      );
      return rows.length === texts.length ? rows : undefined;
    }, 'the text points');
    expect(rows).toEqual(texts.map((value_text) => ({ value_text, value: null })));
  });

  it('keeps the latest live value, and a historical replay never overwrites it', async () => {
    const now = Date.now();
    const live = telemetry([{ metric: 'running', ts: now, value: true }]);
    await publish(live.topic, live.payload);
    const old = telemetry([{ metric: 'running', ts: now + 5_000, value: false }], true);
    await publish(old.topic, old.payload);
    await waitFor(() => count(`SELECT count(*)::int AS n FROM telemetry t JOIN device_metrics m ON m.id = t.series_id WHERE m.name = 'running'`).then((n) => n === 2), 'both rows');
    await hub.ingest.drain();
    const admin = await hub.login('admin', ADMIN_PASSWORD);
    const device = (await hub.db.query<{ id: number }>(`SELECT id FROM devices WHERE code = 'pump-1'`)).rows[0];
    const res = await hub.http.inject({ url: `/api/devices/${device.id}/latest`, headers: { authorization: `Bearer ${admin}` } });
    expect(res.json().metrics).toContainEqual({ metric: 'running', unit: null, type: 'boolean', value: true, ts: new Date(now).toISOString() });
  });

  it('rejects a malformed payload on every inbound topic type, logging and counting the reason, and keeps going', async () => {
    const before = hub.ingest.stats().rejected;
    const bad: [string, string][] = [
      [topics.state(address), '{"v":1,"state":"sleeping","ts":1,"session":"s"}'],
      [topics.deviceBirth(address, 'pump-9'), '{"v":1,"msgId":"m","seq":1,"ts":1,"device":{"id":"pump-8","type":"pump","name":"x"},"metrics":[]}'],
      [topics.telemetry(address), 'this is not json'],
      [topics.telemetry(address), JSON.stringify({ v: 1, msgId: 'x', seq: 1, ts: 1, points: [{ device: 'pump-1', metric: 'temperature', ts: 1, value: 1, extra: 1 }] })],
      [topics.event(address), JSON.stringify({ v: 1, msgId: 'e', seq: 1, ts: 1, device: 'door-1', kind: 'door.exploded' })],
      [topics.commandAck(address), JSON.stringify({ v: 1, id: 'not-a-uuid', ts: 1, result: 'ok' })],
    ];
    for (const [topic, payload] of bad) await publish(topic, payload);
    await waitFor(() => hub.ingest.stats().rejected - before >= bad.length, 'rejections');
    const letters = await waitFor(async () => {
      const { rows } = await hub.db.query<{ topic: string; kind: string | null; reason: string }>('SELECT topic, kind, reason FROM dead_letters ORDER BY id');
      return rows.length >= bad.length ? rows : undefined;
    }, 'dead letters');
    const reasons = Object.fromEntries(letters.map((l) => [l.kind ?? l.topic, l.reason]));
    expect(reasons.state).toMatch(/^state:/);
    expect(reasons.deviceBirth).toMatch(/device.id does not match/);
    expect(reasons.event).toMatch(/^kind:/);
    expect(reasons.commandAck).toMatch(/^id:/);
    expect(letters.filter((l) => l.kind === 'telemetry').map((l) => l.reason).join(' | ')).toMatch(/not JSON.*\|.*points\.0: Unrecognized key: "extra"/);
    const stats = hub.ingest.stats();
    expect(stats.rejectedByKind).toMatchObject({ state: 1, deviceBirth: 1, telemetry: 2, event: 1, commandAck: 1 });
    expect(hub.logs.filter((l) => l.msg === 'rejected an invalid message').length).toBeGreaterThanOrEqual(bad.length);

    // The hub still ingests valid data afterwards.
    const ok = telemetry([{ metric: 'temperature', ts: Date.now() + 60_000, value: 55 }]);
    await publish(ok.topic, ok.payload);
    await waitFor(() => count(`SELECT count(*)::int AS n FROM telemetry WHERE value = 55`).then((n) => n === 1), 'valid point after rejections');
  });

  it('refuses data from an agent that was never provisioned', async () => {
    const before = hub.ingest.stats().rejected;
    const other = encode('telemetry', { site, agent: 'agent-ghost' }, { v: 1, msgId: 'g', seq: 1, ts: 1, points: [{ device: 'x', metric: 'y', ts: 1, value: 1 }] });
    await hub.ingest.handle(other.topic, Buffer.from(other.payload));
    expect(hub.ingest.stats().rejected).toBe(before + 1);
    const { rows } = await hub.db.query(`SELECT reason FROM dead_letters WHERE agent_id = 'agent-ghost'`);
    expect(rows).toEqual([{ reason: 'unknown agent: provision it first' }]);
  });
});
