import { connect, type IClientOptions, type IClientSubscribeOptions, type IConnackPacket, type IPublishPacket, type MqttClient, type Packet } from 'mqtt';
import type { Logger } from 'pino';
import { sharedSubscription } from '@warden/protocols';
import { HUB_CLIENT_ID_PREFIX } from './topic-acl.js';

export interface BrokerLinkOptions {
  /** MQTT_URL, or the embedded broker's `url`. */
  url: string;
  /** MQTT_USERNAME, or the embedded broker's `hubCredentials.username`. */
  username?: string;
  password?: string;
  /** True for an external broker (MQTT_URL, spoken to in MQTT 5); false for the embedded aedes (MQTT 3.1.1 only). */
  external: boolean;
  /** HUB_ID: the client id is `warden-hub-{hubId}`; keep it stable across restarts so the session resumes. */
  hubId: string;
  /** MQTT_SHARED_SUBSCRIPTIONS. */
  sharedSubscriptions: 'auto' | 'true' | 'false';
  /** MQTT_SHARED_GROUP. */
  sharedGroup: string;
  /** How long an external broker keeps the session while the hub is away. Default 300. */
  sessionExpirySeconds?: number;
  /** Default 1000. */
  reconnectPeriodMs?: number;
  /** start() waits this long for the first connection, then goes on reconnecting in the background. Default 10 000. */
  startTimeoutMs?: number;
  /** stop() lets a running handler finish (and be acknowledged) for this long. Default 5000. */
  drainTimeoutMs?: number;
}

/**
 * Called once per message, in arrival order, never concurrently. The message is
 * acknowledged (QoS 1 PUBACK) only after the returned promise resolves, so
 * resolve once the message is durably handled. A handler that throws is retried
 * with backoff until it succeeds: dead-letter bad input instead of throwing, and
 * throw only for failures worth waiting out (the database is down).
 */
export type MessageHandler = (topic: string, payload: Buffer) => void | Promise<void>;

export interface PublishOptions {
  qos?: 0 | 1 | 2;
  retain?: boolean;
}

export interface BrokerLinkStats {
  connected: boolean;
  received: number;
  /** Handler failures (each retry counts). */
  handlerFailures: number;
  /** Messages that matched no registered filter (e.g. a subscription left in the session by an older configuration). */
  unrouted: number;
  reconnects: number;
}

export interface SubscribeOptions {
  /**
   * Whether these filters may be shared among hubs (`$share/{group}/...`) when the
   * link uses shared subscriptions. Default true; false for what every hub must see.
   */
  shared?: boolean;
}

interface Route {
  filters: string[];
  shared: boolean;
  handler: MessageHandler;
}

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 5_000;

/**
 * The hub's own MQTT client. Reliability rests on three choices:
 *
 * - A persistent session (`clean: false`). On an external broker (MQTT 5) it
 *   expires `sessionExpirySeconds` after the hub goes away: long enough to ride
 *   out a restart or redeploy, with the broker queueing QoS 1 messages meanwhile,
 *   short because an absent member keeps its share of a shared subscription:
 *   Mosquitto 2.0.11 goes on handing the group's messages out in turn, queueing
 *   the absent hub's turns in its session (measured: with two hubs, one down,
 *   half the messages waited for it) and discards them when the session expires.
 *   So a hub removed for good delays and then loses its share for at most this
 *   long. Resuming needs a HUB_ID that survives restarts (the default one
 *   contains the process id).
 * - Acknowledge after handling: MQTT.js calls `handleMessage(packet, done)` for
 *   each inbound PUBLISH and sends the PUBACK only when `done()` is called with
 *   no error, and it does not read the next packet until then. So a QoS 1 message
 *   whose handler has not finished is unacknowledged and the broker resends it
 *   when the session resumes (MQTT 5 §4.4), to this hub or, if the hub died, to
 *   its successor. The price is one message at a time per link: agents batch
 *   many points per message, and several hubs share the load (MQTT 5 §4.8.2).
 * - Never acknowledge on a different connection than the message came on: the
 *   broker resends unacknowledged messages with the same packet id after a
 *   reconnect, and a late PUBACK could acknowledge a different message.
 * - Nothing is acknowledged before a handler exists. A resumed session delivers
 *   what the broker queued while the hub was away right after CONNACK, and the
 *   hub starts the link before ingest registers its routes: such messages wait,
 *   unacknowledged, until the first route is registered (register a consumer's
 *   routes together, see subscribe()). Only a link that has routes drops what
 *   matches none of them (a subscription left in the session by an older
 *   configuration).
 *
 * aedes 1.2 (the embedded broker) refuses MQTT 5, so the link speaks 3.1.1 there;
 * a 3.1.1 session has no expiry, which costs nothing since that broker and its
 * memory persistence live and die with this process.
 */
