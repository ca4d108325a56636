import { randomUUID } from 'node:crypto';
import { connect, type IConnackPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Outbound } from '@warden/protocols';
import type { AgentConfig } from '../config/agent-config.schema.js';
import { withTimeout } from './with-timeout.js';

/** One MQTT connection of the agent. A new one (new client, new session id) is made for every (re)connect. */
export interface LinkConnection {
  readonly client: MqttClient;
  /** Random per connection; the online state and the Last Will carry it. */
  readonly session: string;
  readonly protocolVersion: 4 | 5;
  /** MQTT 5 Receive Maximum of the broker: how many QoS 1 publishes it accepts in flight. */
  readonly receiveMaximum?: number;
  readonly connectedAt: number;
}

export interface MqttLinkHandlers {
  /** CONNACK received and the command subscription sent. */
  onConnect(connection: LinkConnection): void;
  /** The connection is gone (network, broker, keepalive, or stop()). */
  onDisconnect(connection: LinkConnection): void;
  onMessage(connection: LinkConnection, topic: string, payload: Buffer): void;
}

export interface MqttLinkOptions {
  mqtt: AgentConfig['mqtt'];
  clientId: string;
  /** Topics to subscribe to (QoS 1) on every connection. */
  subscriptions: string[];
  /** The Last Will for a connection of session `session`. */
  will(session: string, now: number): Outbound;
  now(): number;
  logger: Logger;
}

/** CONNACK codes meaning "this broker does not speak that protocol version" (3.1.1: 1; MQTT 5: 0x84). */
const UNSUPPORTED_PROTOCOL = new Set([1, 0x84]);

/**
 * Keeps the agent connected to its broker.
 *
 * Why a new MqttClient per connection instead of MQTT.js's own reconnect:
 * MQTT.js replays its in-memory outgoing store after a reconnect, while the
 * agent replays its durable queue — both would send the same messages. And
 * the Last Will is fixed in CONNECT, while every connection needs its own
 * session id in the will. So MQTT.js reconnect is off (`reconnectPeriod: 0`)
 * and this class reconnects with exponential backoff and jitter.
 *
 * Sessions are clean (`clean: true`, PROTOCOL.md §3 and §10). A persistent
 * session would let the broker keep QoS 1 commands while the agent is away and
 * deliver them on reconnect — minutes late for a door unlock, and after the hub
 * has already reported the command unanswered. The agent's own data needs no
 * broker session either: the durable queue replays it.
 */
export class MqttLink {
  readonly #options: MqttLinkOptions;
  readonly #handlers: MqttLinkHandlers;
  readonly #log: Logger;
  #protocolVersion: 4 | 5;
  #client: MqttClient | undefined;
  #current: LinkConnection | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #connects = 0;
  #stopped = true;

  constructor(options: MqttLinkOptions, handlers: MqttLinkHandlers) {
    this.#options = options;
    this.#handlers = handlers;
    this.#log = options.logger;
    this.#protocolVersion = options.mqtt.protocolVersion;
  }

  get connection(): LinkConnection | undefined {
    return this.#current;
  }

  /** Successful connections so far. */
  get connects(): number {
    return this.#connects;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  /**
   * Ends the link. With a live connection, `goodbye` runs first (the agent
   * publishes its offline state there), then a normal DISCONNECT, so the broker
   * discards the Last Will.
   */
  async stop(goodbye?: (connection: LinkConnection) => Promise<void>, timeoutMs = 2000): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const client = this.#client;
    const connection = this.#current;
    this.#client = undefined;
    if (!client) return;
    if (connection && goodbye) {
      await withTimeout(goodbye(connection), timeoutMs).catch((err: Error) => this.#log.warn({ err: err.message }, 'mqtt: goodbye failed'));
    }
    if (connection && client.connected) {
      await withTimeout(client.endAsync(false), timeoutMs).catch(() => client.end(true));
    } else {
      client.end(true);
    }
    if (this.#current === connection && connection) {
      this.#current = undefined;
      this.#handlers.onDisconnect(connection);
    }
  }

  #connect(): void {
    if (this.#stopped) return;
    const { mqtt, clientId, subscriptions } = this.#options;
    const protocolVersion = this.#protocolVersion;
    const session = randomUUID();
    const will = this.#options.will(session, this.#options.now());
    const client = connect(mqtt.url, {
      clientId,
      username: mqtt.username,
      password: mqtt.password,
      protocolVersion,
      clean: true,
      keepalive: mqtt.keepaliveSec,
      connectTimeout: mqtt.connectTimeoutMs,
      reconnectPeriod: 0,
      resubscribe: false,
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos: will.options.qos, retain: will.options.retain },
    });
    this.#client = client;

    // Made before CONNACK so that a message arriving right behind it has a connection to belong to.
    let connection: LinkConnection = { client, session, protocolVersion, connectedAt: 0 };
    let connected = false;

    client.on('connect', (connack: IConnackPacket) => {
      connected = true;
      connection = { client, session, protocolVersion, receiveMaximum: connack.properties?.receiveMaximum, connectedAt: this.#options.now() };
      this.#current = connection;
      this.#failures = 0;
      this.#connects += 1;
      this.#log.info({ url: mqtt.url, session, protocolVersion }, 'mqtt: connected');
      client.subscribe(subscriptions, { qos: 1 }, (err) => {
        if (err) this.#log.error({ err: err.message, subscriptions }, 'mqtt: subscribe failed');
      });
      this.#handlers.onConnect(connection);
    });

    client.on('message', (topic, payload) => this.#handlers.onMessage(connection, topic, payload));

    client.on('error', (err: Error & { code?: number | string }) => {
      if (protocolVersion === 5 && typeof err.code === 'number' && UNSUPPORTED_PROTOCOL.has(err.code)) {
        // aedes (the hub's embedded broker) speaks MQTT 3.1.1 only.
        this.#log.info({ url: mqtt.url }, 'mqtt: broker refuses MQTT 5; falling back to 3.1.1');
        this.#protocolVersion = 4;
        this.#failures = 0;
        return;
      }
      const log = this.#failures === 0 ? this.#log.warn.bind(this.#log) : this.#log.debug.bind(this.#log);
      log({ err: err.message, code: err.code, url: mqtt.url }, 'mqtt: connection error');
    });

    client.once('close', () => {
      client.removeAllListeners('message');
      // Errors after close (a late write on a dead socket) are expected; keep them from crashing the process.
      client.on('error', () => {});
      client.end(true);
      if (connected && this.#current === connection) {
        this.#current = undefined;
        if (this.#stopped) this.#log.info({ session }, 'mqtt: disconnected');
        else this.#log.warn({ session }, 'mqtt: connection lost');
        this.#handlers.onDisconnect(connection);
      }
      if (this.#client === client) this.#scheduleReconnect();
    });
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#reconnectTimer) return;
    const { reconnectMinMs, reconnectMaxMs } = this.#options.mqtt;
    const base = Math.min(reconnectMaxMs, reconnectMinMs * 2 ** Math.min(this.#failures, 20));
    // Full jitter on the upper half: a site's agents must not all come back in the same instant after a broker restart.
    const delay = Math.round(base / 2 + (Math.random() * base) / 2);
    this.#failures += 1;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connect();
    }, delay);
  }
}
