import { randomUUID } from 'node:crypto';
import type mqtt from 'mqtt';
import { encode, topics, type Command, type CommandAck, type DeviceEventInput, type MetricDefinition } from '@warden/protocols';
import type { Hub } from '../../src/app.js';
import { connectTestAgent } from './hub.js';
import { waitFor } from './wait.js';

/**
 * Test media, made once with ffmpeg (`-f lavfi -i testsrc=size=64x48`): a real JPEG
 * frame and a one-second H.264 MP4 of the test pattern, so the hub's checks of what a
 * camera sends are exercised with the real formats.
 */
export const TINY_JPEG_BASE64 =
  '/9j/4AAQSkZJRgABAgAAAQABAAD//gAQTGF2YzU5LjM3LjEwMAD/2wBDAAgQEBMQExYWFhYWFhoYGhsbGxoaGhobGxsdHR0iIiIdHR0bGx0dICAiIiUmJSMjIiMmJigoKDAwLi44ODpF' +
  'RVP/xACxAAACAgMBAQAAAAAAAAAAAAAABwYIBAUDAgEBAAIDAQEBAAAAAAAAAAAAAAAGBwQIBQIBEAABAwIDAgcKDwEBAAAAAAABAgARBAMSBSFBMTJRcWEiEwaiFcGB0pKC4UNEs8Oj' +
  'wtHThOPiQqFidCNzkTURAAEDAgMCBwwJBQEAAAAAAAEAAgMEETEhBRMGQUODEmHSgYLiwsOjkcFRROMWQtFx0yIUMvCioSNyUpJjNP/AABEIADAAQAMBEgACEgADEgD/2gAMAwEAAhED' +
  'EQA/AK/vcZfRrzCqs0yNDdVE6dFI1UqCUzhSCYmTEBiEITWoqI1Bxr0tju+Yc3GfEGwEITbSEpEAbg6FJSGY852TB+7oHR6z5k7MY1jQ1osBgE17w7wt0xpp6ch1U4dBEAPzOGBeRm1p' +
  '/udlYHMFRUS1Ur5pnmSR5u5xxPoAAyAGQGQyS8JKjJ1L8tliiZAxscbQ1rRYAfrH1k5kqwtqwwx00bYomhjGCzWjg9JJxJOZOZVpLNja0LP6FcVjwAhNSEst7+tva4tIc0kEG4INiCMC' +
  'D614UBNc5jg5pLXNIIINiCMCCMwQvCwaKv6w9XdPSPBVoMXMY0B4uPlcFBIIIMEagjY5bpK3aHmSH73yuwv0Hgv6vX9aTgSDcZEcKlfeHdgUjTVUTTsWj+rFcuMduMaSS5zOF1yS3H8u' +
  'Gj3sbI1zXNDmuBa5rgCHA5EEHIgjEK2Lh+RZj3zoLd4mbif67v8AokCTwUjpAhcJEDFGxtSFAiEjOxaEqzK4SkEpp1qSSASk47aZHEYJEjYSH07Ff+je/ir+FtMQhCabG1oWf0JasbSh' +
  'brQlmxtaFn9CuKx4AQmpCWbG2IWf0JasbShbqQpv2GWoprU4jhBsKCZMAq6wEgbpISJO2A/HYX3/AOz/ABra0KAEKNZLQqpauzUpugm2T0SgwQpJSoSF6GCYOsHYXE7OdVNjgosnlCvA' +
  'sNck1DZ8Xfuu9Vh9BFJiX9hHVTdNpWy42/cW8JVJNTmlxbH2B3WVkup6OKf09bhdNnKlnBeCEg7lAEQf3So6c+x1fiTO34byvu1y4NOpXPtK+Vt8CHNsD03YcungUQzaBsfaL8nbxhUz' +
  'a1pdQ2nMtGNq5ly+J4u5zf8Anzeb94f42JdwZ5HiuhwHhz6PrfBdZcUdUpHiP0t2ZvPz/Zbct7pdOPd2isHNlncCAQQ+Mgg4EER5hcGbevZH/wAl+Wt4pdR27VBUAPEs5DgCC18ZBBwI' +
  'OzNwVoRkE+8fJ/ePXDPakfks+avy21wa/tvZ7cpfxYXRi0KmhwfN2uZ1FDB1a3E/v71XDpcB+aTzt6qcNRm3UeyxenHzS8y9ldi/wlXByFPhSXC8e6W09rtyPvVxmb1V0eEdN2tk+1XW' +
  'h1ra8TblL+Ar8ej08WDpe0t6iUnffpYep7v8Dze9VjFOK7/1PkuRfhLK/wCL8j71cb4qrrW2dN/rJ9qlqHSdtx1u4v4QVOLVJ4sGx9od1lokIxjfDlFFQKUkm7iQNwG5XKZ3DxatgfoP' +
  'M9ovyffrpw1tVMCZWRsHAA1wd9Zu42C1fDVbUflt239Ch3Vd44dPc2GgMdQ4ZvkcefEARk1pjLec7hJBs3DM3t1yjME5NSmwLRvFVxVxSjcCRJAGicBgQkbydZPM2CezlIfaX/OR9W1q' +
  'dux6f4+lfJXGbH+P0U6jRL8f5Pv1QGs1A+SLzO66/9k=';

