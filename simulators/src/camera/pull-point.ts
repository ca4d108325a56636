/**
 * ONVIF real-time pull-point notifications (ONVIF Core §9.1, WS-BaseNotification):
 * CreatePullPointSubscription, PullMessages as a long-poll, Renew, Unsubscribe,
 * SetSynchronizationPoint, GetEventProperties. Shared by the camera and the
 * door controller; each device declares its topics and publishes events.
 *
 * Behaviour chosen where the standard leaves room:
 * - a new subscription (and SetSynchronizationPoint) first delivers the current
 *   value of every property topic with PropertyOperation="Initialized", as
 *   ONVIF §9.2.2 describes for property events;
 * - PullMessages keeps the subscription alive (its termination time moves by
 *   the subscription's initial duration), as most devices do; Renew works too;
 * - a subscription queues at most `maxQueue` messages, dropping the oldest.
 */
import { randomBytes } from 'node:crypto';
import { ns } from './onvif-namespaces.js';
import type { OnvifHttpServer, SoapCall } from './onvif-http-server.js';
import { SoapFault, onvifFaults } from './soap-envelope.js';
import { child, textAt } from './xml-reader.js';
import { el, leaf, xsDateTime, type XmlChild, type XmlMarkup } from './xml-writer.js';
import { parseTerminationTime, parseXsDuration } from './xs-duration.js';

export interface EventItem {
  readonly name: string;
  readonly value: string;
}

export interface OnvifEvent {
  /** Concrete topic with the tns1 prefix, e.g. `tns1:RuleEngine/CellMotionDetector/Motion`. */
  readonly topic: string;
  readonly time: Date;
  /** Set for property events (state), absent for plain events. */
  readonly propertyOperation?: 'Initialized' | 'Changed' | 'Deleted';
  readonly source: readonly EventItem[];
  readonly data: readonly EventItem[];
}

/** One topic a device may raise, for GetEventProperties. Item types are XSD QNames (xs:boolean, tt:ReferenceToken...). */
export interface TopicDescription {
  readonly topic: string;
  readonly isProperty: boolean;
  readonly source: readonly (readonly [name: string, type: string])[];
  readonly data: readonly (readonly [name: string, type: string])[];
}

export interface PullPointOptions {
  /** The subscription manager address for an id, as clients must post to it. */
  subscriptionUrl: (id: string) => string;
  /** The path prefix of those addresses, e.g. `/onvif/subscription/`. */
  subscriptionPath: string;
  topics: readonly TopicDescription[];
  /** Current values of property topics, sent as "Initialized" on subscribe. */
  initialState: () => OnvifEvent[];
  now?: () => number;
  maxQueue?: number;
  maxSubscriptions?: number;
  maxPullTimeoutMs?: number;
}

interface Waiter {
  resolve: () => void;
}

interface Subscription {
  readonly id: string;
  readonly keepAliveMs: number;
  terminationTime: number;
  readonly matches: (topic: string) => boolean;
  readonly queue: OnvifEvent[];
  waiter: Waiter | undefined;
}

const concreteSet = 'http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet';

/** `tns1:RuleEngine/CellMotionDetector/Motion` → `RuleEngine/CellMotionDetector/Motion`. */
function bareTopic(topic: string): string {
  return topic
    .split('/')
    .map((seg) => seg.slice(seg.indexOf(':') + 1))
    .join('/');
}

/**
 * A matcher for a TopicExpression (ConcreteSet dialect): alternatives joined by
 * '|', each a concrete topic or a subtree ending in `//.`; prefixes are ignored.
 */
export function topicFilter(expression: string | undefined): (topic: string) => boolean {
  if (!expression?.trim()) return () => true;
  const alternatives = expression.split('|').map((alt) => {
    const t = bareTopic(alt.trim());
    if (t.endsWith('//.')) return { prefix: true, topic: t.slice(0, -3) };
    if (t.endsWith('/.')) return { prefix: false, topic: t.slice(0, -2) };
    return { prefix: false, topic: t };
  });
  return (topic) => {
    const bare = bareTopic(topic);
    return alternatives.some((a) => bare === a.topic || (a.prefix && bare.startsWith(`${a.topic}/`)));
  };
}

function items(tag: string, list: readonly EventItem[]): XmlChild {
  return list.length === 0 ? null : leaf(tag, list.map((i) => el('tt:SimpleItem', { Name: i.name, Value: i.value })));
}

export function notificationMessage(event: OnvifEvent): XmlMarkup {
  return leaf(
    'wsnt:NotificationMessage',
    el('wsnt:Topic', { Dialect: concreteSet }, event.topic),
    leaf(
      'wsnt:Message',
      el(
        'tt:Message',
        { UtcTime: xsDateTime(event.time), PropertyOperation: event.propertyOperation },
        items('tt:Source', event.source),
        items('tt:Data', event.data),
      ),
    ),
  );
}

