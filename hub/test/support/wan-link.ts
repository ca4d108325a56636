import net from 'node:net';

/**
 * The WAN between an edge agent and its broker, as a TCP proxy a test can
 * unplug and plug back in. It reads the MQTT packets going through (never
 * changes them) to tell the test what the agent published and which
 * acknowledgements never reached it.
 *
 * - `unplug()` destroys the live connections and refuses new ones until
 *   `replug()`: the agent is offline and keeps trying to reconnect.
 * - `loseAcknowledgements()` stops passing anything from the broker to the
 *   agent on the live connections (a link dying with packets in flight): what
 *   the agent publishes still reaches the broker, but the PUBACKs are lost, so
 *   the agent must send those messages again after it reconnects.
 */
export interface ObservedPublish {
  /** Which connection through the link (1, 2, ...). */
  connection: number;
  at: number;
  topic: string;
  kind: 'telemetry' | 'event' | 'deviceBirth' | 'state' | 'commandAck' | 'other';
  packetId?: number;
  seq?: number;
  historical?: boolean;
  points?: { device: string; metric: string; ts: number }[];
}

interface Connection {
  id: number;
  client: net.Socket;
  upstream: net.Socket;
  /** MQTT protocol level of its CONNECT: 4 (3.1.1) or 5. */
  level: number;
  losingAcks: boolean;
  /** QoS 1 publishes not yet acknowledged, by packet id. */
  unacked: Map<number, ObservedPublish>;
}

const CONNECT = 1;
const PUBLISH = 3;
const PUBACK = 4;

export class WanLink {
  readonly publishes: ObservedPublish[] = [];
  /** Publishes whose PUBACK the broker sent and the link dropped. */
  readonly lostAcks: ObservedPublish[] = [];
  /** Connections passed through to the broker. */
  connections = 0;
  /** Connection attempts turned away: unplugged, or the broker not listening. */
  refused = 0;
  private plugged = true;
  private readonly live = new Set<Connection>();

  private constructor(
    private readonly server: net.Server,
    private readonly target: { host: string; port: number },
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  static async open(target: { host?: string; port: number }): Promise<WanLink> {
    const server = net.createServer();
    const link = new WanLink(server, { host: target.host ?? '127.0.0.1', port: target.port });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return link;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  unplug(): void {
    this.plugged = false;
    for (const c of this.live) this.drop(c);
  }

  replug(): void {
    this.plugged = true;
  }

  loseAcknowledgements(): void {
    for (const c of this.live) c.losingAcks = true;
  }

  async close(): Promise<void> {
    this.unplug();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    client.on('error', () => {});
    if (!this.plugged) {
      this.refused++;
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    let connected = false;
    const c: Connection = { id: 0, client, upstream, level: 4, losingAcks: false, unacked: new Map() };
    upstream.once('connect', () => {
      connected = true;
      c.id = ++this.connections;
    });
    upstream.on('error', () => {
      if (!connected) this.refused++;
    });
    this.live.add(c);
    const fromAgent = frameReader((type, flags, body) => this.observeFromAgent(c, type, flags, body));
    const fromBroker = frameReader((type, _flags, body) => this.observeFromBroker(c, type, body));
    // Writes to the upstream socket before it connects are buffered by net.Socket.
    client.on('data', (chunk: Buffer) => {
      fromAgent(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      fromBroker(chunk);
      if (!c.losingAcks) client.write(chunk);
    });
    const close = () => this.drop(c);
    client.once('close', close);
    upstream.once('close', close);
  }

  private drop(c: Connection): void {
    if (!this.live.delete(c)) return;
    c.client.destroy();
    c.upstream.destroy();
  }

  private observeFromAgent(c: Connection, type: number, flags: number, body: Buffer): void {
    if (type === CONNECT) {
      const nameLength = body.readUInt16BE(0);
      c.level = body[2 + nameLength];
      return;
    }
    if (type !== PUBLISH) return;
    const qos = (flags >> 1) & 3;
    const topicLength = body.readUInt16BE(0);
    const topic = body.toString('utf8', 2, 2 + topicLength);
    let pos = 2 + topicLength;
    let packetId: number | undefined;
    if (qos > 0) {
      packetId = body.readUInt16BE(pos);
      pos += 2;
    }
    if (c.level === 5) {
      const props = readVarint(body, pos)!;
      pos = props.next + props.value;
    }
    const observed: ObservedPublish = { connection: c.id, at: Date.now(), topic, kind: kindOf(topic), packetId };
    if (observed.kind === 'telemetry' || observed.kind === 'event' || observed.kind === 'deviceBirth') {
      const message = JSON.parse(body.toString('utf8', pos)) as { seq: number; historical?: boolean; points?: { device: string; metric: string; ts: number }[] };
      observed.seq = message.seq;
      observed.historical = message.historical;
      observed.points = message.points?.map((p) => ({ device: p.device, metric: p.metric, ts: p.ts }));
    }
    this.publishes.push(observed);
    if (packetId !== undefined) c.unacked.set(packetId, observed);
  }

  private observeFromBroker(c: Connection, type: number, body: Buffer): void {
    if (type !== PUBACK) return;
    const packetId = body.readUInt16BE(0);
    const publish = c.unacked.get(packetId);
    c.unacked.delete(packetId);
    if (publish && c.losingAcks) this.lostAcks.push(publish);
  }
}

function kindOf(topic: string): ObservedPublish['kind'] {
  if (topic.endsWith('/telemetry')) return 'telemetry';
  if (topic.endsWith('/event')) return 'event';
  if (topic.endsWith('/birth')) return 'deviceBirth';
  if (topic.endsWith('/state')) return 'state';
  if (topic.endsWith('/cmd/ack')) return 'commandAck';
  return 'other';
}

function readVarint(buffer: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let i = 0; i < 4; i++) {
    if (at + i >= buffer.length) return undefined;
    const byte = buffer[at + i];
    value += (byte & 0x7f) * 128 ** i;
    if ((byte & 0x80) === 0) return { value, next: at + i + 1 };
  }
  throw new Error('malformed MQTT remaining length');
}

/**
 * Splits a byte stream into MQTT control packets (MQTT 5 §2.1: fixed header, remaining length, body).
 * Observing must never break the link: on bytes it cannot read, it stops observing that stream.
 */
function frameReader(onPacket: (type: number, flags: number, body: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  let lost = false;
  return (chunk) => {
    if (lost) return;
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    try {
      for (;;) {
        if (pending.length < 2) return;
        const length = readVarint(pending, 1);
        if (!length || length.next + length.value > pending.length) return;
        onPacket(pending[0] >> 4, pending[0] & 0x0f, pending.subarray(length.next, length.next + length.value));
        pending = pending.subarray(length.next + length.value);
      }
    } catch {
      lost = true;
      pending = Buffer.alloc(0);
    }
  };
}
