import type { Logger } from 'pino';
import { BrokerLink, type BrokerLinkOptions, type MessageHandler, type PublishOptions, type SubscribeOptions } from './broker-link.js';

/**
 * Several connections of one hub to an external broker, members of the same
 * shared-subscription group. A BrokerLink handles one message at a time (it
 * acknowledges only after handling, and MQTT.js reads nothing else meanwhile),
 * so on its own a hub would write one message per database round trip. With
 * `connections` links the broker spreads shareable traffic over them and ingest
 * gets that many messages at once to group-commit. What every hub must see
 * (agent state, command acknowledgements) is subscribed on the first link only,
 * and so are commands published. Without shared subscriptions a pool would
 * receive everything once per link, so it is then a single link.
 */
export class BrokerLinkPool {
  readonly links: BrokerLink[];

  constructor(log: Logger, options: BrokerLinkOptions, connections: number) {
    const probe = new BrokerLink(log, options);
    const count = probe.sharedSubscriptions ? Math.max(1, connections) : 1;
    this.links = [probe];
    // Each connection needs its own client id, hence its own stable HUB_ID suffix.
    for (let i = 1; i < count; i++) this.links.push(new BrokerLink(log.child({ link: i }), { ...options, hubId: `${options.hubId}-${i}` }));
  }

  get sharedSubscriptions(): boolean {
    return this.links[0].sharedSubscriptions;
  }

  get connected(): boolean {
    return this.links.every((l) => l.connected);
  }

  async start(): Promise<void> {
    await Promise.all(this.links.map((l) => l.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.links.map((l) => l.stop()));
  }

  async subscribe(filters: string[], handler: MessageHandler, options: SubscribeOptions = {}): Promise<void> {
    const shared = (options.shared ?? true) && this.sharedSubscriptions;
    await Promise.all((shared ? this.links : this.links.slice(0, 1)).map((l) => l.subscribe(filters, handler, options)));
  }

  publish(topic: string, payload: string | Uint8Array, options?: PublishOptions): Promise<void> {
    return this.links[0].publish(topic, payload, options);
  }

  ping(timeoutMs?: number): Promise<boolean> {
    return this.links[0].ping(timeoutMs);
  }
}