/** The wstop:TopicSet of GetEventProperties: topics as nested elements in the tns1 namespace. */
function topicSet(topics: readonly TopicDescription[]): XmlChild {
  interface Node {
    children: Map<string, Node>;
    desc?: TopicDescription;
  }
  const root: Node = { children: new Map() };
  for (const t of topics) {
    let node = root;
    const segs = bareTopic(t.topic).split('/');
    segs.forEach((seg, i) => {
      const name = i === 0 ? `tns1:${seg}` : seg;
      let next = node.children.get(name);
      if (!next) node.children.set(name, (next = { children: new Map() }));
      node = next;
    });
    node.desc = t;
  }
  const render = (name: string, node: Node): XmlMarkup => {
    const d = node.desc;
    const description = d
      ? el(
          'tt:MessageDescription',
          { IsProperty: d.isProperty },
          leaf('tt:Source', d.source.map(([n, t]) => el('tt:SimpleItemDescription', { Name: n, Type: t }))),
          leaf('tt:Data', d.data.map(([n, t]) => el('tt:SimpleItemDescription', { Name: n, Type: t }))),
        )
      : null;
    return el(name, d ? { 'wstop:topic': true } : null, description, [...node.children].map(([n, c]) => render(n, c)));
  };
  return leaf('wstop:TopicSet', [...root.children].map(([n, c]) => render(n, c)));
}

