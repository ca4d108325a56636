import { randomUUID } from 'node:crypto';
import { encode } from '@warden/protocols';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectTestAgent, demoPassword, startTestHub, type TestHub } from './support/hub.js';
import { waitFor } from './support/wait.js';

/** Devices going online and offline reach consoles live, once per change, in their building. */
describe('device status on the live stream', () => {
  let hub: TestHub;
  const frames: { id: number; type: string; data: { deviceId?: number; online?: boolean } }[] = [];
  let socket: WebSocket;

  beforeAll(async () => {
    hub = await startTestHub('pglite', { ALARM_DEFAULT_RULES: 'false' });
    const token = await hub.login('guard', demoPassword(hub, 'guard'));
    socket = new WebSocket(`${hub.url.replace(/^http/, 'ws')}/api/live?token=${token}`);
    socket.on('message', (raw: Buffer) => frames.push(JSON.parse(raw.toString()) as (typeof frames)[number]));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  });
  afterAll(async () => {
    socket?.close();
    await hub?.close();
  });

  it('sends online on the birth, nothing for repeated births, offline when the agent dies', async () => {
    const address = { site: 'site-ds', agent: 'agent-ds' };
    const agent = await connectTestAgent(hub, { site: address.site, building: 'bldg-ds', agent: address.agent });
    const will = encode('state', address, { v: 1, state: 'offline', ts: Date.now(), session: 's' });
    const online = encode('state', address, { v: 1, state: 'online', ts: Date.now(), session: 's', nextSeq: 0 });
    await agent.publishAsync(online.topic, online.payload, online.options);
    const birth = (seq: number) => encode('deviceBirth', address, { v: 1, msgId: randomUUID(), seq, ts: Date.now(), device: { id: 'temp-9', type: 'sensor.temperature', name: 'T9' }, metrics: [] });
    for (const seq of [0, 1]) {
      const b = birth(seq);
      await agent.publishAsync(b.topic, b.payload, b.options);
    }
    const deviceId = Number((await waitFor(async () => (await hub.db.query<{ id: string }>(`SELECT id FROM devices WHERE code = 'temp-9'`)).rows[0], 'device')).id);
    const statusOf = () => frames.filter((f) => f.type === 'device.online' && f.data.deviceId === deviceId).map((f) => f.data.online);
    await waitFor(() => statusOf().length === 1, 'the online event');
    // The Last Will, as the broker publishes it when the agent's connection is lost.
    await agent.publishAsync(will.topic, will.payload, will.options);
    await waitFor(() => statusOf().length === 2, 'the offline event');
    expect(statusOf()).toEqual([true, false]);
    await agent.endAsync(true);
  });
});