export const TINY_MP4_BASE64 =
  'AAAAIGZ0eXBpc29tAAACAGlzb21pc28yYXZjMW1wNDEAAAN2bW9vdgAAAGxtdmhkAAAAAAAAAAAAAAAAAAAD6AAAA+gAAQAAAQAAAAAAAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAABAAAA' +
  'AAAAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAqB0cmFrAAAAXHRraGQAAAADAAAAAAAAAAAAAAABAAAAAAAAA+gAAAAAAAAAAAAAAAAAAAAAAAEAAAAA' +
  'AAAAAAAAAAAAAAABAAAAAAAAAAAAAAAAAABAAAAAAEAAAAAwAAAAAAAkZWR0cwAAABxlbHN0AAAAAAAAAAEAAAPoAAAQAAABAAAAAAIYbWRpYQAAACBtZGhkAAAAAAAAAAAAAAAAAAAo' +
  'AAAAKABVxAAAAAAALWhkbHIAAAAAAAAAAHZpZGUAAAAAAAAAAAAAAABWaWRlb0hhbmRsZXIAAAABw21pbmYAAAAUdm1oZAAAAAEAAAAAAAAAAAAAACRkaW5mAAAAHGRyZWYAAAAAAAAA' +
  'AQAAAAx1cmwgAAAAAQAAAYNzdGJsAAAAv3N0c2QAAAAAAAAAAQAAAK9hdmMxAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAAAEAAMABIAAAASAAAAAAAAAABFUxhdmM1OS4zNy4xMDAgbGli' +
  'eDI2NAAAAAAAAAAAAAAAGP//AAAANWF2Y0MBZAAK/+EAGGdkAAqs2UR7ARAAAAMAEAAAAwCg8SJZYAEABmjr48siwP34+AAAAAAQcGFzcAAAAAEAAAABAAAAFGJ0cnQAAAAAAAA2uAAA' +
  'NrgAAAAYc3R0cwAAAAAAAAABAAAABQAACAAAAAAUc3RzcwAAAAAAAAABAAAAAQAAADhjdHRzAAAAAAAAAAUAAAABAAAQAAAAAAEAACgAAAAAAQAAEAAAAAABAAAAAAAAAAEAAAgAAAAA' +
  'HHN0c2MAAAAAAAAAAQAAAAEAAAAFAAAAAQAAAChzdHN6AAAAAAAAAAAAAAAFAAAFWwAAANsAAABkAAAAIgAAABsAAAAUc3RjbwAAAAAAAAABAAADpgAAAGJ1ZHRhAAAAWm1ldGEAAAAA' +
  'AAAAIWhkbHIAAAAAAAAAAG1kaXJhcHBsAAAAAAAAAAAAAAAALWlsc3QAAAAlqXRvbwAAAB1kYXRhAAAAAQAAAABMYXZmNTkuMjcuMTAwAAAACGZyZWUAAAbfbWRhdAAAAq0GBf//qdxF' +
  '6b3m2Ui3lizYINkj7u94MjY0IC0gY29yZSAxNjQgcjMwOTUgYmFlZTQwMCAtIEguMjY0L01QRUctNCBBVkMgY29kZWMgLSBDb3B5bGVmdCAyMDAzLTIwMjIgLSBodHRwOi8vd3d3LnZp' +
  'ZGVvbGFuLm9yZy94MjY0Lmh0bWwgLSBvcHRpb25zOiBjYWJhYz0xIHJlZj0zIGRlYmxvY2s9MTowOjAgYW5hbHlzZT0weDM6MHgxMTMgbWU9aGV4IHN1Ym1lPTcgcHN5PTEgcHN5X3Jk' +
  'PTEuMDA6MC4wMCBtaXhlZF9yZWY9MSBtZV9yYW5nZT0xNiBjaHJvbWFfbWU9MSB0cmVsbGlzPTEgOHg4ZGN0PTEgY3FtPTAgZGVhZHpvbmU9MjEsMTEgZmFzdF9wc2tpcD0xIGNocm9t' +
  'YV9xcF9vZmZzZXQ9LTIgdGhyZWFkcz0xIGxvb2thaGVhZF90aHJlYWRzPTEgc2xpY2VkX3RocmVhZHM9MCBucj0wIGRlY2ltYXRlPTEgaW50ZXJsYWNlZD0wIGJsdXJheV9jb21wYXQ9' +
  'MCBjb25zdHJhaW5lZF9pbnRyYT0wIGJmcmFtZXM9MyBiX3B5cmFtaWQ9MiBiX2FkYXB0PTEgYl9iaWFzPTAgZGlyZWN0PTEgd2VpZ2h0Yj0xIG9wZW5fZ29wPTAgd2VpZ2h0cD0yIGtl' +
  'eWludD0yNTAga2V5aW50X21pbj01IHNjZW5lY3V0PTQwIGludHJhX3JlZnJlc2g9MCByY19sb29rYWhlYWQ9NDAgcmM9Y3JmIG1idHJlZT0xIGNyZj0yMy4wIHFjb21wPTAuNjAgcXBt' +
  'aW49MCBxcG1heD02OSBxcHN0ZXA9NCBpcF9yYXRpbz0xLjQwIGFxPTE6MS4wMACAAAACpmWIhACf7WWI7NPR/gtZ2P4CCSu/gaPT6jiuhNATB/8wfg3uppPV6e0qBlKoWByIwsE2pV/G' +
  'ModASgNmkxe0pzjPHlAzGGzmK/WYoMeVR+QbHS6bTAUmlmJZ0PxrAyEwzY9pr15ft0rtrNszQc2VL+kQiUlr7oBr8XZneOUnhs9vW1BkAwFNFUi+g7cyqtH50Qj8DxVPZOZgoN/5hpHP' +
  'i8N7UVdwAMM7nyRAiJ3xiw40EvhSh4Ngr+A3L8eNPoWDBpjFUKzWJ+7Pz2tEa4YHeqcFwj8GVMo06XjXSTS8xcy9//Sl72Qfo+H6XP8WhQ8ZIKonqE2QvCy5yhJFqo9VJTj2toOATUGn' +
  'ByZvH6si5fGDKNphrfHgVuGdTPSk2LF2rTy1SmpP5smt8HV3B6kRN7WfVB39xdjLE0F5mE+y+f5FaqSw9R4bxip87wt5ADWZT7JXi5HlZ0oyPGhCdbpDvUnq4BQ99wPYWp7kbBLlxote' +
  'fc1pq6iLyWQJf4yBN4yep3vqiZob00/yQ569B+ONMvZU3pEB1UyNiySZ5k7Jv+7vdQlt58rrRq8LitD3PauVYLF1rfHFhTQS/Mh3arKx2YcLu9wsWI5kn3YswjNxpzc3eRtXg5ixGfkp' +
  '4zw9pryskY/SV6oUWPGyC3rZ5oaiBOIedwk46YBvJR2ry/twhEtja240xuN6a3tv2T6CKgxo5+4MlP2squQ6yINwGJRrE5l7wiMENHsQMMZnEqCfosM52sSv4Fzw5tvLjhjnIkx9ZnK5' +
  'YwTbXsLTM9OYoxYmMWn+shA1Hu3RyMtSLmOMgwJy/s+GcTXzzUX0NV91ypi5QM0ah9cTmN8aNc4gUGnqhT1nWh37m8zN2GmEu9QRec+DGUbPvrRkFeFNMWAdv6h3VjVrva9x7wAAANdB' +
  'miRsRn8VCdqvzd91GbmsP/HAwD0LRfUrAV1/8Xp2TpHU+nw1Q6n13hUnznYmEQ1/wAEWho6CQVoczJt+Ac2XmmCnFCKosi7rnqiRIXb5YD7VuG0AUobTPA1QhRWhlqxWhlkdfEIy6oFA' +
  'wq9t27fL4CmF7thLQ7DSNNGUGDWwxwyZGK2pgXAgPgLZ2+Vi9r1IsEJs2iJCzKVkNxEYYniP5bgh8FqNKKybTw4e08NiZuEKI0jJuqoqaaPbZoSJuxoc3IKd/aZmOuzEySykmSOUGn4a' +
  'uipbtgAAAGBBnkJ4iP91uT2XwqWrvEmrkqv/theOkxAhXehs3jRfujlzJNQg0T+LRXFMeX2vNxA7p4ebddIqkvGWaVNr/aObJQXCAN/6uW+afZc6PC4LQ4lnmXIS5JISEEV/SI+BL70A' +
  'AAAeAZ5hdEZ/febB+HI2K0K3ZVuNwNtv7XPp92DiW12AAAAAFwGeY2pGf33v0qnQov6vPVNv9W3hhDbh';