export class BrokerLink {
  private client?: MqttClient;
  private readonly routes: Route[] = [];
  /** Bumped whenever a connection closes: a message may only be acknowledged on the connection it came on. */
  private connectionEpoch = 0;
  /** Serialises handlers across reconnects, so a redelivered message never runs beside its first attempt. */
  private chain: Promise<void> = Promise.resolve();
  private stopping = false;
  private readonly wakeSleepers = new Set<() => void>();
  /** Deliveries held until the first route is registered (see deliver). */
  private readonly routeWaiters = new Set<() => void>();
  private readonly counters = { received: 0, handlerFailures: 0, unrouted: 0, reconnects: 0 };
  /** The subscriptions made for the latest connection. */
  private subscribing: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: Logger,
    private readonly options: BrokerLinkOptions,
  ) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /**
   * Whether shareable subscriptions go out as `$share/{group}/...`: MQTT_SHARED_SUBSCRIPTIONS=true,
   * or auto on an external broker. One embedded broker serves one hub, so auto means no there.
   */
  get sharedSubscriptions(): boolean {
    const setting = this.options.sharedSubscriptions;
    return setting === 'true' || (setting === 'auto' && this.options.external);
  }

  private get protocolVersion(): 4 | 5 {
    return this.options.external ? 5 : 4;
  }

  get clientId(): string {
    return `${HUB_CLIENT_ID_PREFIX}${this.options.hubId}`;
  }

  stats(): BrokerLinkStats {
    return { connected: this.connected, ...this.counters };
  }

  async start(): Promise<void> {
    const { options } = this;
    if (this.client) throw new Error('the MQTT link is already started');
    if (!options.external && options.sharedSubscriptions === 'true') {
      throw new Error(
        'MQTT_SHARED_SUBSCRIPTIONS=true needs an external MQTT broker with shared subscriptions (set MQTT_URL): the embedded aedes broker ' +
          'has none, a `$share/...` filter there matches nothing agents publish. Use auto or false.',
      );
    }
    this.stopping = false;
    const { url, username, password } = options;
    const clientOptions: IClientOptions = {
      clientId: this.clientId,
      protocolVersion: this.protocolVersion,
      clean: false,
      reconnectPeriod: options.reconnectPeriodMs ?? 1_000,
      connectTimeout: 10_000,
      keepalive: 30,
      // Subscriptions are (re)made in onConnect, with retain handling 1 on MQTT 5.
      resubscribe: false,
      // After the first connection, keep trying through a broker's transient refusals (e.g. "server unavailable" in a failover).
      reconnectOnConnackError: true,
      manualConnect: true,
      username,
      password,
      ...(this.protocolVersion === 5 ? { properties: { sessionExpiryInterval: options.sessionExpirySeconds ?? 300 } } : {}),
    };
    const client = connect(url, clientOptions);
    client.handleMessage = (packet, done) => this.onMessage(packet, done);
    let everConnected = false;
    // One warning per outage, not one per reconnect attempt (every reconnectPeriodMs).
    let outageLogged = false;
    client.on('connect', (connack) => {
      everConnected = true;
      outageLogged = false;
      this.onConnect(client, connack);
    });
    client.on('reconnect', () => this.counters.reconnects++);
    client.on('close', () => {
      this.connectionEpoch++;
      if (everConnected && !this.stopping && !outageLogged) {
        outageLogged = true;
        this.log.warn('lost the MQTT broker connection; reconnecting');
      }
    });
    client.on('error', (err) => {
      if (this.stopping) return;
      if (outageLogged) return this.log.debug({ err: err.message }, 'MQTT link error');
      outageLogged = true;
      this.log.warn({ err: err.message }, 'MQTT link error; reconnecting');
    });
    this.client = client;

    const safeUrl = url.replace(/\/\/[^@/]*@/, '//***@');
    await new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        client.off('connect', onConnect);
        client.off('error', onError);
      };
      const onConnect = (): void => {
        cleanup();
        // Subscribed before start() returns: a persistent session queues nothing for filters it does not hold yet.
        this.subscribing.then(resolve, (err: Error) => {
          this.client = undefined;
          client.end(true);
          reject(err);
        });
      };
      const onError = (err: Error & { code?: unknown }): void => {
        // A CONNACK refusal carries a numeric reason code; socket errors (ECONNREFUSED...) are retried.
        if (typeof err.code !== 'number') return;
        cleanup();
        this.client = undefined;
        client.end(true);
        reject(new Error(`the MQTT broker at ${safeUrl} refused the hub's connection: ${err.message}` + (options.external ? ' (check MQTT_USERNAME/MQTT_PASSWORD and the broker ACL)' : ''), { cause: err }));
      };
      const timer = setTimeout(() => {
        cleanup();
        this.log.warn({ url: safeUrl }, `no MQTT broker connection after ${options.startTimeoutMs ?? 10_000} ms; still trying in the background`);
        resolve();
      }, options.startTimeoutMs ?? 10_000);
      client.on('connect', onConnect);
      client.on('error', onError);
      client.connect();
    });
    this.log.info({ url: safeUrl, clientId: this.clientId, protocolVersion: this.protocolVersion, shared: this.sharedSubscriptions }, 'MQTT link started');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of [...this.wakeSleepers, ...this.routeWaiters]) wake();
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    const drainMs = this.options.drainTimeoutMs ?? 5_000;
    // Let the running handler finish so its PUBACK goes out; if it does not in time, the broker redelivers the message.
    await withTimeout(this.chain, drainMs);
    const ended = await withTimeout(
      client.endAsync(!client.connected).then(() => true),
      drainMs,
    ).catch(() => false);
    // A graceful end waits for our own in-flight publishes to be acknowledged; a broker that has gone
    // silent never does, and a second end() is a no-op once one is under way: drop the socket instead.
    if (!ended) client.stream?.destroy();
    client.removeAllListeners();
    // An 'error' with no listener would throw; a late socket error of a link we dropped is no news.
    client.on('error', () => {});
  }

  /**
   * Routes messages matching any of the filters to the handler. Before start() it
   * only registers them; once connected it subscribes at once and rejects if the
   * broker refuses a filter. The route takes effect before this returns: messages
   * held for want of any route go to it at once. A consumer with several routes
   * registers them together (without awaiting one before the next): once a link
   * has a route, a message matching none is dropped.
   */
  async subscribe(filters: string[], handler: MessageHandler, options: SubscribeOptions = {}): Promise<void> {
    const route: Route = { filters: [...filters], shared: options.shared ?? true, handler };
    this.routes.push(route);
    for (const wake of [...this.routeWaiters]) wake();
    const client = this.client;
    if (!client?.connected) return;
    try {
      await this.subscribeFilters(client, this.wireFilters([route]));
    } catch (err) {
      this.routes.splice(this.routes.indexOf(route), 1);
      throw err;
    }
  }

  async publish(topic: string, payload: string | Uint8Array, options: PublishOptions = {}): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('the MQTT link is not started');
    await client.publishAsync(topic, typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), {
      qos: options.qos ?? 1,
      retain: options.retain ?? false,
    });
  }

  /**
   * Readiness: a PINGREQ/PINGRESP round trip. False when disconnected, or when no
   * answer comes in time — which includes a handler stuck retrying, since the
   * link reads nothing else meanwhile (and is indeed not ingesting).
   */
  ping(timeoutMs = 2_000): Promise<boolean> {
    const client = this.client;
    if (!client?.connected) return Promise.resolve(false);
    return new Promise((resolve) => {
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        client.off('packetreceive', onPacket);
        client.off('close', onClose);
        resolve(ok);
      };
      const onPacket = (packet: Packet): void => {
        if (packet.cmd === 'pingresp') finish(true);
      };
      const onClose = (): void => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      client.on('packetreceive', onPacket);
      client.on('close', onClose);
      client.sendPing();
    });
  }

  private onConnect(client: MqttClient, connack: IConnackPacket): void {
    this.log.info({ sessionPresent: connack.sessionPresent }, 'connected to the MQTT broker');
    // Subscribe on every connection: idempotent at the broker, needed whenever the session did not survive.
    // On MQTT 5, retain handling 1 skips retained messages for subscriptions the session already holds.
    const wire = this.wireFilters(this.routes);
    this.subscribing = wire.length ? this.subscribeFilters(client, wire) : Promise.resolve();
    this.subscribing.catch((err: Error) => this.log.error({ err: err.message }, 'could not subscribe after connecting'));
  }

  /** The filters as sent to the broker. The broker delivers with the real topic, which is matched against the plain filters. */
  private wireFilters(routes: Route[]): string[] {
    return routes.flatMap((r) => r.filters.map((f) => (r.shared && this.sharedSubscriptions ? sharedSubscription(f, this.options.sharedGroup) : f)));
  }

  private subscribeFilters(client: MqttClient, wire: string[]): Promise<void> {
    const subscribeOptions: IClientSubscribeOptions = this.protocolVersion === 5 ? { qos: 1, rh: 1 } : { qos: 1 };
    return new Promise((resolve, reject) => {
      client.subscribe(wire, subscribeOptions, (err, _granted, suback) => {
        // On a refusal MQTT.js passes an error carrying the SUBACK; the codes are per filter, in order.
        const codes = (suback?.granted ?? (err as { packet?: { granted?: unknown[] } } | null)?.packet?.granted ?? []) as number[];
        const refused = wire.filter((_f, i) => (codes[i] ?? 0) >= 0x80);
        if (refused.length) return reject(new Error(`the MQTT broker refused the subscription(s) ${refused.join(', ')} (SUBACK ${refused.map((f) => codes[wire.indexOf(f)]).join(', ')})`));
        if (err) return reject(err);
        this.log.debug({ filters: wire }, 'subscribed');
        resolve();
      });
    });
  }

  private onMessage(packet: IPublishPacket, done: (err?: Error) => void): void {
    const epoch = this.connectionEpoch;
    const run = this.chain.then(() => this.deliver(packet, epoch));
    this.chain = run.catch(() => {});
    // done() sends the PUBACK; done(err) withholds it (MQTT.js then reads on).
    run.then(
      () => done(),
      (err: Error) => done(err),
    );
  }

  private async deliver(packet: IPublishPacket, epoch: number): Promise<void> {
    const stale = (): boolean => this.stopping || epoch !== this.connectionEpoch;
    if (stale()) throw new Error('not handled: the connection it came on is gone; the broker redelivers it');
    // A resumed session hands over what was queued for this hub right after CONNACK, which may be before
    // any module registered its routes: keep it unacknowledged until one does, never drop it as unrouted.
    if (this.routes.length === 0) this.log.debug({ topic: packet.topic }, 'message before any route: held unacknowledged until one is registered');
    while (this.routes.length === 0) {
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.routeWaiters.delete(wake);
          resolve();
        };
        this.routeWaiters.add(wake);
      });
      if (stale()) throw new Error('not handled: no route yet when the link stopped or reconnected; the broker redelivers it');
    }
    this.counters.received++;
    const topic = packet.topic;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const handlers = this.routes.filter((r) => r.filters.some((f) => topicMatches(f, topic))).map((r) => r.handler);
    if (!handlers.length) {
      this.counters.unrouted++;
      this.log.debug({ topic }, 'message matches no subscription of this hub; acknowledged and dropped');
      return;
    }
    let next = 0;
    for (let attempt = 1; next < handlers.length; ) {
      try {
        await handlers[next](topic, payload);
        next++;
      } catch (err) {
        this.counters.handlerFailures++;
        const retryInMs = Math.min(RETRY_FIRST_MS * 2 ** (attempt - 1), RETRY_MAX_MS);
        this.log.error({ err, topic, attempt, retryInMs }, 'message handler failed; retrying, the message stays unacknowledged until it succeeds');
        attempt++;
        if (!stale()) await this.sleep(retryInMs);
        if (stale()) throw new Error('not handled: the link stopped or reconnected; the broker redelivers it', { cause: err });
      }
    }
    if (epoch !== this.connectionEpoch) throw new Error('handled, but the connection it came on is gone: no acknowledgement on another');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakeSleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakeSleepers.add(wake);
    });
  }
}

/** MQTT topic filter matching (MQTT 5 §4.7): `+` one level, `#` this level and all below. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  // [MQTT-4.7.2-1] wildcards at the first level do not match topics starting with "$".
  if ((f[0] === '+' || f[0] === '#') && topic.startsWith('$')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
