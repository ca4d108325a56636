import type { Logger } from 'pino';
import type { EpisodeWorkOrder, IncidentEpisode, IncidentLinker, Priority } from '../alarms/index.js';
import { canSeeBuilding, type SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import { WardenError } from '../http/errors.js';
import { appendLiveEvent } from '../live/live-feed.js';
import * as evidenceRepo from './evidence.repository.js';
import * as repo from './incident.repository.js';
import { securityAudience } from './zone-schedule.service.js';

const rank: Record<Priority, number> = { low: 0, medium: 1, high: 2, critical: 3 };
const higher = (a: Priority, b: Priority): Priority => (rank[a] >= rank[b] ? a : b);

export function incidentJson(r: repo.IncidentRow) {
  return {
    id: Number(r.id),
    buildingId: r.building_id,
    zone: r.zone,
    title: r.title,
    priority: r.priority as Priority,
    openedAt: r.opened_at.toISOString(),
    lastSignalAt: r.last_signal_at.toISOString(),
    closedAt: r.closed_at?.toISOString() ?? null,
    workOrderId: r.work_order_id === null ? null : Number(r.work_order_id),
    workOrderNumber: r.work_order_number,
    workOrderStatus: r.work_order_status,
    episodes: Number(r.episodes),
    evidence: Number(r.evidence),
  };
}
export type IncidentJson = ReturnType<typeof incidentJson>;

/**
 * Incidents: related security signals close in time and place (a door forced, motion on
 * the camera covering that door, a tamper switch) are one incident with one work order
 * and one evidence bundle. The decision is made inside the alarm's raise transaction
 * (IncidentLinker.attach), under an advisory lock per building, so it is made once
 * even when several hubs raise related alarms at the same moment.
 */
export class IncidentService implements IncidentLinker {
  private off: (() => void) | undefined;
  private closing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly options: { windowMinutes: number },
  ) {}

  async start(): Promise<void> {
    // The work order is the incident's job: once it is closed or cancelled, the incident is over.
    this.off = this.bus.on('workorder.changed', (e) => {
      if (e.status !== 'closed' && e.status !== 'cancelled') return;
      this.closing = this.closing.then(() => this.closeForWorkOrder(e.workOrderId)).catch((err: Error) => this.logger.warn({ err: err.message, workOrder: e.workOrderId }, 'could not close an incident'));
    });
  }

  async stop(): Promise<void> {
    this.off?.();
    this.off = undefined;
    await this.closing;
  }

  async attach(tx: Queryable, episode: IncidentEpisode, openWorkOrder: (() => Promise<EpisodeWorkOrder>) | undefined): Promise<{ incidentId: number; workOrder?: EpisodeWorkOrder }> {
    await repo.lockBuilding(tx, episode.buildingId);
    const since = new Date(episode.raisedAt.getTime() - this.options.windowMinutes * 60_000);
    const joinable = this.options.windowMinutes > 0 ? await repo.findJoinableIncident(tx, episode.deviceId, episode.buildingId, since) : undefined;
    let incidentId: number;
    let workOrder: EpisodeWorkOrder | undefined;
    if (joinable) {
      incidentId = Number(joinable.id);
      await repo.addEpisode(tx, incidentId, episode.episodeId, episode.raisedAt);
      await repo.touchIncident(tx, incidentId, episode.raisedAt, higher(joinable.priority as Priority, episode.priority));
      if (joinable.work_order_id !== null) {
        await repo.linkEpisodeToWorkOrder(tx, episode.episodeId, Number(joinable.work_order_id));
      } else if (openWorkOrder) {
        // The incident so far came from rules that open no work order; this one does.
        workOrder = await openWorkOrder();
        await repo.setWorkOrder(tx, incidentId, workOrder.workOrderId);
      }
    } else {
      incidentId = await repo.insertIncident(tx, { buildingId: episode.buildingId, deviceId: episode.deviceId, title: episode.title, priority: episode.priority, at: episode.raisedAt });
      await repo.addEpisode(tx, incidentId, episode.episodeId, episode.raisedAt);
      if (openWorkOrder) {
        workOrder = await openWorkOrder();
        await repo.setWorkOrder(tx, incidentId, workOrder.workOrderId);
      }
    }
    // Live: announced after commit by the alarm service's own live.appended (its alarm event comes later in this transaction).
    const row = (await repo.incidentById(tx, incidentId))!;
    await appendLiveEvent(tx, {
      type: joinable ? 'incident.updated' : 'incident.opened',
      buildingId: episode.buildingId,
      audience: securityAudience,
      data: { incident: incidentJson(row), episodeId: episode.episodeId, alarmId: episode.alarmId, deviceId: episode.deviceId, title: episode.title },
    });
    return { incidentId, workOrder };
  }

  async list(user: SessionUser, q: { building?: string; status: 'open' | 'closed' | 'all'; limit: number; before?: number }): Promise<IncidentJson[]> {
    const rows = await repo.listIncidents(this.db, { buildings: user.buildings, building: q.building ?? null, status: q.status, limit: q.limit, before: q.before ?? null });
    return rows.map(incidentJson);
  }

  async detail(user: SessionUser, id: number) {
    const row = await repo.incidentById(this.db, id);
    if (!row || !canSeeBuilding(user, row.building_id)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no incident ${id}`);
    const episodes = await repo.incidentEpisodes(this.db, id);
    const evidence = await evidenceRepo.listEvidence(this.db, { episodeIds: episodes.map((e) => Number(e.episode_id)) });
    return {
      incident: incidentJson(row),
      episodes: episodes.map((e) => ({
        episodeId: Number(e.episode_id),
        alarmId: Number(e.alarm_id),
        ruleName: e.rule_name,
        deviceId: Number(e.device_id),
        deviceCode: e.device_code,
        deviceName: e.device_name,
        deviceType: e.device_type,
        zone: e.zone,
        priority: e.priority,
        message: e.message,
        raisedAt: e.raised_at.toISOString(),
        ackedAt: e.acked_at?.toISOString() ?? null,
        endedAt: e.ended_at?.toISOString() ?? null,
        alarmState: e.alarm_state,
        workOrderId: e.work_order_id === null ? null : Number(e.work_order_id),
      })),
      evidence: evidence.map(evidenceRepo.evidenceJson),
      workOrder: row.work_order_id === null ? null : { id: Number(row.work_order_id), number: row.work_order_number!, status: row.work_order_status! },
    };
  }

  private async closeForWorkOrder(workOrderId: number): Promise<void> {
    const closed = await this.db.transaction(async (tx) => {
      const rows = await tx.query<{ id: string; building_id: string | null }>('SELECT id, building_id FROM incidents WHERE work_order_id = $1 AND closed_at IS NULL', [workOrderId]);
      if (!rows.rows.length) return undefined;
      // Same lock order as attach(): building, then the incident rows, then the live log.
      for (const b of new Set(rows.rows.map((r) => r.building_id))) await repo.lockBuilding(tx, b);
      const done = await repo.closeIncidentsOfWorkOrder(tx, workOrderId, new Date());
      let liveId: number | undefined;
      for (const r of done) {
        const row = (await repo.incidentById(tx, Number(r.id)))!;
        liveId = await appendLiveEvent(tx, { type: 'incident.updated', buildingId: r.building_id, audience: securityAudience, data: { incident: incidentJson(row), action: 'close' } });
      }
      return liveId;
    });
    if (closed !== undefined) this.bus.emit('live.appended', { lastId: closed });
  }
}
