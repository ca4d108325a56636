import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import net from 'node:net';
import { Aedes, type AuthenticateError, type Client, type ConnectPacket, type PublishPacket, type Subscription } from 'aedes';
import type { Logger } from 'pino';
import type { Queryable } from '../db/database.js';
import { verifyAgent } from './agent-credentials.js';
import { topicMatches, type MessageHandler, type PublishOptions, type SubscribeOptions } from './broker-link.js';
import { agentIdentity, clientIdRefusal, identityKey, publishRefusal, subscribeRefusal, type BrokerIdentity } from './topic-acl.js';

export interface EmbeddedBrokerOptions {
  /** MQTT_HOST: the interface to listen on. */
  host: string;
  /** MQTT_PORT; 0 picks a free port. */
  port: number;
  /** MQTT_PORT_FALLBACK: if the port is taken, listen on a free one instead of failing. */
  portFallback: boolean;
  /** HUB_ID: names the hub's internal broker user. */
  hubId: string;
  /**
   * Agents' messages are handled in this process, through `link` (the hub's mode): each one waits,
   * unacknowledged, until the first handler is registered. Default true. False for a broker whose
   * consumers subscribe over MQTT instead (a BrokerLink with `external: false`).
   */
  inProcessHandlers?: boolean;
}

export interface EmbeddedBrokerStats {
  connectedClients: number;
  /** CONNECTs refused: bad or missing credentials, a disabled agent, a foreign client id or Last Will. */
  authFailures: number;
  /** PUBLISHes (and Last Wills) refused; aedes closes the publisher's connection for each. */
  publishDenied: number;
  /** Subscriptions refused with SUBACK 0x80. */
  subscribeDenied: number;
}

export interface BrokerCredentials {
  username: string;
  password: string;
}

// aedes' AuthErrorCode is an ambient const enum, which isolatedModules cannot read: the CONNACK codes of MQTT 3.1.1 §3.2.2.3.
const CONNACK_SERVER_UNAVAILABLE = 3;
const CONNACK_BAD_USERNAME_OR_PASSWORD = 4;
const CONNACK_NOT_AUTHORIZED = 5;
const CONNACK_IDENTIFIER_REJECTED = 2;

