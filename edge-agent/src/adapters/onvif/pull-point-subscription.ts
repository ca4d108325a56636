/**
 * ONVIF real-time pull-point events (ONVIF Core §9.1, WS-BaseNotification),
 * the part node-onvif lacks: CreatePullPointSubscription on the device's
 * event service, then a PullMessages long-poll loop, Renew before the
 * termination time, Unsubscribe on stop. A lost subscription (device reboot,
 * expiry while unreachable, ResourceUnknown) is re-created with back-off;
 * the device then sends every property's current value again as
 * `Initialized` (ONVIF Core §9.2.2), which is how the adapter resynchronises.
 */
import { describeOnvifError, OnvifError, type OnvifSoapClient } from './onvif-soap-client.js';
import { child, childrenNamed, textAt, type XmlNode } from './soap-xml.js';

export interface OnvifNotification {
  /** Topic without prefixes, e.g. `RuleEngine/CellMotionDetector/Motion`, `Door/State/DoorAlarm`. */
  topic: string;
  /** Set for property events: `Initialized` (current value at subscribe), `Changed`, `Deleted`. */
  operation?: string;
  /** When it happened, on our clock (the device's UtcTime corrected by its clock offset). */
  ts: number;
  source: Record<string, string>;
  data: Record<string, string>;
}

export interface PullPointHandlers {
  /** One PullMessages answer, in device order. `resubscribed`: this batch follows a new subscription after a lost one. */
  notifications(batch: OnvifNotification[], info: { resubscribed: boolean }): void;
  /** A subscription is in place (first, or again after errors). */
  subscribed?(info: { address: string; again: boolean }): void;
  /** A failure; the loop backs off and retries by itself. */
  error?(err: OnvifError, info: { consecutive: number; retryInMs: number }): void;
}

export interface PullPointOptions {
  client: OnvifSoapClient;
  /** The event service XAddr (GetCapabilities → Events → XAddr). */
  eventsUrl: string;
  /** PullMessages Timeout: how long the device may hold a pull open. */
  pullTimeoutSec?: number;
  /** InitialTerminationTime; renewed when less than half of it is left. */
  terminationSec?: number;
  /** ConcreteSet topic expression to filter on the device. */
  topicFilter?: string;
  backoffMinMs?: number;
  backoffMaxMs?: number;
}

const actions = {
  create: 'http://www.onvif.org/ver10/events/wsdl/EventPortType/CreatePullPointSubscriptionRequest',
  pull: 'http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/PullMessagesRequest',
  renew: 'http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewRequest',
  unsubscribe: 'http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/UnsubscribeRequest',
};

function items(node: XmlNode | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of childrenNamed(node, 'SimpleItem')) if (item.attrs.Name !== undefined) out[item.attrs.Name] = item.attrs.Value ?? '';
  return out;
}

/** `tns1:RuleEngine/CellMotionDetector/Motion` → `RuleEngine/CellMotionDetector/Motion`. */
function bareTopic(topic: string): string {
  return topic
    .trim()
    .split('/')
    .map((seg) => seg.slice(seg.indexOf(':') + 1))
    .join('/');
}