/** How the fake agent answers a command: an ack's result, message and data; undefined: it stays silent. */
export type Reply = Pick<CommandAck, 'result'> & Partial<Pick<CommandAck, 'message' | 'data'>>;
export type CommandHandler = (command: Command) => Reply | undefined;

/** What a real agent's adapters answer, by command. */
export const answerLikeAnAgent: CommandHandler = (command) => {
  switch (command.name) {
    case 'camera.snapshot':
      return { result: 'ok', data: { contentType: 'image/jpeg', image: TINY_JPEG_BASE64, width: 64, height: 48, capturedAt: Date.now() } };
    case 'camera.clip':
      return { result: 'ok', data: { contentType: 'video/mp4', clip: TINY_MP4_BASE64, seconds: (command.params?.seconds as number | undefined) ?? 1, capturedAt: Date.now() } };
    case 'door.unlock':
      return { result: 'ok', data: command.params?.durationSec ? { relockAt: Date.now() + (command.params.durationSec as number) * 1000 } : {} };
    case 'door.lock':
    case 'door.access':
      return { result: 'ok' };
    default:
      return { result: 'unsupported', message: `${command.name} is not supported here` };
  }
};

export interface BirthOptions {
  metrics?: MetricDefinition[];
  capabilities?: string[];
  zone?: string;
  floor?: string;
  covers?: string[];
  name?: string;
}

