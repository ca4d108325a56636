/**
 * A simulated ONVIF Profile C door controller: doors with contact, lock,
 * alarm and tamper state; Door Control commands (AccessDoor, UnlockDoor,
 * LockDoor) and state queries; access and door events through the same
 * PullPoint service as the camera; card traffic on a seeded schedule; and
 * scenarios on command through `POST /sim/fault` or `inject()`.
 * See README.md in this folder for why ONVIF rather than a vendor HTTP API.
 *
 *   const panel = new DoorControllerSimulator({ name: 'door1', username: 'admin', password: 'secret', doors: 2 });
 *   const { xaddr, doors } = await panel.start();
 *   panel.inject({ scenario: 'force', door: doors[0].token });
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { hashString, unitAt } from '../signals/seeded-noise.js';
import { deviceCapabilities, eventCapabilities, onvifScopes, registerDeviceService } from '../camera/device-service.js';
import { ns } from '../camera/onvif-namespaces.js';
import { OnvifHttpServer, readBody, sendJson, type DeviceMode } from '../camera/onvif-http-server.js';
import { PullPointBroker } from '../camera/pull-point.js';
import { silentLogger, type SimLogger } from '../camera/sim-logger.js';
import { WsDiscoveryResponder } from '../camera/ws-discovery.js';
import { el } from '../camera/xml-writer.js';
import { accessPointOf, doorEventToOnvif, doorTopics, initialDoorEvents, registerDoorControlService } from './door-control-service.js';
import { SimulatedDoor, defaultDoorTiming, type Cardholder, type DoorState } from './simulated-door.js';

const port = z.number().int().min(0).max(65535);
const seconds = z.number().positive().max(86_400);

export const doorControllerOptionsSchema = z.object({
  name: z.string().min(1).max(64),
  username: z.string().min(1),
  password: z.string().min(1),
  host: z.string().min(1).default('127.0.0.1'),
  publicHost: z.string().min(1).optional(),
  httpPort: port.default(0),
  discoveryPort: port.optional(),
  /** A count (doors named "<name> door N") or explicit names. */
  doors: z.union([z.number().int().min(1).max(64), z.array(z.string().min(1).max(64)).min(1).max(64)]).default(1),
  timing: z
    .object({
      accessSec: seconds.default(defaultDoorTiming.accessMs / 1000),
      openTooLongSec: seconds.default(defaultDoorTiming.openTooLongMs / 1000),
      walkUpSec: seconds.default(defaultDoorTiming.walkUpMs / 1000),
      passageSec: seconds.default(defaultDoorTiming.passageMs / 1000),
    })
    .prefault({}),
  /** Card traffic on a seeded schedule: exponential gaps averaging `meanSwipeIntervalSec` per door. */
  traffic: z
    .object({
      seed: z.number().int(),
      meanSwipeIntervalSec: z.number().positive().default(45),
      deniedRatio: z.number().min(0).max(1).default(0.08),
    })
    .optional(),
  location: z.string().max(128).optional(),
  manufacturer: z.string().default('Warden Sim'),
  model: z.string().default('WS-ACP-4'),
});

export type DoorControllerOptions = z.input<typeof doorControllerOptionsSchema> & { logger?: SimLogger };

export interface DoorInfo {
  readonly token: string;
  readonly name: string;
  readonly accessPoint: string;
}

export interface DoorControllerEndpoints {
  readonly xaddr: string;
  readonly admin: string;
  readonly doors: readonly DoorInfo[];
  readonly discoveryPort?: number;
}

export const doorScenarioNames = ['force', 'holdOpen', 'tamper', 'deniedBurst', 'granted', 'denied', 'offline', 'malformed', 'clear'] as const;
export type DoorScenarioName = (typeof doorScenarioNames)[number];

