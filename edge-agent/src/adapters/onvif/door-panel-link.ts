/**
 * The agent's connection to one ONVIF Profile C access controller (a door
 * panel), shared by every door of that panel the agent bridges: the panel's
 * services found once (GetServices: Door Control, Access Control, Events),
 * its doors and access points, and one PullPoint subscription whose
 * notifications are dispatched to the door they concern — panels allow few
 * pull points, and one stream keeps a door's events in the panel's order.
 *
 * Door events name the door (source DoorToken); access events name the
 * access point (source AccessPointToken), which GetAccessPointInfoList maps to
 * its door (Entity) — ONVIF Access Control §5.2.
 */
import type { Logger } from 'pino';
import { describeOnvifError, OnvifError, OnvifSoapClient, onvifNamespaces, serviceXAddr } from './onvif-soap-client.js';
import { PullPointSubscription, type OnvifNotification } from './pull-point-subscription.js';
import { childrenNamed, escapeXml, textAt } from './soap-xml.js';

export interface PanelServices {
  doorControl: string;
  /** Door token → name, as the panel lists them. */
  doors: ReadonlyMap<string, string>;
}

export type DoorListener = (batch: OnvifNotification[], info: { resubscribed: boolean }) => void;

const DISCOVERY_RETRY_MIN_MS = 1000;
const DISCOVERY_RETRY_MAX_MS = 60_000;

export class DoorPanelLink {
  readonly soap: OnvifSoapClient;
  readonly #xaddr: string;
  readonly #log: Logger;
  readonly #listeners = new Map<string, DoorListener>();
  /** Access point token → door token. */
  #accessPoints = new Map<string, string>();
  #services: PanelServices | undefined;
  #discovering: Promise<PanelServices> | undefined;
  #failures = 0;
  #nextAttemptAt = 0;
  #lastProblem: string | undefined;
  #events: PullPointSubscription | undefined;
  #eventsProblem: string | undefined;

  constructor(options: { xaddr: string; user: string; password: string; logger: Logger }) {
    this.#xaddr = options.xaddr;
    this.#log = options.logger.child({ panel: options.xaddr });
    this.soap = new OnvifSoapClient({ username: options.user, password: options.password }, { timeoutMs: 5000 });
  }

  /** A door starts listening; the first one starts the subscription. */
  attach(doorToken: string, listener: DoorListener): void {
    this.#listeners.set(doorToken, listener);
  }

  /** A door stops listening; the last one ends the subscription. */
  async detach(doorToken: string): Promise<void> {
    this.#listeners.delete(doorToken);
    if (this.#listeners.size === 0) {
      const events = this.#events;
      this.#events = undefined;
      await events?.stop();
    }
  }

