import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes, type Client } from 'aedes';
import { decode, type DecodeResult } from '@warden/protocols';

/** A message the broker accepted, in arrival order. */
export interface SeenMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
  qos: number;
  clientId: string | undefined;
}

/**
 * A real MQTT broker (aedes, in-process, on a free port) for integration
 * tests: it records everything published, can go down (listener closed,
 * every socket destroyed) and come back on the same port, and can cut one
 * client's socket abruptly. Sessions survive an outage, as on a real broker.
 */
export class TestBroker {
  readonly messages: SeenMessage[] = [];
  readonly #broker: Aedes;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #clients = new Map<string, Client>();
  #port = 0;

  private constructor(broker: Aedes) {
    this.#broker = broker;
    this.#server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      broker.handle(socket);
    });
    broker.on('client', (client) => this.#clients.set(client.id, client));
    broker.on('publish', (packet, client) => {
      if (packet.topic.startsWith('$SYS/')) return;
      this.messages.push({ topic: packet.topic, payload: Buffer.from(packet.payload), retain: packet.retain, qos: packet.qos, clientId: client?.id });
    });
  }

  static async start(): Promise<TestBroker> {
    const broker = new TestBroker(await Aedes.createBroker());
    await broker.#listen(0);
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.#port}`;
  }

  /** Messages on topics starting with `prefix`, decoded with the protocol's decode(). */
  decoded(prefix = 'warden/'): (DecodeResult & { clientId?: string })[] {
    return this.messages.filter((m) => m.topic.startsWith(prefix)).map((m) => ({ ...decode(m.topic, m.payload), clientId: m.clientId }));
  }

  /** The broker becomes unreachable: no new connections, every open one cut. */
  async goDown(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  /** Listens again on the same port. */
  async comeBack(): Promise<void> {
    await this.#listen(this.#port);
  }

  /** Destroys one client's socket without a DISCONNECT, as a power cut or a pulled cable would. */
  dropClient(clientId: string): void {
    const client = this.#clients.get(clientId);
    if (!client) throw new Error(`no client ${clientId}`);
    client.conn.destroy();
  }

  /** Publishes as the hub would (QoS 1). */
  publish(topic: string, payload: string, retain = false): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain, dup: false }, (err) => (err ? reject(err) : resolve())),
    );
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.#server.listening ? this.#server.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => this.#broker.close(() => resolve()));
  }

  #listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve();
      });
    });
  }
}