/** Body of `POST /sim/fault` (`fault` is accepted as an alias of `scenario`, matching the camera's admin API). */
export const doorScenarioRequestSchema = z
  .object({
    scenario: z.enum(doorScenarioNames).optional(),
    fault: z.enum(doorScenarioNames).optional(),
    /** Door token; the first door when absent. */
    door: z.string().optional(),
    /** force: how long the door stays open (8 s); holdOpen: how long it is held (OpenTooLongTime + 5 s); tamper/offline/malformed: until cleared when absent. */
    durationSec: seconds.optional(),
    /** deniedBurst: how many refused cards (5), one every `intervalSec` (0.5 s). */
    count: z.number().int().min(1).max(100).optional(),
    intervalSec: z.number().min(0).max(60).optional(),
  })
  .refine((r) => r.scenario !== undefined || r.fault !== undefined, { message: 'give "scenario" (or "fault")' });

export type DoorScenarioRequest = Omit<z.input<typeof doorScenarioRequestSchema>, 'fault'> & { scenario: DoorScenarioName };

/** Enrolled cardholders the traffic draws from (tokens are stable across runs). */
export const simulatedCardholders: readonly Cardholder[] = Array.from({ length: 40 }, (_, i) => ({
  credential: `CRED-${1001 + i}`,
  name: `Resident ${1001 + i}`,
}));

export class DoorControllerSimulator {
  readonly options: z.output<typeof doorControllerOptionsSchema>;
  readonly doors: readonly SimulatedDoor[];
  readonly #logger: SimLogger;
  readonly #publicHost: string;
  readonly #endpointUuid: string;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #deviceFaults = new Map<'offline' | 'malformed', NodeJS.Timeout | undefined>();
  #http: OnvifHttpServer | undefined;
  #events: PullPointBroker | undefined;
  #discovery: WsDiscoveryResponder | undefined;
  #endpoints: DoorControllerEndpoints | undefined;
  #stopped = false;

  constructor(options: DoorControllerOptions) {
    const { logger, ...rest } = options;
    this.options = doorControllerOptionsSchema.parse(rest);
    this.#logger = logger ?? silentLogger;
    const host = this.options.host;
    this.#publicHost = this.options.publicHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
    const h = createHash('sha1').update(`warden-door-controller:${this.options.name}`).digest('hex');
    this.#endpointUuid = `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
    const t = this.options.timing;
    const timing = { accessMs: t.accessSec * 1000, openTooLongMs: t.openTooLongSec * 1000, walkUpMs: t.walkUpSec * 1000, passageMs: t.passageSec * 1000 };
    const names = typeof this.options.doors === 'number' ? Array.from({ length: this.options.doors }, (_, i) => `${this.options.name} door ${i + 1}`) : this.options.doors;
    this.doors = names.map((name, i) => {
      const door: SimulatedDoor = new SimulatedDoor(`Door_${i + 1}`, name, timing, (event) => {
        if (event.kind === 'state') this.#logger('info', 'door state', { door: door.token, [event.field]: event.state[event.field] });
        else this.#logger('info', 'access event', { door: door.token, event: event.kind });
        this.#events?.publish(doorEventToOnvif(door, event));
      });
      return door;
    });
  }

