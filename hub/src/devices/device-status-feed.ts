import type { Logger } from 'pino';
import type { Role } from '../auth/roles.js';
import type { Database } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import { appendLiveEvent } from '../live/live-feed.js';

const AUDIENCE: Role[] = ['admin', 'manager', 'guard', 'technician'];

export interface DeviceStatusFeedOptions {
  /** Changes are gathered and published together this often. */
  flushMs?: number;
}

/**
 * Streams devices going online and offline to the live log (`device.online`,
 * `{ deviceId, online, at }`, in the device's building), so consoles update the
 * estate at a glance without polling. Only real changes are sent: births and
 * last-seen updates repeat "online" constantly, and an agent's death takes all
 * its devices offline at once.
 */
export class DeviceStatusFeed {
  private pending = new Map<number, { online: boolean; at: Date }>();
  private readonly sent = new Map<number, boolean>();
  private readonly unsubscribe: (() => void)[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private readonly flushMs: number;

  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    options: DeviceStatusFeedOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 250;
  }

  async start(): Promise<void> {
    const { rows } = await this.db.query<{ id: string; online: boolean }>('SELECT id, online FROM devices');
    for (const r of rows) this.sent.set(Number(r.id), r.online);
    this.unsubscribe.push(
      this.bus.on('device.online', (e) => this.note(e.deviceId, e.online, e.at)),
      this.bus.on('agent.state', (e) => {
        if (!e.online) void this.agentOffline(e.agentId, e.at);
      }),
    );
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const off of this.unsubscribe.splice(0)) off();
    await this.flush();
  }

  private note(deviceId: number, online: boolean, at: Date): void {
    this.pending.set(deviceId, { online, at });
  }

  private async agentOffline(agentId: string, at: Date): Promise<void> {
    try {
      const { rows } = await this.db.query<{ id: string }>('SELECT id FROM devices WHERE agent_id = $1', [agentId]);
      for (const r of rows) this.note(Number(r.id), false, at);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, agentId }, 'could not list the devices of an agent gone offline');
    }
  }

  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const changes = [...this.pending].filter(([id, c]) => this.sent.get(id) !== c.online);
    this.pending = new Map();
    if (!changes.length) return;
    this.flushing = (async () => {
      try {
        const { rows } = await this.db.query<{ id: string; building_id: string | null }>('SELECT id, building_id FROM devices WHERE id = ANY($1::bigint[])', [changes.map(([id]) => id)]);
        const building = new Map(rows.map((r) => [Number(r.id), r.building_id]));
        const lastId = await this.db.transaction(async (tx) => {
          let last = 0;
          for (const [deviceId, c] of changes) {
            last = await appendLiveEvent(tx, { type: 'device.online', buildingId: building.get(deviceId) ?? null, audience: AUDIENCE, data: { deviceId, online: c.online, at: c.at.toISOString() } });
          }
          return last;
        });
        for (const [deviceId, c] of changes) this.sent.set(deviceId, c.online);
        this.bus.emit('live.appended', { lastId });
      } catch (err) {
        // Not lost for good: the next change of the device is sent, and consoles poll the list too.
        this.logger.warn({ err: (err as Error).message, devices: changes.length }, 'could not publish device status changes');
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }
}