function connectRefusal(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/**
 * The broker of the embedded run mode: aedes on a TCP port, every client
 * authenticated (the hub's own user, or an agent by its id and secret) and held
 * to the topic ACL of topic-acl.ts.
 *
 * aedes 1.2 speaks MQTT 3.1 and 3.1.1 only: an MQTT 5 CONNECT is refused with
 * CONNACK 1 (unacceptable protocol version), and `$share/{group}/...` is not a
 * shared subscription there but a literal filter that matches nothing agents
 * publish. Clients of this broker therefore use protocol version 4.
 */
export class EmbeddedBroker {
  private aedes?: Aedes;
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly identities = new WeakMap<Client, BrokerIdentity>();
  private readonly willTopics = new WeakMap<Client, string>();
  /**
   * Who holds each client id's session. aedes keeps sessions in memory for the life
   * of the broker, so this does too; a client id stays with its first identity.
   */
  private readonly sessionOwners = new Map<string, string>();
  private boundPort?: number;
  private readonly counters = { authFailures: 0, publishDenied: 0, subscribeDenied: 0 };
  /** The hub's own login: random per process, never leaves it. */
  readonly hubCredentials: BrokerCredentials;
  /** In-process handlers that see agents' publishes before the publisher's PUBACK (see `link`). */
  private readonly inbound: { filters: string[]; handler: MessageHandler }[] = [];
  private readonly wakeSleepers = new Set<() => void>();
  /** Agents' publishes held until the first in-process handler is registered (see handleInbound). */
  private readonly routeWaiters = new Set<() => void>();
  private closing = false;

  constructor(
    private readonly db: Queryable,
    private readonly log: Logger,
    private readonly options: EmbeddedBrokerOptions,
  ) {
    this.hubCredentials = { username: `hub:${options.hubId}`, password: randomBytes(24).toString('base64url') };
  }

  /** The port listened on (after a fallback, the one actually bound). */
  get port(): number {
    if (this.boundPort === undefined) throw new Error('the embedded broker is not started');
    return this.boundPort;
  }

  /** Where the hub's own clients connect. */
  get url(): string {
    const host = this.options.host;
    // A wildcard or loopback listener is reached on loopback; a specific interface only on its address.
    const local = ['0.0.0.0', '::', '127.0.0.1', 'localhost', '::1'].includes(host) ? '127.0.0.1' : host;
    return `mqtt://${local.includes(':') ? `[${local}]` : local}:${this.port}`;
  }

  stats(): EmbeddedBrokerStats {
    return { connectedClients: this.aedes?.connectedClients ?? 0, ...this.counters };
  }

  /**
   * The hub's in-process link to this broker. aedes acknowledges a QoS 1 PUBLISH
   * (PUBACK) before it hands the message to subscribers, and its memory persistence
   * dies with this process: a hub client subscribed over MQTT could lose, on a
   * SIGKILL, messages the agent had already dropped from its queue. So the hub's
   * handlers run inside authorizePublish, which aedes awaits before the PUBACK:
   * the agent is acknowledged only once ingest has the message durably (the
   * agent's disk queue is the store until then). aedes handles the packets of one
   * socket read concurrently and reads on only when they are done, which gives
   * ingest group commits across messages and backpressure per agent.
   */
  readonly link: EmbeddedLink = new EmbeddedLink(this);

  /** Whether the broker is up and taking messages. */
  get serving(): boolean {
    return this.aedes !== undefined && !this.closing;
  }

  /** Registers an in-process handler for agents' publishes (see `link`). */
  addInbound(filters: string[], handler: MessageHandler): void {
    this.inbound.push({ filters: [...filters], handler });
    for (const wake of [...this.routeWaiters]) wake();
  }

  /** Publishes as the broker itself (commands to agents). */
  publish(topic: string, payload: string | Uint8Array, options: PublishOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.aedes) return reject(new Error('the embedded broker is not started'));
      const packet = { cmd: 'publish' as const, topic, payload: Buffer.from(payload), qos: options.qos ?? 1, retain: options.retain ?? false, dup: false };
      this.aedes.publish(packet, (err?: Error) => (err ? reject(err) : resolve()));
    });
  }

  async start(): Promise<void> {
    this.closing = false;
    const aedes = await Aedes.createBroker({
      preConnect: (client, packet, done) => this.preConnect(client, packet, done),
      authenticate: (client, username, password, done) => {
        this.authenticate(client, username, password).then(
          (refusal) => (refusal ? done(refusal, false) : done(null, true)),
          (err: unknown) => {
            this.log.error({ err, clientId: client.id, username }, 'MQTT login check failed');
            done(connectRefusal(CONNACK_SERVER_UNAVAILABLE, 'server unavailable'), false);
          },
        );
      },
      authorizePublish: (client, packet, done) => this.authorizePublish(client, packet, done),
      authorizeSubscribe: (client, subscription, done) => this.authorizeSubscribe(client, subscription, done),
      authorizeForward: (client, packet) => {
        // Defence in depth for persistent sessions: queued and retained messages reach an agent only on its command topic.
        const identity = this.identities.get(client);
        if (identity?.kind === 'hub') return packet;
        return identity && packet.topic === identity.commandTopic ? packet : null;
      },
    });
    // aedes emits 'error' (a failing persistence) though its typings omit it; unheard, it would crash the process.
    (aedes as unknown as EventEmitter).on('error', (err: Error) => this.log.error({ err }, 'embedded broker error'));
    aedes.on('clientError', (client, err) => this.log.debug({ clientId: client.id, err: err.message }, 'MQTT client error'));
    aedes.on('connectionError', (_client, err) => this.log.debug({ err: err.message }, 'MQTT connection error'));
    aedes.on('clientReady', (client) => {
      // Claimed once registered (a client that closes while its login is checked never is).
      const identity = this.identities.get(client);
      if (identity) this.sessionOwners.set(client.id, identityKey(identity));
      this.log.debug({ clientId: client.id }, 'MQTT client connected');
    });
    aedes.on('clientDisconnect', (client) => {
      // A clean session ends with its connection (MQTT-3.1.2-6): its client id is free again.
      if (client.clean) this.sessionOwners.delete(client.id);
      this.log.debug({ clientId: client.id }, 'MQTT client disconnected');
    });

    const server = net.createServer(aedes.handle);
    // Tracked so stop() can also drop sockets that never sent CONNECT (aedes only knows registered clients).
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.aedes = aedes;
    this.server = server;

    const { host, port, portFallback } = this.options;
    try {
      try {
        await listen(server, port, host);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        if (!portFallback) {
          throw new Error(
            `MQTT_PORT ${port} on ${host} is already in use (another MQTT broker?). Free it, set another MQTT_PORT, ` +
              'set MQTT_PORT_FALLBACK=true to use a free port, or set MQTT_URL to use the running broker.',
            { cause: err },
          );
        }
        await listen(server, 0, host);
        const fallback = (server.address() as net.AddressInfo).port;
        this.log.warn(
          { requestedPort: port, port: fallback },
          `MQTT_PORT ${port} is in use; the embedded MQTT broker listens on port ${fallback} instead (MQTT_PORT_FALLBACK=true). Point edge agents at port ${fallback}.`,
        );
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.boundPort = (server.address() as net.AddressInfo).port;
    server.on('error', (err) => this.log.error({ err }, 'embedded MQTT listener error'));
    this.log.info({ host, port: this.boundPort }, 'embedded MQTT broker listening');
  }

  async stop(): Promise<void> {
    this.closing = true;
    for (const wake of [...this.wakeSleepers, ...this.routeWaiters]) wake();
    const { aedes, server } = this;
    this.aedes = undefined;
    this.server = undefined;
    this.boundPort = undefined;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private preConnect(client: Client, packet: ConnectPacket, done: (error: Error | null, success: boolean) => void): void {
    // authenticate() sees only the username and password; keep the will for its check.
    if (packet.will) this.willTopics.set(client, packet.will.topic);
    done(null, true);
  }

  /** Resolves to a refusal to send in CONNACK, or undefined once the client is admitted. */
  private async authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<AuthenticateError | undefined> {
    const refuse = (returnCode: number, reason: string): AuthenticateError => {
      this.counters.authFailures++;
      const conn = client.conn as Partial<net.Socket>;
      // Never the password: the username, client id and address are what an operator needs.
      this.log.warn({ clientId: client.id, username, remoteAddress: conn.remoteAddress, reason }, 'MQTT login refused');
      return connectRefusal(returnCode, reason);
    };
    if (username === undefined || password === undefined) return refuse(CONNACK_BAD_USERNAME_OR_PASSWORD, 'no username or password');

    let identity: BrokerIdentity;
    if (username === this.hubCredentials.username) {
      if (!sameSecret(password, this.hubCredentials.password)) return refuse(CONNACK_BAD_USERNAME_OR_PASSWORD, 'wrong password for the hub user');
      identity = { kind: 'hub', username };
    } else {
      const agent = await verifyAgent(this.db, username, password.toString('utf8'));
      if (!agent) return refuse(CONNACK_BAD_USERNAME_OR_PASSWORD, 'unknown or disabled agent, or wrong secret');
      try {
        identity = agentIdentity(agent.id, agent.siteId);
      } catch (err) {
        return refuse(CONNACK_NOT_AUTHORIZED, `agent or site id unusable in topics: ${(err as Error).message}`);
      }
    }

    const clientIdProblem = clientIdRefusal(identity, client.id);
    if (clientIdProblem) return refuse(CONNACK_IDENTIFIER_REJECTED, clientIdProblem);
    const owner = this.sessionOwners.get(client.id);
    if (owner !== undefined && owner !== identityKey(identity)) return refuse(CONNACK_IDENTIFIER_REJECTED, `client id ${client.id} is in use by another identity`);
    // aedes checks a Last Will only when it is about to publish it, long after the agent believed it was
    // accepted; refusing the CONNECT tells a misconfigured agent at once (and authorizePublish still checks later).
    const willTopic = this.willTopics.get(client);
    const willProblem = willTopic === undefined ? undefined : publishRefusal(identity, willTopic);
    if (willProblem) return refuse(CONNACK_NOT_AUTHORIZED, `Last Will topic ${willTopic} refused: ${willProblem}`);

    this.identities.set(client, identity);
    return undefined;
  }

  private authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    // client is null only for a Last Will aedes publishes after its client is gone; we cannot say whose it is.
    const identity = client ? this.identities.get(client) : undefined;
    const reason = identity ? publishRefusal(identity, packet.topic) : 'publisher unknown (an orphaned Last Will)';
    if (!reason) {
      if (identity?.kind !== 'agent') return done(null);
      this.handleInbound(packet).then(
        () => done(null),
        // No PUBACK: aedes drops the connection and the agent sends the message again after reconnecting.
        (err: Error) => done(err),
      );
      return;
    }
    this.counters.publishDenied++;
    this.log.warn({ clientId: client?.id, topic: packet.topic, reason }, 'MQTT publish refused');
    // MQTT 3.1.1 has no negative PUBACK: aedes closes the publisher's connection (MQTT-3.3.5-2).
    done(new Error(`publish to ${packet.topic} refused: ${reason}`));
  }

  /** Runs the matching in-process handlers; a failing one is retried until it succeeds or the broker stops. */
  private async handleInbound(packet: InboundPacket): Promise<void> {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    // The broker listens before ingest registers its handlers (a restarted hub: agents reconnect at once).
    // A message let through then would be acknowledged unhandled, and the agent would drop it from its queue.
    const held = this.inbound.length === 0 && this.options.inProcessHandlers !== false;
    if (held) this.log.debug({ topic: packet.topic }, 'message before any handler: held unacknowledged until one is registered');
    while (this.inbound.length === 0 && this.options.inProcessHandlers !== false) {
      if (this.closing) throw new Error('not handled: the broker stopped before any handler was registered');
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.routeWaiters.delete(wake);
          resolve();
        };
        this.routeWaiters.add(wake);
      });
    }
    for (const route of this.inbound) {
      if (!route.filters.some((f) => topicMatches(f, packet.topic))) continue;
      for (let attempt = 1; ; attempt++) {
        try {
          await route.handler(packet.topic, payload);
          break;
        } catch (err) {
          if (this.closing) throw new Error('not handled: the broker is stopping', { cause: err });
          const retryInMs = Math.min(RETRY_FIRST_MS * 2 ** (attempt - 1), RETRY_MAX_MS);
          this.log.error({ err, topic: packet.topic, attempt, retryInMs }, 'message handler failed; retrying, the publisher stays unacknowledged');
          await new Promise<void>((resolve) => {
            const wake = (): void => {
              clearTimeout(timer);
              this.wakeSleepers.delete(wake);
              resolve();
            };
            const timer = setTimeout(wake, retryInMs);
            this.wakeSleepers.add(wake);
          });
          if (this.closing) throw new Error('not handled: the broker is stopping', { cause: err });
        }
      }
    }
  }

  private authorizeSubscribe(client: Client, subscription: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void): void {
    const identity = this.identities.get(client);
    const reason = identity ? subscribeRefusal(identity, subscription.topic) : 'subscriber unknown';
    if (!reason) return done(null, subscription);
    this.counters.subscribeDenied++;
    this.log.warn({ clientId: client.id, filter: subscription.topic, reason }, 'MQTT subscription refused');
    // A null subscription makes aedes answer SUBACK 0x80 for this filter and keep the connection.
    done(null, null);
  }
}

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 5_000;