  get endpoints(): DoorControllerEndpoints {
    if (!this.#endpoints) throw new Error(`door controller ${this.options.name} is not started`);
    return this.#endpoints;
  }

  async start(): Promise<DoorControllerEndpoints> {
    if (this.#endpoints) return this.#endpoints;
    if (this.#stopped) throw new Error(`door controller ${this.options.name} was stopped; create a new simulator`);
    const o = this.options;
    try {
      const http = new OnvifHttpServer({
        host: o.host,
        port: o.httpPort,
        users: [{ username: o.username, password: o.password }],
        logger: this.#logger,
        mode: () => this.#mode(),
      });
      this.#http = http;
      this.#events = new PullPointBroker({
        subscriptionPath: '/onvif/subscription/',
        subscriptionUrl: (id) => `${this.#base()}/onvif/subscription/${id}`,
        topics: doorTopics,
        initialState: () => initialDoorEvents(this.doors),
      });
      this.#register(http);
      await http.start();
      if (o.discoveryPort !== undefined) {
        this.#discovery = new WsDiscoveryResponder({
          port: o.discoveryPort,
          host: o.host,
          endpoint: this.#endpointUuid,
          types: ['tds:Device'],
          scopes: () => this.#scopes(),
          xaddrs: () => [`${this.#base()}/onvif/device_service`],
          answering: () => !this.#deviceFaults.has('offline'),
          logger: this.#logger,
        });
      }
      const discoveryPort = await this.#discovery?.start();
      for (const door of this.doors) this.#scheduleTraffic(door, 0);
      this.#endpoints = {
        xaddr: `${this.#base()}/onvif/device_service`,
        admin: `${this.#base()}/sim`,
        doors: this.doors.map((d) => ({ token: d.token, name: d.name, accessPoint: accessPointOf(d.token) })),
        ...(discoveryPort !== undefined ? { discoveryPort } : {}),
      };
      this.#logger('info', 'door controller simulator ready', { xaddr: this.#endpoints.xaddr, doors: this.doors.length });
      return this.#endpoints;
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const t of this.#deviceFaults.values()) if (t) clearTimeout(t);
    this.#deviceFaults.clear();
    for (const d of this.doors) d.dispose();
    this.#events?.close();
    await Promise.all([this.#http?.stop(), this.#discovery?.stop()]);
    this.#endpoints = undefined;
  }

  state(): { name: string; offline: boolean; malformed: boolean; subscriptions: number; doors: (DoorInfo & DoorState)[] } {
    return {
      name: this.options.name,
      offline: this.#deviceFaults.has('offline'),
      malformed: this.#deviceFaults.has('malformed'),
      subscriptions: this.#events?.subscriptionCount ?? 0,
      doors: this.doors.map((d) => ({ token: d.token, name: d.name, accessPoint: accessPointOf(d.token), ...d.state })),
    };
  }

  /** Runs a scenario on a door (or the whole panel for offline/malformed/clear). */
  inject(request: DoorScenarioRequest): void {
    const door = request.door === undefined ? this.doors[0] : this.doors.find((d) => d.token === request.door);
    if (!door) throw new RangeError(`no door "${request.door}" on ${this.options.name} (doors: ${this.doors.map((d) => d.token).join(', ')})`);
    const ms = (sec: number): number => sec * 1000;
    const t = this.options.timing;
    this.#logger('info', 'door scenario', { scenario: request.scenario, door: door.token });
    switch (request.scenario) {
      case 'force':
        return door.force(ms(request.durationSec ?? 8));
      case 'holdOpen':
        return door.swipe(this.#cardholder(door, Date.now()), true, { holdOpenMs: ms(request.durationSec ?? t.openTooLongSec + 5) });
      case 'tamper':
        door.setTamper(true);
        if (request.durationSec !== undefined) this.#after(ms(request.durationSec), () => door.setTamper(false));
        return;
      case 'granted':
        return door.swipe(this.#cardholder(door, Date.now()), true);
      case 'denied':
        return door.swipe(this.#cardholder(door, Date.now()), false, { reason: 'NotPermittedAtThisTime' });
      case 'deniedBurst': {
        // Someone trying cards that are not enrolled: refused one after another.
        const count = request.count ?? 5;
        const interval = ms(request.intervalSec ?? 0.5);
        for (let i = 0; i < count; i++) {
          const card = createHash('sha1').update(`${door.token}:${Date.now()}:${i}`).digest('hex').slice(0, 8).toUpperCase();
          if (i === 0) door.unknownCard(card);
          else this.#after(i * interval, () => door.unknownCard(card));
        }
        return;
      }
      case 'offline':
      case 'malformed': {
        const existing = this.#deviceFaults.get(request.scenario);
        if (existing) clearTimeout(existing);
        const fault = request.scenario;
        const timer = request.durationSec === undefined ? undefined : setTimeout(() => this.#deviceFaults.delete(fault), ms(request.durationSec));
        timer?.unref();
        this.#deviceFaults.set(fault, timer);
        return;
      }
      case 'clear':
        for (const timer of this.#deviceFaults.values()) if (timer) clearTimeout(timer);
        this.#deviceFaults.clear();
        for (const d of this.doors) d.reset();
        return;
    }
  }

  #after(delayMs: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, delayMs);
    timer.unref();
    this.#timers.add(timer);
  }

  #cardholder(door: SimulatedDoor, n: number): Cardholder {
    const seed = this.options.traffic?.seed ?? 1;
    const u = unitAt(seed, hashString(`${door.token}:who`), n);
    return simulatedCardholders[Math.floor(u * simulatedCardholders.length)];
  }

  #scheduleTraffic(door: SimulatedDoor, n: number): void {
    const traffic = this.options.traffic;
    if (!traffic || this.#stopped) return;
    const key = hashString(`${this.options.name}:${door.token}`);
    const u = unitAt(traffic.seed, key, n * 2);
    const gapMs = Math.max(1000, -Math.log(1 - u) * traffic.meanSwipeIntervalSec * 1000);
    this.#after(gapMs, () => {
      // No traffic through a door that is already open, alarming, or while the panel is down.
      if (!this.#deviceFaults.has('offline') && door.state.physical === 'Closed' && door.state.mode === 'Locked') {
        const denied = unitAt(traffic.seed, key, n * 2 + 1) < traffic.deniedRatio;
        door.swipe(this.#cardholder(door, n), !denied, { reason: 'NotPermittedAtThisTime' });
      }
      this.#scheduleTraffic(door, n + 1);
    });
  }

  #mode(): DeviceMode {
    if (this.#deviceFaults.has('offline')) return 'offline';
    return this.#deviceFaults.has('malformed') ? 'malformed' : 'normal';
  }

  #base(): string {
    return `http://${this.#publicHost}:${this.#http?.port ?? 0}`;
  }

  #scopes(): string[] {
    return onvifScopes(['Profile/C'], this.options);
  }

  #register(http: OnvifHttpServer): void {
    const o = this.options;
    const url = (p: string): string => `${this.#base()}${p}`;
    registerDeviceService(http, {
      identity: { manufacturer: o.manufacturer, model: o.model, firmwareVersion: '1.0.0-sim', serialNumber: this.#endpointUuid.slice(9, 17).toUpperCase(), hardwareId: 'WS-ACP' },
      hostname: o.name,
      scopes: () => this.#scopes(),
      capabilities: () => [deviceCapabilities(url('/onvif/device_service')), eventCapabilities(url('/onvif/event_service'))],
      services: () => [
        { namespace: ns.tds, xaddr: url('/onvif/device_service'), version: [2, 60] },
        { namespace: ns.tev, xaddr: url('/onvif/event_service'), version: [2, 60], capabilities: el('tev:Capabilities', { WSPullPointSupport: true }) },
        { namespace: ns.tdc, xaddr: url('/onvif/doorcontrol_service'), version: [1, 0], capabilities: el('tdc:Capabilities', { MaxLimit: 100, MaxDoors: this.doors.length }) },
        { namespace: ns.tac, xaddr: url('/onvif/accesscontrol_service'), version: [1, 0], capabilities: el('tac:Capabilities', { MaxLimit: 100, MaxAccessPoints: this.doors.length, MaxAreas: 0 }) },
      ],
    });
    registerDoorControlService(http, this.doors, {
      onCommand: (command, door, username) => this.#logger('info', 'door command', { command, door: door.token, user: username }),
    });
    this.#events!.register(http);
    http.route('GET', '/sim/state', (_req, res) => sendJson(res, 200, this.state()), { admin: true });
    http.route(
      'POST',
      '/sim/fault',
      async (req, res) => {
        const body = await readBody(req, 64 * 1024);
        let json: unknown;
        try {
          json = JSON.parse(body ?? '');
        } catch {
          return sendJson(res, 400, { error: `body must be JSON: {"scenario": ${doorScenarioNames.map((n) => `"${n}"`).join('|')}, "door"?, "durationSec"?, "count"?}` });
        }
        const parsed = doorScenarioRequestSchema.safeParse(json);
        if (!parsed.success) return sendJson(res, 400, { error: z.prettifyError(parsed.error) });
        const { fault, scenario, ...rest } = parsed.data;
        try {
          this.inject({ ...rest, scenario: (scenario ?? fault)! });
        } catch (err) {
          return sendJson(res, 404, { error: (err as Error).message });
        }
        sendJson(res, 200, this.state());
      },
      { admin: true },
    );
  }
}
