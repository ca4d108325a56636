import type { Logger } from 'pino';
import { armingScheduleSchema, isArmed, type ArmingSchedule, type ZoneScheduleSource } from '../alarms/index.js';
import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type Role, type SessionUser } from '../auth/roles.js';
import type { Database } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import { WardenError } from '../http/errors.js';
import { appendLiveEvent } from '../live/live-feed.js';
import * as repo from './registry.repository.js';

/** Who sees security matters: the control room and its managers. */
export const securityAudience: Role[] = ['admin', 'manager', 'guard'];

/** The live event that tells every hub (through the live log's NOTIFY) that a zone's schedule changed. */
export const ZONE_SCHEDULE_EVENT = 'zone.schedule';

export interface ZoneScheduleView {
  building: string;
  zone: string;
  /** The zone's own schedule, else the estate's default (see `source`). */
  schedule: ArmingSchedule | null;
  /** null: neither the zone nor the estate has a schedule (never armed). */
  armedNow: boolean | null;
  /** Whose schedule arms the zone: its own, the estate's default (ZONE_DEFAULT_ARMING), or none. */
  source: 'zone' | 'default' | null;
  updatedBy: string | null;
  updatedAt: string | null;
}

const key = (buildingId: string, zone: string) => `${buildingId}\u0000${zone}`;

/**
 * The arming schedule of zones without their own, from ZONE_DEFAULT_ARMING ("22:00-06:00"
 * every day, or "none"): the window the starter motion rule used before zones had schedules.
 */
export function defaultArming(spec: string, utcOffsetMin: number): ArmingSchedule | undefined {
  if (spec === 'none') return undefined;
  const [from, to] = spec.split('-');
  return armingScheduleSchema.parse({ utcOffsetMin, windows: [{ from, to }] });
}

export interface ZoneScheduleOptions {
  /** For zones (and zoneless devices) without a stored schedule; absent: they are never armed. */
  defaultSchedule?: ArmingSchedule;
}

/**
 * Arming schedules per zone. Kept in memory for the alarm engine (an armedEvent rule with
 * `zoneSchedule: true` asks on every motion event), reloaded when any hub changes one:
 * the change is a live event, and every hub's LiveHub hears every live event. A zone
 * without its own follows the estate's default, for the alarms and the console alike,
 * so what the console shows as armed is what raises motion alarms.
 */