export class PullPointBroker {
  readonly #opts: Required<Omit<PullPointOptions, 'now'>> & { now: () => number };
  readonly #subs = new Map<string, Subscription>();
  #sweep: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: PullPointOptions) {
    this.#opts = { now: Date.now, maxQueue: 1000, maxSubscriptions: 32, maxPullTimeoutMs: 120_000, ...options };
    this.#sweep = setInterval(() => this.#expire(), 10_000);
    this.#sweep.unref();
  }

  get subscriptionCount(): number {
    this.#expire();
    return this.#subs.size;
  }

  /** Queues an event for every live subscription whose filter matches, waking waiting pulls. */
  publish(event: OnvifEvent): void {
    this.#expire();
    for (const sub of this.#subs.values()) this.#enqueue(sub, event);
  }

  /** Answers waiting pulls and drops every subscription. */
  close(): void {
    this.#closed = true;
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = undefined;
    for (const sub of this.#subs.values()) sub.waiter?.resolve();
    this.#subs.clear();
  }

  /** Registers the event-service operations on a device's SOAP server. */
  register(server: OnvifHttpServer): void {
    server
      .operation(ns.tev, 'CreatePullPointSubscription', (call) => this.#create(call))
      .operation(ns.tev, 'PullMessages', (call) => this.#pull(call))
      .operation(ns.tev, 'SetSynchronizationPoint', (call) => this.#synchronize(call))
      .operation(ns.wsnt, 'Renew', (call) => this.#renew(call))
      .operation(ns.wsnt, 'Unsubscribe', (call) => this.#unsubscribe(call))
      .operation(ns.tev, 'GetEventProperties', () =>
        leaf(
          'tev:GetEventPropertiesResponse',
          leaf('tev:TopicNamespaceLocation', 'http://www.onvif.org/onvif/ver10/topics/topicns.xml'),
          leaf('wsnt:FixedTopicSet', true),
          topicSet(this.#opts.topics),
          leaf('wsnt:TopicExpressionDialect', concreteSet),
          leaf('wsnt:TopicExpressionDialect', 'http://docs.oasis-open.org/wsn/t-1/TopicExpression/Concrete'),
          leaf('tev:MessageContentFilterDialect', 'http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter'),
          leaf('tev:MessageContentSchemaLocation', 'http://www.onvif.org/onvif/ver10/schema/onvif.xsd'),
        ),
      )
      .operation(ns.tev, 'GetServiceCapabilities', () =>
        leaf(
          'tev:GetServiceCapabilitiesResponse',
          el('tev:Capabilities', {
            WSSubscriptionPolicySupport: false,
            WSPullPointSupport: true,
            WSPausableSubscriptionManagerInterfaceSupport: false,
            MaxNotificationProducers: 0,
            MaxPullPoints: this.#opts.maxSubscriptions,
            PersistentNotificationStorage: false,
          }),
        ),
      );
  }

  #enqueue(sub: Subscription, event: OnvifEvent): void {
    if (!sub.matches(event.topic)) return;
    sub.queue.push(event);
    if (sub.queue.length > this.#opts.maxQueue) sub.queue.splice(0, sub.queue.length - this.#opts.maxQueue);
    sub.waiter?.resolve();
  }

  #expire(): void {
    const now = this.#opts.now();
    for (const [id, sub] of this.#subs) {
      if (sub.terminationTime <= now) {
        sub.waiter?.resolve();
        this.#subs.delete(id);
      }
    }
  }

  /** The subscription a call addresses: by the request path, else by its WS-Addressing To header. */
  #subscriptionOf(call: SoapCall): Subscription {
    this.#expire();
    let path = call.path;
    if (!path.startsWith(this.#opts.subscriptionPath)) {
      const to = child(call.header, 'To', ns.wsa)?.text;
      try {
        if (to) path = new URL(to).pathname;
      } catch {
        // not a URL: fall through to the unknown-subscription fault
      }
    }
    const id = path.startsWith(this.#opts.subscriptionPath) ? decodeURIComponent(path.slice(this.#opts.subscriptionPath.length)) : '';
    const sub = this.#subs.get(id);
    if (!sub) throw onvifFaults.resourceUnknown('no such subscription (it may have expired)');
    return sub;
  }

  #times(sub: Subscription): XmlChild[] {
    return [leaf('wsnt:CurrentTime', xsDateTime(new Date(this.#opts.now()))), leaf('wsnt:TerminationTime', xsDateTime(new Date(sub.terminationTime)))];
  }

  #create(call: SoapCall): XmlChild {
    if (this.#closed) throw onvifFaults.actionFailed('ter:ServiceNotAvailable', 'the event service is shutting down');
    this.#expire();
    if (this.#subs.size >= this.#opts.maxSubscriptions) {
      throw new SoapFault('Receiver', ['ter:Action', 'ter:TooManySubscriptions'], `at most ${this.#opts.maxSubscriptions} pull points`);
    }
    const now = this.#opts.now();
    const requested = textAt(call.operation, 'InitialTerminationTime');
    let terminationTime = now + 60_000;
    if (requested) {
      const t = parseTerminationTime(requested, now);
      if (t === undefined || t <= now) throw onvifFaults.invalidArgVal('ter:InvalidTerminationTime', `bad InitialTerminationTime ${requested}`);
      terminationTime = t;
    }
    const expression = textAt(call.operation, 'Filter', 'TopicExpression');
    const sub: Subscription = {
      id: randomBytes(8).toString('hex'),
      keepAliveMs: terminationTime - now,
      terminationTime,
      matches: topicFilter(expression),
      queue: [],
      waiter: undefined,
    };
    this.#subs.set(sub.id, sub);
    for (const event of this.#opts.initialState()) this.#enqueue(sub, event);
    return leaf(
      'tev:CreatePullPointSubscriptionResponse',
      leaf('tev:SubscriptionReference', leaf('wsa:Address', this.#opts.subscriptionUrl(sub.id))),
      this.#times(sub),
    );
  }

  async #pull(call: SoapCall): Promise<XmlChild> {
    const sub = this.#subscriptionOf(call);
    const timeoutText = textAt(call.operation, 'Timeout') ?? 'PT10S';
    const timeoutMs = parseXsDuration(timeoutText);
    if (timeoutMs === undefined || timeoutMs < 0) throw onvifFaults.invalidArgVal('ter:InvalidArgVal', `bad Timeout ${timeoutText}`);
    const limitText = textAt(call.operation, 'MessageLimit') ?? '100';
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1) throw onvifFaults.invalidArgVal('ter:InvalidArgVal', `bad MessageLimit ${limitText}`);

    if (sub.queue.length === 0 && timeoutMs > 0) {
      // One pull at a time per subscription: a newer pull releases the older one.
      sub.waiter?.resolve();
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          call.signal.removeEventListener('abort', done);
          if (sub.waiter === waiter) sub.waiter = undefined;
          resolve();
        };
        const timer = setTimeout(done, Math.min(timeoutMs, this.#opts.maxPullTimeoutMs));
        const waiter: Waiter = { resolve: done };
        sub.waiter = waiter;
        call.signal.addEventListener('abort', done);
      });
    }
    const messages = sub.queue.splice(0, limit);
    if (this.#subs.has(sub.id)) sub.terminationTime = Math.max(sub.terminationTime, this.#opts.now() + sub.keepAliveMs);
    return leaf(
      'tev:PullMessagesResponse',
      leaf('tev:CurrentTime', xsDateTime(new Date(this.#opts.now()))),
      leaf('tev:TerminationTime', xsDateTime(new Date(sub.terminationTime))),
      messages.map(notificationMessage),
    );
  }

  #synchronize(call: SoapCall): XmlChild {
    const sub = this.#subscriptionOf(call);
    for (const event of this.#opts.initialState()) this.#enqueue(sub, event);
    return leaf('tev:SetSynchronizationPointResponse');
  }

  #renew(call: SoapCall): XmlChild {
    const sub = this.#subscriptionOf(call);
    const now = this.#opts.now();
    const requested = textAt(call.operation, 'TerminationTime');
    const t = requested ? parseTerminationTime(requested, now) : now + sub.keepAliveMs;
    if (t === undefined || t <= now) throw onvifFaults.invalidArgVal('ter:InvalidTerminationTime', `bad TerminationTime ${requested}`);
    sub.terminationTime = t;
    return leaf('wsnt:RenewResponse', leaf('wsnt:TerminationTime', xsDateTime(new Date(t))), leaf('wsnt:CurrentTime', xsDateTime(new Date(now))));
  }

  #unsubscribe(call: SoapCall): XmlChild {
    const sub = this.#subscriptionOf(call);
    this.#subs.delete(sub.id);
    sub.waiter?.resolve();
    return leaf('wsnt:UnsubscribeResponse');
  }
}