/**
 * An edge agent played by the test: an MQTT client logged in as the agent, online,
 * that publishes births, events and points, and answers the commands it receives on
 * its command topic (per device, as the test says; by default like a real agent).
 */
export class FakeAgent {
  readonly address: { site: string; agent: string };
  /** Commands received, in order, with the QoS they came with. */
  readonly received: { command: Command; qos: number }[] = [];
  /** Per-device behaviour; devices not listed answer like a real agent. */
  readonly handlers = new Map<string, CommandHandler>();
  readonly deviceIds: Record<string, number> = {};
  private seq = 0;

  private constructor(
    private readonly hub: Hub,
    readonly client: mqtt.MqttClient,
    readonly building: string,
    site: string,
    agent: string,
  ) {
    this.address = { site, agent };
  }

  /** Provisions the agent in the hub's estate and connects to the hub's broker. */
  static async connect(hub: Hub, estate: { site: string; building: string; agent: string }): Promise<FakeAgent> {
    return FakeAgent.attach(hub, await connectTestAgent(hub, estate), estate);
  }

  /** Plays an agent already provisioned, over a client already connected (e.g. to an external broker). */
  static async attach(hub: Hub, client: mqtt.MqttClient, estate: { site: string; building: string; agent: string }): Promise<FakeAgent> {
    const agent = new FakeAgent(hub, client, estate.building, estate.site, estate.agent);
    client.on('message', (topic, payload, packet) => agent.onCommand(payload, packet.qos));
    await client.subscribeAsync(topics.command(agent.address), { qos: 1 });
    const online = encode('state', agent.address, { v: 1, state: 'online', ts: Date.now(), session: randomUUID(), nextSeq: 0 });
    await client.publishAsync(online.topic, online.payload, online.options);
    await waitFor(async () => (await hub.db.query('SELECT 1 FROM agents WHERE id = $1 AND online', [estate.agent])).rowCount, `agent ${estate.agent} online`);
    return agent;
  }