export class ZoneScheduleService implements ZoneScheduleSource {
  private schedules = new Map<string, { schedule: ArmingSchedule; updatedBy: string; updatedAt: Date }>();
  private off: (() => void) | undefined;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;

  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly options: ZoneScheduleOptions = {},
  ) {}

  async start(): Promise<void> {
    await this.reload();
    this.off = this.bus.on('live.event', (e) => {
      if (e.type === ZONE_SCHEDULE_EVENT) this.reloadSoon();
    });
  }

  async stop(): Promise<void> {
    this.off?.();
    this.off = undefined;
    await this.reloading;
  }

  scheduleFor(buildingId: string | null, zone: string | null): ArmingSchedule | undefined {
    const own = buildingId === null || zone === null ? undefined : this.schedules.get(key(buildingId, zone))?.schedule;
    return own ?? this.options.defaultSchedule;
  }

  /** Whether the zone is armed at `at`; null when neither it nor the estate has a schedule. */
  armedAt(buildingId: string | null, zone: string | null, at = Date.now()): boolean | null {
    const schedule = this.scheduleFor(buildingId, zone);
    return schedule ? isArmed(schedule, at) : null;
  }

  view(buildingId: string, zone: string, at = Date.now()): ZoneScheduleView {
    const entry = this.schedules.get(key(buildingId, zone));
    const schedule = entry?.schedule ?? this.options.defaultSchedule;
    return {
      building: buildingId,
      zone,
      schedule: schedule ?? null,
      armedNow: schedule ? isArmed(schedule, at) : null,
      source: entry ? 'zone' : schedule ? 'default' : null,
      updatedBy: entry?.updatedBy ?? null,
      updatedAt: entry?.updatedAt.toISOString() ?? null,
    };
  }

  async list(user: SessionUser, building: string | null): Promise<(ZoneScheduleView & { devices: number; doors: number; cameras: number })[]> {
    if (building !== null && !canSeeBuilding(user, building)) throw new WardenError('WARDEN_ERR_FORBIDDEN', `you may not see building ${building}`);
    const zones = await repo.listZones(this.db, user.buildings, building);
    const now = Date.now();
    return zones.map((z) => ({ ...this.view(z.building_id, z.zone, now), devices: z.devices, doors: z.doors, cameras: z.cameras }));
  }

  async get(user: SessionUser, buildingId: string, zone: string): Promise<ZoneScheduleView> {
    await this.checkBuilding(user, buildingId);
    const row = await repo.zoneSchedule(this.db, buildingId, zone);
    this.remember(row);
    return this.view(buildingId, zone);
  }

  /** Sets (or, with null, removes) a zone's schedule; audited, and announced to every hub. */
  async put(user: SessionUser, ip: string | undefined, buildingId: string, zone: string, schedule: ArmingSchedule | null): Promise<ZoneScheduleView> {
    await this.checkBuilding(user, buildingId);
    const parsed = schedule === null ? null : armingScheduleSchema.parse(schedule);
    const { row, liveId } = await this.db.transaction(async (tx) => {
      const row = parsed === null ? undefined : await repo.upsertZoneSchedule(tx, buildingId, zone, parsed, user.username);
      if (parsed === null && !(await repo.deleteZoneSchedule(tx, buildingId, zone))) throw new WardenError('WARDEN_ERR_NOT_FOUND', `zone ${zone} of ${buildingId} has no schedule`);
      await recordAudit(tx, { userId: user.id, actor: user.username, action: parsed ? 'zone.schedule.set' : 'zone.schedule.remove', targetType: 'zone', targetId: `${buildingId}/${zone}`, details: parsed ? { schedule: parsed } : undefined, ip });
      const liveId = await appendLiveEvent(tx, {
        type: ZONE_SCHEDULE_EVENT,
        buildingId,
        audience: securityAudience,
        data: { building: buildingId, zone, schedule: parsed, actor: user.username },
      });
      return { row, liveId };
    });
    if (row) this.remember(row);
    else this.schedules.delete(key(buildingId, zone));
    this.bus.emit('live.appended', { lastId: liveId });
    return this.view(buildingId, zone);
  }

  private async checkBuilding(user: SessionUser, buildingId: string): Promise<void> {
    if (!(await repo.buildingExists(this.db, buildingId)) || !canSeeBuilding(user, buildingId)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no building ${buildingId}`);
  }

  private remember(row: repo.ZoneScheduleRow | undefined): void {
    if (!row) return;
    const parsed = armingScheduleSchema.safeParse(row.schedule);
    if (!parsed.success) {
      this.logger.error({ building: row.building_id, zone: row.zone }, 'stored zone schedule does not validate: ignored (the zone counts as not armed)');
      return;
    }
    this.schedules.set(key(row.building_id, row.zone), { schedule: parsed.data, updatedBy: row.updated_by, updatedAt: row.updated_at });
  }

  /** A reload already under way may have read before this change committed: it then runs once more. */
  private reloadSoon(): void {
    if (this.reloading) {
      this.reloadAgain = true;
      return;
    }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false;
        await this.reload();
      } while (this.reloadAgain);
    })()
      .catch((err: Error) => this.logger.warn({ err: err.message }, 'could not reload zone schedules'))
      .finally(() => (this.reloading = undefined));
  }

  private async reload(): Promise<void> {
    const rows = await repo.loadZoneSchedules(this.db);
    const previous = this.schedules;
    this.schedules = new Map();
    for (const row of rows) this.remember(row);
    if (previous.size !== this.schedules.size) this.logger.debug({ zones: this.schedules.size }, 'zone schedules loaded');
  }
}