export class PullPointSubscription {
  readonly #opts: Required<Omit<PullPointOptions, 'topicFilter'>> & { topicFilter?: string };
  readonly #handlers: PullPointHandlers;
  readonly #abort = new AbortController();
  #address: string | undefined;
  /** Termination time on the device's clock. */
  #terminationAt = 0;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(options: PullPointOptions, handlers: PullPointHandlers) {
    this.#opts = { pullTimeoutSec: 20, terminationSec: 60, backoffMinMs: 1000, backoffMaxMs: 30_000, ...options };
    this.#handlers = handlers;
  }

  get subscribed(): boolean {
    return this.#address !== undefined;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** The device is known to answer again (a health check passed): end the back-off wait now. */
  retryNow(): void {
    if (!this.#address) this.#wake?.();
  }

  /** Ends the loop, cancels the pull in flight, and unsubscribes (best effort, bounded). */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#wake?.();
    await this.#loop;
    const address = this.#address;
    this.#address = undefined;
    if (address) {
      await this.#opts.client
        .call(address, '<wsnt:Unsubscribe/>', { timeoutMs: 1500, action: actions.unsubscribe, to: address })
        .catch(() => undefined);
    }
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let failures = 0;
    let hadSubscription = false;
    let resubscribed = false;
    while (!signal.aborted) {
      try {
        if (!this.#address) {
          await this.#create();
          this.#handlers.subscribed?.({ address: this.#address!, again: hadSubscription });
          resubscribed = hadSubscription;
          hadSubscription = true;
        }
        const batch = await this.#pull();
        failures = 0;
        if (signal.aborted) break;
        if (batch.length > 0) {
          this.#handlers.notifications(batch, { resubscribed });
          resubscribed = false;
        }
        if (this.#terminationAt - this.#opts.client.deviceNow() < (this.#opts.terminationSec * 1000) / 2) await this.#renew();
      } catch (err) {
        if (signal.aborted) break;
        const error = err instanceof OnvifError ? err : new OnvifError('malformed', describeOnvifError(err));
        // Whatever failed, the subscription may be gone (expired while unreachable, device rebooted): start over.
        this.#address = undefined;
        failures += 1;
        const retryInMs = Math.min(this.#opts.backoffMaxMs, this.#opts.backoffMinMs * 2 ** (failures - 1));
        this.#handlers.error?.(error, { consecutive: failures, retryInMs });
        await this.#sleep(retryInMs);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  async #create(): Promise<void> {
    const { terminationSec, topicFilter } = this.#opts;
    const filter = topicFilter
      ? `<tev:Filter><wsnt:TopicExpression Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">${topicFilter}</wsnt:TopicExpression></tev:Filter>`
      : '';
    const body = await this.#opts.client.call(
      this.#opts.eventsUrl,
      `<tev:CreatePullPointSubscription>${filter}<tev:InitialTerminationTime>PT${terminationSec}S</tev:InitialTerminationTime></tev:CreatePullPointSubscription>`,
      { action: actions.create, signal: this.#abort.signal },
    );
    const address = textAt(body, 'SubscriptionReference', 'Address');
    if (!address) throw new OnvifError('malformed', 'CreatePullPointSubscription answer without a SubscriptionReference Address');
    this.#address = address;
    this.#terminationAt = this.#parseTime(textAt(body, 'TerminationTime')) ?? this.#opts.client.deviceNow() + terminationSec * 1000;
  }

  async #pull(): Promise<OnvifNotification[]> {
    const address = this.#address!;
    const { pullTimeoutSec } = this.#opts;
    const body = await this.#opts.client.call(
      address,
      `<tev:PullMessages><tev:Timeout>PT${pullTimeoutSec}S</tev:Timeout><tev:MessageLimit>100</tev:MessageLimit></tev:PullMessages>`,
      // The device holds the request for up to Timeout: the HTTP timeout must outlast it.
      { timeoutMs: pullTimeoutSec * 1000 + 10_000, action: actions.pull, to: address, signal: this.#abort.signal },
    );
    const termination = this.#parseTime(textAt(body, 'TerminationTime'));
    if (termination !== undefined) this.#terminationAt = termination;
    return childrenNamed(body, 'NotificationMessage').map((m) => this.#notification(m));
  }

  async #renew(): Promise<void> {
    const address = this.#address!;
    const body = await this.#opts.client.call(
      address,
      `<wsnt:Renew><wsnt:TerminationTime>PT${this.#opts.terminationSec}S</wsnt:TerminationTime></wsnt:Renew>`,
      { action: actions.renew, to: address, signal: this.#abort.signal },
    );
    this.#terminationAt = this.#parseTime(textAt(body, 'TerminationTime')) ?? this.#opts.client.deviceNow() + this.#opts.terminationSec * 1000;
  }

  #notification(message: XmlNode): OnvifNotification {
    const inner = child(message, 'Message', 'Message');
    const utc = this.#parseTime(inner?.attrs.UtcTime);
    return {
      topic: bareTopic(textAt(message, 'Topic') ?? ''),
      ...(inner?.attrs.PropertyOperation ? { operation: inner.attrs.PropertyOperation } : {}),
      // On our clock; never in the future (a device clock running fast).
      ts: utc === undefined ? Date.now() : Math.min(Date.now(), utc - this.#opts.client.clockOffsetMs),
      source: items(child(inner, 'Source')),
      data: items(child(inner, 'Data')),
    };
  }

  #parseTime(text: string | undefined): number | undefined {
    if (!text) return undefined;
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : ms;
  }
}