export interface InboundPacket {
  topic: string;
  payload: Buffer | string;
}

/**
 * The hub's in-process link to the embedded broker, with the shape of BrokerLink.
 * aedes acknowledges a QoS 1 PUBLISH (PUBACK) before it hands the message to
 * subscribers, and its memory persistence dies with this process: a hub client
 * subscribed over MQTT could lose, on a SIGKILL, messages the agent had already
 * dropped from its queue. So the hub's handlers run inside authorizePublish, which
 * aedes awaits before the PUBACK: the agent is acknowledged only once ingest holds
 * the message durably (the agent's disk queue is the store until then). aedes
 * handles the packets of one socket read concurrently and reads on only when they
 * are done, which gives ingest group commits across messages and backpressure per agent.
 */
export class EmbeddedLink {
  /** One embedded broker serves one hub: nothing to share. */
  readonly sharedSubscriptions = false;

  constructor(private readonly broker: EmbeddedBroker) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  get connected(): boolean {
    return this.broker.serving;
  }

  async subscribe(filters: string[], handler: MessageHandler, _options?: SubscribeOptions): Promise<void> {
    this.broker.addInbound(filters, handler);
  }

  publish(topic: string, payload: string | Uint8Array, options?: PublishOptions): Promise<void> {
    return this.broker.publish(topic, payload, options);
  }
}

function sameSecret(given: Buffer, expected: string): boolean {
  const wanted = Buffer.from(expected, 'utf8');
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