  /** Publishes a device birth and resolves with the hub's device id once registered. */
  async birth(device: string, type: string, o: BirthOptions = {}): Promise<number> {
    const msg = encode('deviceBirth', this.address, {
      v: 1,
      msgId: randomUUID(),
      seq: this.seq++,
      ts: Date.now(),
      device: { id: device, type, name: o.name ?? `${device} name`, ...(o.zone ? { zone: o.zone } : {}), ...(o.floor ? { floor: o.floor } : {}), ...(o.covers ? { covers: o.covers } : {}) },
      metrics: o.metrics ?? [],
      capabilities: o.capabilities ?? [],
    });
    const before = new Date();
    await this.client.publishAsync(msg.topic, msg.payload, msg.options);
    const row = await waitFor(
      async () => (await this.hub.db.query<{ id: string }>('SELECT id FROM devices WHERE agent_id = $1 AND code = $2 AND birth_at >= $3', [this.address.agent, device, new Date(before.getTime() - 1000)])).rows[0],
      `device ${device} registered`,
    );
    this.deviceIds[device] = Number(row.id);
    return Number(row.id);
  }

  async event(device: string, kind: DeviceEventInput['kind'], data?: Record<string, unknown>): Promise<void> {
    const msg = encode('event', this.address, { v: 1, msgId: randomUUID(), seq: this.seq++, ts: Date.now(), device, kind, data });
    await this.client.publishAsync(msg.topic, msg.payload, msg.options);
  }

  async point(device: string, metric: string, value: number | boolean | string): Promise<void> {
    const msg = encode('telemetry', this.address, { v: 1, msgId: randomUUID(), seq: this.seq++, ts: Date.now(), points: [{ device, metric, ts: Date.now(), value }] });
    await this.client.publishAsync(msg.topic, msg.payload, msg.options);
  }

  /** One telemetry message of many readings at their own times (`historical`: replayed after an outage). */
  async points(points: { device: string; metric: string; ts: number; value: number | boolean | string }[], historical = false): Promise<void> {
    const msg = encode('telemetry', this.address, { v: 1, msgId: randomUUID(), seq: this.seq++, ts: Date.now(), historical, points });
    await this.client.publishAsync(msg.topic, msg.payload, msg.options);
  }

  /** Acknowledges a command the way the agent would (also used for late answers). */
  async ack(id: string, reply: Reply): Promise<void> {
    const out = encode('commandAck', this.address, { v: 1, id, ts: Date.now(), ...reply });
    await this.client.publishAsync(out.topic, out.payload, out.options);
  }

  /** The commands received for a device (or all), e.g. to wait for one. */
  commandsFor(device?: string): Command[] {
    return this.received.map((r) => r.command).filter((c) => device === undefined || c.device === device);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true).catch(() => {});
  }

  private onCommand(payload: Buffer, qos: number): void {
    const command = JSON.parse(payload.toString()) as Command;
    this.received.push({ command, qos });
    const handler = (command.device && this.handlers.get(command.device)) || answerLikeAnAgent;
    const reply = handler(command);
    if (reply) void this.ack(command.id, reply);
  }
}
