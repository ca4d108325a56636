import type { DeviceBirth, MetricDefinition, Point } from '@warden/protocols';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import * as repo from './devices.repository.js';

export interface SeriesRef {
  seriesId: number;
  deviceId: number;
  type: MetricDefinition['type'];
}

/** agent → device → metric → series: nested maps, so the hot path builds no key strings. */
type SeriesIndex = Map<string, Map<string, Map<string, SeriesRef>>>;

function indexSeries(index: SeriesIndex, agentId: string, device: string, metric: string, ref: SeriesRef): void {
  let devices = index.get(agentId);
  if (!devices) index.set(agentId, (devices = new Map()));
  let metrics = devices.get(device);
  if (!metrics) devices.set(device, (metrics = new Map()));
  metrics.set(metric, ref);
}

function valueType(value: Point['value']): MetricDefinition['type'] {
  return typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string';
}

/** How often device last-seen times are written (they are kept in memory in between). */
const TOUCH_INTERVAL_MS = 5_000;
const HEARTBEAT_CHECK_MS = 10_000;

/**
 * The device registry: devices appear from births; online/offline from agent
 * state, heartbeats and silence. Keeps the (agent, device, metric) → series id
 * map in memory so ingest resolves points without a query per point.
 */
export class DeviceRegistry {
  private readonly series: SeriesIndex = new Map();
  private readonly devices = new Map<string, number>();
  private readonly agents = new Map<string, repo.AgentRow>();
  private pendingSeen = new Map<number, number>();
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.reload();
    this.timers.push(setInterval(() => void this.flushSeen(), TOUCH_INTERVAL_MS));
    this.timers.push(setInterval(() => void this.checkHeartbeats(), HEARTBEAT_CHECK_MS));
    for (const t of this.timers) t.unref();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.flushSeen();
  }

  async reload(): Promise<void> {
    this.agents.clear();
    for (const a of await repo.loadAgents(this.db)) this.agents.set(a.id, a);
    this.devices.clear();
    for (const d of await repo.loadDeviceKeys(this.db)) this.devices.set(`${d.agent_id}\u0000${d.code}`, d.id);
    this.series.clear();
    for (const s of await repo.loadAllSeries(this.db)) {
      indexSeries(this.series, s.agent_id, s.device_code, s.metric, { seriesId: s.series_id, deviceId: s.device_id, type: s.type });
    }
  }

  /** The provisioned agent, or undefined: data from unknown agents is refused. */
  async agent(agentId: string): Promise<repo.AgentRow | undefined> {
    let agent = this.agents.get(agentId);
    if (!agent) {
      // Provisioned after this hub started (possibly by another hub).
      agent = (await repo.loadAgents(this.db)).find((a) => a.id === agentId);
      if (agent) this.agents.set(agentId, agent);
    }
    return agent;
  }

  async applyBirth(agent: repo.AgentRow, birth: DeviceBirth): Promise<number> {
    const { deviceId, series } = await repo.upsertDeviceFromBirth(this.db, agent, birth);
    this.devices.set(`${agent.id}\u0000${birth.device.id}`, deviceId);
    for (const s of series) indexSeries(this.series, agent.id, birth.device.id, s.name, { seriesId: s.id, deviceId, type: s.type });
    this.bus.emit('device.birth', { deviceId, agentId: agent.id, code: birth.device.id });
    this.bus.emit('device.online', { deviceId, online: true, at: new Date(birth.ts) });
    return deviceId;
  }

  /** Resolves a point to its series; registers unknown ones (see repo.ensureSeries). */
  async resolve(agent: repo.AgentRow, point: Point): Promise<SeriesRef> {
    const known = this.lookup(agent.id, point.device, point.metric);
    if (known) return known;
    const type = valueType(point.value);
    const created = await repo.ensureSeries(this.db, agent, point.device, point.metric, type);
    const ref = { ...created, type };
    indexSeries(this.series, agent.id, point.device, point.metric, ref);
    this.devices.set(`${agent.id}\u0000${point.device}`, created.deviceId);
    this.logger.warn({ agent: agent.id, device: point.device, metric: point.metric }, 'reading for a metric without a birth: registered it');
    return ref;
  }

  /** Synchronous lookup for the hot path; undefined when the series must be created. */
  lookup(agentId: string, device: string, metric: string): SeriesRef | undefined {
    return this.series.get(agentId)?.get(device)?.get(metric);
  }

  async deviceId(agent: repo.AgentRow, deviceCode: string): Promise<number> {
    const key = `${agent.id}\u0000${deviceCode}`;
    const known = this.devices.get(key);
    if (known !== undefined) return known;
    // An event from a device without a birth: register it (its events are kept).
    const { deviceId } = await repo.ensureDevice(this.db, agent, deviceCode);
    this.devices.set(key, deviceId);
    return deviceId;
  }

  noteSeen(deviceId: number, at: number): void {
    const prev = this.pendingSeen.get(deviceId);
    if (prev === undefined || at > prev) this.pendingSeen.set(deviceId, at);
  }

  async setAgentState(agentId: string, online: boolean, session: string, agentVersion: string | undefined, at: number): Promise<void> {
    const agent = await this.agent(agentId);
    if (!agent) return;
    const applied = await repo.setAgentState(this.db, agentId, online, session, agentVersion, at);
    if (!applied) {
      this.logger.info({ agent: agentId, session }, 'ignored a state message from an older agent session');
      return;
    }
    agent.session = session;
    this.bus.emit('agent.state', { agentId, siteId: agent.site_id, online, at: new Date(at) });
  }

  private async flushSeen(): Promise<void> {
    if (!this.pendingSeen.size) return;
    const seen = [...this.pendingSeen].map(([deviceId, at]) => ({ deviceId, at }));
    this.pendingSeen = new Map();
    try {
      for (const deviceId of await repo.touchDevices(this.db, seen)) this.bus.emit('device.online', { deviceId, online: true, at: new Date() });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not record device last-seen times');
    }
  }

  /** Marks devices offline that missed three heartbeats (runs every 10 s). */
  async checkHeartbeats(): Promise<void> {
    try {
      for (const deviceId of await repo.expireSilentDevices(this.db, (3 * TOUCH_INTERVAL_MS) / 1000)) {
        this.logger.info({ deviceId }, 'device silent for three heartbeats: offline');
        this.bus.emit('device.online', { deviceId, online: false, at: new Date() });
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'heartbeat check failed');
    }
  }
}