  /**
   * The panel's services, found on first use and kept. Concurrent callers share
   * one attempt; after a failure the next attempt waits (back-off) and callers
   * get the last failure meanwhile.
   */
  services(): Promise<PanelServices> {
    if (this.#services) return Promise.resolve(this.#services);
    if (this.#discovering) return this.#discovering;
    if (Date.now() < this.#nextAttemptAt) return Promise.reject(new OnvifError('unreachable', this.#lastProblem ?? 'controller not reachable'));
    this.#discovering = this.#discover().finally(() => (this.#discovering = undefined));
    return this.#discovering;
  }

  /** The controller answered (a state poll): if the event subscription is waiting to retry, retry now. */
  eventsRetryNow(): void {
    this.#events?.retryNow();
  }

  /** A Door Control operation on one door (AccessDoor, UnlockDoor, LockDoor, GetDoorState). */
  async doorControl(operation: string, doorToken: string, timeoutMs = 5000) {
    const { doorControl } = await this.services();
    return this.soap.call(doorControl, `<tdc:${operation}><tdc:Token>${escapeXml(doorToken)}</tdc:Token></tdc:${operation}>`, { timeoutMs });
  }

  async #discover(): Promise<PanelServices> {
    try {
      await this.soap.syncClock(this.#xaddr);
      const services = await this.soap.call(this.#xaddr, '<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>');
      const doorControl = serviceXAddr(services, onvifNamespaces.tdc);
      if (!doorControl) throw new OnvifError('fault', 'the device lists no Door Control service (not an ONVIF Profile C controller?)');
      const accessControl = serviceXAddr(services, onvifNamespaces.tac);
      let events = serviceXAddr(services, onvifNamespaces.tev);
      if (!events) {
        const caps = await this.soap.call(this.#xaddr, '<tds:GetCapabilities><tds:Category>Events</tds:Category></tds:GetCapabilities>');
        events = textAt(caps, 'Capabilities', 'Events', 'XAddr');
      }
      const doors = new Map<string, string>();
      for (let start: string | undefined, page = 0; page < 100; page++) {
        const list = await this.soap.call(
          doorControl,
          `<tdc:GetDoorInfoList>${start === undefined ? '' : `<tdc:StartReference>${escapeXml(start)}</tdc:StartReference>`}</tdc:GetDoorInfoList>`,
        );
        for (const info of childrenNamed(list, 'DoorInfo')) if (info.attrs.token) doors.set(info.attrs.token, textAt(info, 'Name') ?? info.attrs.token);
        start = textAt(list, 'NextStartReference');
        if (!start) break;
      }
      const accessPoints = new Map<string, string>();
      if (accessControl) {
        for (let start: string | undefined, page = 0; page < 100; page++) {
          const list = await this.soap.call(
            accessControl,
            `<tac:GetAccessPointInfoList>${start === undefined ? '' : `<tac:StartReference>${escapeXml(start)}</tac:StartReference>`}</tac:GetAccessPointInfoList>`,
          );
          for (const ap of childrenNamed(list, 'AccessPointInfo')) {
            const entity = textAt(ap, 'Entity');
            if (ap.attrs.token && entity) accessPoints.set(ap.attrs.token, entity);
          }
          start = textAt(list, 'NextStartReference');
          if (!start) break;
        }
      } else {
        this.#log.warn('the controller has no Access Control service: granted/denied events cannot be told apart by door');
      }
      this.#accessPoints = accessPoints;
      this.#services = { doorControl, doors };
      this.#failures = 0;
      if (this.#lastProblem) this.#log.info('door controller answers again');
      this.#lastProblem = undefined;
      this.#log.info({ doors: [...doors.keys()], events: events !== undefined }, 'door controller connected');
      if (events) this.#subscribe(events);
      else this.#log.warn('the controller lists no event service: door events are not available, only polled state');
      return this.#services;
    } catch (err) {
      this.#failures += 1;
      this.#nextAttemptAt = Date.now() + Math.min(DISCOVERY_RETRY_MAX_MS, DISCOVERY_RETRY_MIN_MS * 2 ** (this.#failures - 1));
      const problem = describeOnvifError(err);
      if (problem !== this.#lastProblem) this.#log.error(`door controller ${this.#xaddr}: ${problem}`);
      this.#lastProblem = problem;
      throw err instanceof OnvifError ? err : new OnvifError('malformed', problem);
    }
  }

  #subscribe(eventsUrl: string): void {
    if (this.#events || this.#listeners.size === 0) return;
    this.#events = new PullPointSubscription(
      { client: this.soap, eventsUrl, topicFilter: 'tns1:Door//.|tns1:AccessControl//.' },
      {
        notifications: (batch, info) => this.#dispatch(batch, info),
        subscribed: ({ again }) => {
          if (again || this.#eventsProblem) this.#log.info('door events subscription restored');
          this.#eventsProblem = undefined;
        },
        error: (err, { retryInMs }) => {
          const problem = describeOnvifError(err);
          if (problem !== this.#eventsProblem) this.#log.warn({ retryInMs }, `door events subscription lost: ${problem}`);
          this.#eventsProblem = problem;
        },
      },
    );
    this.#events.start();
  }

  #dispatch(batch: OnvifNotification[], info: { resubscribed: boolean }): void {
    const byDoor = new Map<string, OnvifNotification[]>();
    for (const n of batch) {
      const door = n.source.DoorToken ?? (n.source.AccessPointToken !== undefined ? this.#accessPoints.get(n.source.AccessPointToken) : undefined);
      if (door === undefined) continue;
      const list = byDoor.get(door) ?? [];
      list.push(n);
      byDoor.set(door, list);
    }
    for (const [door, notifications] of byDoor) this.#listeners.get(door)?.(notifications, info);
  }
}
