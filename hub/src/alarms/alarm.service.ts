import type { Logger } from 'pino';
import type { PoolClient } from 'pg';
import { recordAudit } from '../audit/index.js';
import type { Role } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import type { EpisodeWorkOrderInput, EpisodeWorkOrderResult } from '../workorders/work-order.types.js';
import type { EventBus } from '../events/event-bus.js';
import { WardenError } from '../http/errors.js';
import { appendLiveEvent } from '../live/live-feed.js';
import * as repo from './alarm.repository.js';
import type { Trigger } from './evaluation.js';
import { transition, type AlarmState, type DispositionCode } from './lifecycle.js';
import type { AlarmRule, Category, Priority } from './rule-schema.js';

/** Who did it: a person (with id) or the system. */
export interface Actor {
  userId: number | null;
  name: string;
  ip?: string;
}

export const SYSTEM: Actor = { userId: null, name: 'system' };

/** What the alarm service asks of the work-order module, inside its own transaction (the work-order module's own types). */
export interface WorkOrderOpener {
  openForEpisode(tx: Queryable, episode: EpisodeWorkOrderInput): Promise<EpisodeWorkOrder>;
}

/** The work order an episode got from WorkOrderOpener.openForEpisode. */
export type EpisodeWorkOrder = Pick<EpisodeWorkOrderResult, 'workOrderId' | 'number' | 'reopened' | 'recurred' | 'assigneeId' | 'status'>;

/** A new security episode, as the incident module needs it. */
export interface IncidentEpisode {
  episodeId: number;
  alarmId: number;
  deviceId: number;
  buildingId: string | null;
  priority: Priority;
  /** For people: "rule: device". */
  title: string;
  raisedAt: Date;
}

/**
 * What the alarm service asks of the incident module (security episodes only), inside
 * the raise transaction: join the episode to an open related incident or open one.
 * `openWorkOrder` is the alarm service's own work-order step (undefined when the rule
 * opens none). The linker calls it only when the episode needs a work order of its own
 * (a new incident, or an incident without one yet) and returns what it opened; an
 * episode that joins an incident is linked to the incident's work order instead, so a
 * break-in seen by a door, a camera and a tamper switch is one job, not three.
 */
export interface IncidentLinker {
  attach(tx: Queryable, episode: IncidentEpisode, openWorkOrder: (() => Promise<EpisodeWorkOrder>) | undefined): Promise<{ incidentId: number; workOrder?: EpisodeWorkOrder }>;
}

/** Roles that see alarms of a category (guards watch the whole console). */
export function alarmAudience(category: Category): Role[] {
  return category === 'security' ? ['admin', 'manager', 'guard'] : ['admin', 'manager', 'guard', 'technician'];
}

/** Critical alarms escalate if nobody acknowledges them within this time, unless the rule says otherwise. */
const DEFAULT_CRITICAL_ESCALATION_SEC = 300;

export interface RaiseInput {
  rule: AlarmRule;
  device: repo.DeviceInfo;
  at: number;
  trigger: Trigger | null;
  unit?: string | null;
  /** Time of the reading or event that decided it: older than the alarm's last process change means stale. */
  sourceTs?: number;
}

/**
 * Where escalations go beyond the live stream: the hub's outgoing e-mail and SMS (the
 * billing module's SMTP mailer and SMS provider, handed over by app.ts; their shapes,
 * so the alarms module does not depend on billing). Sending never blocks the sweep's
 * transaction: it happens after commit and its outcome is audited.
 */
export interface EscalationChannels {
  /** `configured: false` (no SMTP_URL): e-mail is skipped rather than failed on every escalation. */
  mail: { readonly configured?: boolean; send(message: { to: string; subject: string; text: string }): Promise<{ ok: true; id: string } | { ok: false; error: string }> };
  sms: { send(to: string, text: string): Promise<{ id: string }> };
}

/** The person an escalation is addressed to, with their staff contacts. */
interface EscalationRecipient {
  userId: number;
  username: string;
  email: string | null;
  phone: string | null;
}

export interface AlarmServiceOptions {
  now?: () => Date;
  /** Groups security episodes into incidents (see IncidentLinker). */
  incidents?: IncidentLinker;
}

interface Committed {
  liveId?: number;
  /** Whether the alarm is active once committed (process changes only). */
  active?: boolean;
  changes: { alarmId: number; episodeId: number | null; deviceId: number; action: string; state: AlarmState; active: boolean; category?: Category; newEpisode?: boolean }[];
  workOrder?: { workOrderId: number; action: 'create' | 'reopen' | 'recur'; deviceId: number; status: string };
}

/**
 * The alarm lifecycle in the database: each change is one transaction that locks
 * the alarm's row, applies the ISA-18.2 transition, stores it with who and when,
 * opens the episode's work order, and appends the live event. Two hubs raising the
 * same alarm serialise on the row lock; the second finds it already raised.
 */
export class AlarmService {
  private readonly now: () => Date;
  private readonly incidents: IncidentLinker | undefined;
  private channels: EscalationChannels | undefined;
  /** Notifications of escalations still being sent (awaited by `idle`). */
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly workOrders: WorkOrderOpener | undefined,
    options: AlarmServiceOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.incidents = options.incidents;
  }

  /** Sends escalations by e-mail and SMS as well (set once the hub's mailer and SMS provider exist). */
  setEscalationChannels(channels: EscalationChannels): void {
    this.channels = channels;
  }

  /** Resolves once escalation e-mails and SMS under way have been sent (or failed). */
  async notificationsSent(): Promise<void> {
    while (this.sending.size) await Promise.all([...this.sending]);
  }

  /** The condition holds (after its on-delay). Resolves to whether the alarm is active in the database afterwards. */
  async raise(input: RaiseInput): Promise<boolean> {
    const { rule, device } = input;
    const at = new Date(input.at);
    const committed = await this.db.transaction(async (tx): Promise<Committed> => {
      const alarm = await repo.lockAlarm(tx, rule.id, device.id, device.buildingId);
      const alarmId = Number(alarm.id);
      if (isStale(alarm, input.sourceTs)) return { changes: [], active: alarm.active };
      if (alarm.active && alarm.state !== 'normal' && alarm.state !== 'rtn_unack') return { changes: [], active: true }; // raised already (another hub)
      await tx.query('UPDATE alarms SET active = true, changed_at = $2, process_ts = greatest(process_ts, $3) WHERE id = $1', [alarmId, at, sourceTime(input.sourceTs)]);
      const silent = alarm.out_of_service ? 'out of service' : alarm.suppressed ? 'suppressed' : alarm.shelved_until && alarm.shelved_until > this.now() ? 'shelved' : null;
      if (silent) {
        // Tracked, not annunciated: no episode, no work order; unshelving shows it if still active.
        await repo.recordTransition(tx, { alarmId, episodeId: null, action: 'activate-silent', from: alarm.state, to: alarm.state, actor: 'system', note: silent, at, details: this.triggerDetails(input.trigger) });
        return { changes: [{ alarmId, episodeId: null, deviceId: device.id, action: 'activate-silent', state: alarm.state, active: true }] };
      }
      const step = transition(alarm.state, 'activate');
      if (!step) return { changes: [], active: true };
      let episodeId = alarm.episode_id === null ? null : Number(alarm.episode_id);
      let workOrder: Committed['workOrder'];
      if (step.episode === 'open') {
        let unit = input.unit;
        if (unit === undefined && input.trigger?.metric) {
          unit = (await tx.query<{ unit: string | null }>('SELECT unit FROM device_metrics WHERE device_id = $1 AND name = $2', [device.id, input.trigger.metric])).rows[0]?.unit;
        }
        const message = renderMessage(rule, device, input.trigger, unit);
        const inserted = await tx.query<{ id: string }>(
          `INSERT INTO alarm_episodes (alarm_id, rule_id, rule_version, device_id, building_id, priority, category, message, value, raised_at, last_annunciated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
           ON CONFLICT (alarm_id) WHERE ended_at IS NULL DO NOTHING
           RETURNING id`,
          [alarmId, rule.id, rule.version, device.id, device.buildingId, rule.priority, rule.category, message, JSON.stringify(input.trigger ?? null), at],
        );
        if (!inserted.rows[0]) return { changes: [], active: true }; // an open episode exists: the row lock makes this unreachable, the index makes it certain
        episodeId = Number(inserted.rows[0].id);
        await tx.query(`UPDATE alarms SET state = 'unack', episode_id = $2 WHERE id = $1`, [alarmId, episodeId]);
        await repo.recordTransition(tx, { alarmId, episodeId, action: 'activate', from: alarm.state, to: step.to, actor: 'system', at, details: this.triggerDetails(input.trigger) });
        const workOrders = this.workOrders;
        const newEpisodeId = episodeId;
        const openWorkOrder =
          rule.definition.workOrder.create && workOrders
            ? () =>
                workOrders.openForEpisode(tx, {
                  episodeId: newEpisodeId,
                  alarmId,
                  ruleId: rule.id,
                  ruleName: rule.name,
                  kind: rule.category,
                  priority: rule.priority,
                  trade: rule.definition.workOrder.trade,
                  buildingId: device.buildingId,
                  deviceId: device.id,
                  deviceName: device.name,
                  location: device.location,
                  message,
                  raisedAt: at,
                  reopenWithinMinutes: rule.definition.workOrder.reopenWithinMinutes,
                })
            : undefined;
        // Security episodes go through the incident linker, which opens the work order only
        // for a new incident and otherwise links the episode to its incident's work order.
        const wo =
          rule.category === 'security' && this.incidents
            ? (await this.incidents.attach(tx, { episodeId, alarmId, deviceId: device.id, buildingId: device.buildingId, priority: rule.priority, title: `${rule.name}: ${device.name}`, raisedAt: at }, openWorkOrder)).workOrder
            : await openWorkOrder?.();
        if (wo) workOrder = { workOrderId: wo.workOrderId, action: wo.recurred ? 'recur' : wo.reopened ? 'reopen' : 'create', deviceId: device.id, status: wo.status };
      } else {
        // Back before anyone acknowledged: the same episode, one more activation (chattering shows here).
        await tx.query(`UPDATE alarm_episodes SET activations = activations + 1, cleared_at = NULL, last_annunciated_at = $2 WHERE id = $1`, [episodeId, at]);
        await tx.query(`UPDATE alarms SET state = 'unack' WHERE id = $1`, [alarmId]);
        await repo.recordTransition(tx, { alarmId, episodeId, action: 'activate', from: alarm.state, to: step.to, actor: 'system', at, details: this.triggerDetails(input.trigger) });
      }
      const liveId = await this.appendView(tx, alarmId, episodeId, step.episode === 'open' ? 'alarm.raised' : 'alarm.changed', 'activate', rule.category, device.buildingId);
      return { liveId, workOrder, changes: [{ alarmId, episodeId, deviceId: device.id, action: 'activate', state: step.to, active: true, category: rule.category, newEpisode: step.episode === 'open' }] };
    });
    this.afterCommit(committed);
    return committed.active ?? true;
  }

  /** The condition no longer holds (after its off-delay). */
  /** Resolves to whether the alarm is active in the database afterwards. */
  async clear(rule: AlarmRule, device: repo.DeviceInfo, atMs: number, actor: Actor = SYSTEM, note?: string, sourceTs?: number): Promise<boolean> {
    const at = new Date(atMs);
    const committed = await this.db.transaction(async (tx): Promise<Committed> => {
      const alarm = await repo.lockAlarm(tx, rule.id, device.id, device.buildingId);
      const alarmId = Number(alarm.id);
      if (isStale(alarm, sourceTs)) return { changes: [], active: alarm.active };
      if (!alarm.active) return { changes: [], active: false };
      await tx.query('UPDATE alarms SET active = false, changed_at = $2, process_ts = greatest(process_ts, $3) WHERE id = $1', [alarmId, at, sourceTime(sourceTs)]);
      const step = transition(alarm.state, 'clear');
      const episodeId = alarm.episode_id === null ? null : Number(alarm.episode_id);
      if (!step) {
        await repo.recordTransition(tx, { alarmId, episodeId, action: 'clear-silent', from: alarm.state, to: alarm.state, userId: actor.userId, actor: actor.name, note, at });
        return { changes: [{ alarmId, episodeId, deviceId: device.id, action: 'clear-silent', state: alarm.state, active: false }] };
      }
      await this.applyStep(tx, alarmId, episodeId, step.to, step.episode, at);
      await tx.query('UPDATE alarm_episodes SET cleared_at = $2 WHERE id = $1', [episodeId, at]);
      await repo.recordTransition(tx, { alarmId, episodeId, action: 'clear', from: alarm.state, to: step.to, userId: actor.userId, actor: actor.name, note, at });
      const liveId = await this.appendView(tx, alarmId, episodeId, 'alarm.changed', 'clear', rule.category, device.buildingId);
      return { liveId, changes: [{ alarmId, episodeId, deviceId: device.id, action: 'clear', state: step.to, active: false }] };
    });
    this.afterCommit(committed);
    return committed.active ?? false;
  }

  async acknowledge(alarmId: number, actor: Actor, note?: string, disposition?: DispositionCode): Promise<repo.AlarmView> {
    return this.operatorAction(alarmId, actor, 'ack', async (tx, alarm, at) => {
      const step = transition(alarm.state, 'ack');
      if (!step) throw new WardenError('WARDEN_ERR_CONFLICT', `alarm ${alarmId} is ${alarm.state}: nothing to acknowledge`);
      const episodeId = Number(alarm.episode_id);
      await tx.query('UPDATE alarm_episodes SET acked_at = $2, acked_by = $3 WHERE id = $1', [episodeId, at, actor.name]);
      await this.applyStep(tx, alarmId, episodeId, step.to, step.episode, at);
      return { to: step.to, episodeId, note, details: disposition ? { disposition } : undefined };
    });
  }

  async shelve(alarmId: number, actor: Actor, reason: string, until: Date): Promise<repo.AlarmView> {
    if (until <= this.now()) throw new WardenError('WARDEN_ERR_VALIDATION', 'shelve until a time in the future', [{ path: 'until', message: 'must be in the future' }]);
    return this.operatorAction(alarmId, actor, 'shelve', async (tx, alarm) => {
      await tx.query('UPDATE alarms SET shelved_until = $2, shelved_by = $3, shelve_reason = $4 WHERE id = $1', [alarmId, until, actor.name, reason]);
      return { to: alarm.state, episodeId: alarm.episode_id === null ? null : Number(alarm.episode_id), note: reason, details: { until: until.toISOString() } };
    });
  }

  async unshelve(alarmId: number, actor: Actor, note?: string): Promise<repo.AlarmView> {
    const view = await this.operatorAction(alarmId, actor, 'unshelve', async (tx, alarm) => {
      if (!alarm.shelved_until) throw new WardenError('WARDEN_ERR_CONFLICT', `alarm ${alarmId} is not shelved`);
      await tx.query('UPDATE alarms SET shelved_until = NULL, shelved_by = NULL, shelve_reason = NULL WHERE id = $1', [alarmId]);
      return { to: alarm.state, episodeId: alarm.episode_id === null ? null : Number(alarm.episode_id), note };
    });
    await this.reannunciateIfActive(alarmId);
    return view;
  }

  async comment(alarmId: number, actor: Actor, note: string): Promise<repo.AlarmView> {
    return this.operatorAction(alarmId, actor, 'comment', async (_tx, alarm) => ({ to: alarm.state, episodeId: alarm.episode_id === null ? null : Number(alarm.episode_id), note }));
  }

  /** Out of service: the alarm is not annunciated at all (a sensor being replaced); its open episode ends. */
  async setOutOfService(alarmId: number, actor: Actor, outOfService: boolean, reason: string): Promise<repo.AlarmView> {
    const view = await this.operatorAction(alarmId, actor, outOfService ? 'out-of-service' : 'return-to-service', async (tx, alarm, at) => {
      if (alarm.out_of_service === outOfService) throw new WardenError('WARDEN_ERR_CONFLICT', `alarm ${alarmId} is ${outOfService ? 'already' : 'not'} out of service`);
      await tx.query('UPDATE alarms SET out_of_service = $2, oos_reason = $3 WHERE id = $1', [alarmId, outOfService, outOfService ? reason : null]);
      const episodeId = alarm.episode_id === null ? null : Number(alarm.episode_id);
      if (outOfService && episodeId !== null) {
        await this.applyStep(tx, alarmId, episodeId, 'normal', 'end', at);
        return { to: 'normal' as AlarmState, episodeId, note: reason };
      }
      return { to: alarm.state, episodeId, note: reason };
    });
    if (!outOfService) await this.reannunciateIfActive(alarmId);
    return view;
  }

  /** Set by the engine: raises an alarm again whose condition still holds (after unshelve, return to service, unsuppress). */
  onStillActive?: (ruleId: number, deviceId: number) => Promise<void>;

  /** An alarm that was kept quiet while active is annunciated once it may be again. */
  async reannunciateIfActive(alarmId: number): Promise<void> {
    const { rows } = await this.db.query<{ rule_id: string; device_id: string }>(
      `SELECT rule_id, device_id FROM alarms WHERE id = $1 AND active AND state = 'normal' AND NOT suppressed AND NOT out_of_service AND (shelved_until IS NULL OR shelved_until <= now())`,
      [alarmId],
    );
    if (rows[0] && this.onStillActive) await this.onStillActive(Number(rows[0].rule_id), Number(rows[0].device_id));
  }

  /**
   * Time-driven duties, safe with several hubs (each row is claimed by a conditional
   * UPDATE): expired shelves, re-alarm of standing unacknowledged alarms, escalation
   * of unacknowledged critical alarms. `rules` gives the rules' re-alarm/escalation times.
   */
  async sweep(rules: Map<number, AlarmRule>, now = this.now()): Promise<{ unshelved: number; realarmed: number; escalated: number }> {
    const result = { unshelved: 0, realarmed: 0, escalated: 0 };
    const expired = await this.db.query<{ id: string }>('SELECT id FROM alarms WHERE shelved_until <= $1', [now]);
    for (const { id } of expired.rows) {
      const done = await this.systemAction(Number(id), 'unshelve', async (tx, alarm) => {
        if (!alarm.shelved_until || alarm.shelved_until > now) return undefined;
        await tx.query('UPDATE alarms SET shelved_until = NULL, shelved_by = NULL, shelve_reason = NULL WHERE id = $1', [alarm.id]);
        return { note: 'shelve expired' };
      });
      if (done) {
        result.unshelved += 1;
        await this.reannunciateIfActive(Number(id));
      }
    }
    const standing = await this.db.query<{ id: string; alarm_id: string; rule_id: string; priority: Priority; category: Category; raised_at: Date; last_annunciated_at: Date; escalated_at: Date | null }>(
      `SELECT e.id, e.alarm_id, e.rule_id, e.priority, e.category, e.raised_at, e.last_annunciated_at, e.escalated_at
         FROM alarm_episodes e JOIN alarms a ON a.id = e.alarm_id
        WHERE e.ended_at IS NULL AND e.acked_at IS NULL AND a.state IN ('unack', 'rtn_unack')
          AND NOT a.out_of_service AND NOT a.suppressed AND (a.shelved_until IS NULL OR a.shelved_until <= $1)`,
      [now],
    );
    for (const e of standing.rows) {
      const rule = rules.get(Number(e.rule_id));
      const realarmSec = rule?.definition.realarmSec;
      if (realarmSec !== undefined && now.getTime() - e.last_annunciated_at.getTime() >= realarmSec * 1000) {
        const claimed = await this.claimEpisode(Number(e.alarm_id), Number(e.id), 'realarm', `UPDATE alarm_episodes SET realarms = realarms + 1, last_annunciated_at = $2 WHERE id = $1 AND last_annunciated_at = $3 RETURNING id`, [e.id, now, e.last_annunciated_at], alarmAudience(e.category), 'alarm.realarm');
        if (claimed) result.realarmed += 1;
      }
      const escalateSec = rule?.definition.escalateAfterSec ?? (e.priority === 'critical' ? DEFAULT_CRITICAL_ESCALATION_SEC : undefined);
      if (escalateSec !== undefined && e.escalated_at === null && now.getTime() - e.raised_at.getTime() >= escalateSec * 1000) {
        const claimed = await this.claimEpisode(Number(e.alarm_id), Number(e.id), 'escalate', `UPDATE alarm_episodes SET escalated_at = $2 WHERE id = $1 AND escalated_at IS NULL RETURNING id`, [e.id, now], ['admin', 'manager'], 'alarm.escalated');
        if (claimed) {
          result.escalated += 1;
          if (claimed.escalation) this.track(this.notifyEscalation(claimed.escalation.view, claimed.escalation.recipients, claimed.escalation.named));
        }
      }
    }
    return result;
  }

  // ---------------------------------------------------------------- internals

  private triggerDetails(trigger: Trigger | null): Record<string, unknown> | undefined {
    return trigger ? { trigger } : undefined;
  }

  private async applyStep(tx: Queryable, alarmId: number, episodeId: number | null, to: AlarmState, episode: 'open' | 'end' | 'keep', at: Date): Promise<void> {
    if (episode === 'end') {
      await tx.query('UPDATE alarm_episodes SET ended_at = $2 WHERE id = $1', [episodeId, at]);
      await tx.query('UPDATE alarms SET state = $2, episode_id = NULL, changed_at = $3 WHERE id = $1', [alarmId, to, at]);
    } else {
      await tx.query('UPDATE alarms SET state = $2, changed_at = $3 WHERE id = $1', [alarmId, to, at]);
    }
  }

  private async appendView(tx: Queryable, alarmId: number, episodeId: number | null, type: string, action: string, category: Category, buildingId: string | null, actor?: Actor): Promise<number> {
    const view = await repo.alarmView(tx, alarmId, episodeId);
    return appendLiveEvent(tx, { type, buildingId, audience: alarmAudience(category), data: { ...view, action, actor: actor?.name ?? 'system' } });
  }

  private async operatorAction(
    alarmId: number,
    actor: Actor,
    action: string,
    apply: (tx: PoolClient, alarm: repo.AlarmRow, at: Date) => Promise<{ to: AlarmState; episodeId: number | null; note?: string; details?: Record<string, unknown> }>,
  ): Promise<repo.AlarmView> {
    const at = this.now();
    let view: repo.AlarmView | undefined;
    const committed = await this.db.transaction(async (tx): Promise<Committed> => {
      const alarm = await repo.lockAlarmById(tx, alarmId);
      if (!alarm) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no alarm ${alarmId}`);
      const { to, episodeId, note, details } = await apply(tx, alarm, at);
      await repo.recordTransition(tx, { alarmId, episodeId, action, from: alarm.state, to, userId: actor.userId, actor: actor.name, note, details, at });
      await recordAudit(tx, { userId: actor.userId, actor: actor.name, action: `alarm.${action}`, targetType: 'alarm', targetId: alarmId, details: { from: alarm.state, to, episodeId, ...details }, ip: actor.ip });
      const category = (await tx.query<{ category: Category }>('SELECT category FROM alarm_rules WHERE id = $1', [alarm.rule_id])).rows[0].category;
      view = await repo.alarmView(tx, alarmId, episodeId);
      const liveId = await appendLiveEvent(tx, { type: 'alarm.changed', buildingId: alarm.building_id, audience: alarmAudience(category), data: { ...view, action, actor: actor.name, note: note ?? null } });
      return { liveId, changes: [{ alarmId, episodeId, deviceId: Number(alarm.device_id), action, state: to, active: alarm.active }] };
    });
    this.afterCommit(committed);
    return view!;
  }

  private async systemAction(alarmId: number, action: string, apply: (tx: PoolClient, alarm: repo.AlarmRow) => Promise<{ note?: string } | undefined>): Promise<boolean> {
    const committed = await this.db.transaction(async (tx): Promise<Committed | undefined> => {
      const alarm = await repo.lockAlarmById(tx, alarmId);
      if (!alarm) return undefined;
      const done = await apply(tx, alarm);
      if (!done) return undefined;
      const episodeId = alarm.episode_id === null ? null : Number(alarm.episode_id);
      await repo.recordTransition(tx, { alarmId, episodeId, action, from: alarm.state, to: alarm.state, actor: 'system', note: done.note });
      const category = (await tx.query<{ category: Category }>('SELECT category FROM alarm_rules WHERE id = $1', [alarm.rule_id])).rows[0].category;
      const liveId = await this.appendView(tx, alarmId, episodeId, 'alarm.changed', action, category, alarm.building_id);
      return { liveId, changes: [{ alarmId, episodeId, deviceId: Number(alarm.device_id), action, state: alarm.state, active: alarm.active }] };
    });
    if (!committed) return false;
    this.afterCommit(committed);
    return true;
  }

  /**
   * Claims a time-driven duty on an episode once (across hubs) and announces it. An
   * escalation goes to the building's named supervisor/on-call person if one is set
   * (addressed to them on the live stream, whatever their role), else to every manager
   * of the building; admins and managers keep seeing it on the console either way.
   */
  private async claimEpisode(
    alarmId: number,
    episodeId: number,
    action: string,
    claimSql: string,
    params: unknown[],
    audience: Role[],
    liveType: string,
  ): Promise<{ escalation?: { view: repo.AlarmView; recipients: EscalationRecipient[]; named: boolean } } | undefined> {
    let escalation: { view: repo.AlarmView; recipients: EscalationRecipient[]; named: boolean } | undefined;
    const committed = await this.db.transaction(async (tx): Promise<Committed | undefined> => {
      const alarm = await repo.lockAlarmById(tx, alarmId);
      if (!alarm || Number(alarm.episode_id) !== episodeId) return undefined;
      const claimed = await tx.query(claimSql, params);
      if (!claimed.rowCount) return undefined;
      const target = action === 'escalate' ? await escalationRecipients(tx, alarm.building_id) : undefined;
      const details = target ? { escalatedTo: { userIds: target.recipients.map((r) => r.userId), named: target.named } } : undefined;
      await repo.recordTransition(tx, { alarmId, episodeId, action, from: alarm.state, to: alarm.state, actor: 'system', details });
      if (action === 'escalate') await recordAudit(tx, { actor: 'system', action: 'alarm.escalate', targetType: 'alarm', targetId: alarmId, details: { episodeId, ...details } });
      const view = await repo.alarmView(tx, alarmId, episodeId);
      if (target && view) escalation = { view, recipients: target.recipients, named: target.named };
      const liveId = await appendLiveEvent(tx, {
        type: liveType,
        buildingId: alarm.building_id,
        audience,
        userIds: target?.recipients.map((r) => r.userId),
        data: { ...view, action, actor: 'system', ...(details ?? {}) },
      });
      return { liveId, changes: [{ alarmId, episodeId, deviceId: Number(alarm.device_id), action, state: alarm.state, active: alarm.active }] };
    });
    if (!committed) return undefined;
    this.afterCommit(committed);
    return { escalation };
  }

  private track(task: Promise<void>): void {
    this.sending.add(task);
    void task.finally(() => this.sending.delete(task));
  }

  /** E-mail and SMS to each recipient with a contact in their staff record; each outcome audited (user ids, not addresses). */
  private async notifyEscalation(view: repo.AlarmView, recipients: EscalationRecipient[], named: boolean): Promise<void> {
    const channels = this.channels;
    if (!channels) return;
    const where = [view.buildingId, view.location].filter(Boolean).join(', ');
    const subject = `[Warden] ESCALATED ${view.priority} alarm not acknowledged: ${view.ruleName} at ${view.deviceName}`;
    const text = [
      `${view.message ?? `${view.ruleName}: ${view.deviceName}`}`,
      `Raised ${view.raisedAt ?? '?'}${where ? ` at ${where}` : ''}; nobody has acknowledged it.`,
      named ? 'You are the escalation contact for this building.' : 'No escalation contact is set for this building: sent to its managers.',
      `Alarm ${view.alarmId}, episode ${view.episodeId ?? '-'}.`,
    ].join('\n');
    const sms = `Warden: ${view.priority} alarm not acknowledged: ${view.ruleName} at ${view.deviceName}${view.buildingId ? ` (${view.buildingId})` : ''}. Alarm ${view.alarmId}.`.slice(0, 300);
    const outcomes: { userId: number; channel: 'email' | 'sms'; ok: boolean; error?: string }[] = [];
    for (const r of recipients) {
      if (r.email && channels.mail.configured !== false) {
        const sent = await channels.mail.send({ to: r.email, subject, text }).catch((err: Error) => ({ ok: false as const, error: err.message }));
        outcomes.push({ userId: r.userId, channel: 'email', ok: sent.ok, ...(sent.ok ? {} : { error: sent.error.slice(0, 200) }) });
      }
      if (r.phone) {
        try {
          await channels.sms.send(r.phone, sms);
          outcomes.push({ userId: r.userId, channel: 'sms', ok: true });
        } catch (err) {
          outcomes.push({ userId: r.userId, channel: 'sms', ok: false, error: (err as Error).message.slice(0, 200) });
        }
      }
    }
    const failed = outcomes.filter((o) => !o.ok).length;
    if (failed) this.logger.warn({ alarmId: view.alarmId, failed, sent: outcomes.length - failed }, 'escalation notifications failed');
    await recordAudit(this.db, { actor: 'system', action: 'alarm.escalation_notified', targetType: 'alarm', targetId: view.alarmId, details: { episodeId: view.episodeId, named, outcomes } }).catch((err: Error) =>
      this.logger.warn({ err: err.message }, 'could not audit escalation notifications'),
    );
  }

  private afterCommit(c: Committed): void {
    for (const change of c.changes) this.bus.emit('alarm.changed', change);
    if (c.workOrder) this.bus.emit('workorder.changed', { workOrderId: c.workOrder.workOrderId, action: c.workOrder.action, status: c.workOrder.status, deviceId: c.workOrder.deviceId });
    if (c.liveId !== undefined) this.bus.emit('live.appended', { lastId: c.liveId });
  }
}

/**
 * Who an escalation in a building goes to: its named escalation contact if set and
 * still enabled, else every enabled manager who may see the building (estate-wide ones
 * included). Contacts come from the person's staff record.
 */
async function escalationRecipients(tx: Queryable, buildingId: string | null): Promise<{ recipients: EscalationRecipient[]; named: boolean }> {
  const contact = `SELECT u.id::int AS "userId", u.username, s.email, s.phone FROM users u LEFT JOIN staff s ON s.user_id = u.id AND s.active`;
  if (buildingId !== null) {
    const named = await tx.query<EscalationRecipient>(`${contact} JOIN alarm_escalation_targets t ON t.user_id = u.id WHERE t.building_id = $1 AND NOT u.disabled`, [buildingId]);
    if (named.rows[0]) return { recipients: named.rows, named: true };
  }
  const managers = await tx.query<EscalationRecipient>(
    `${contact}
      WHERE u.role = 'manager' AND NOT u.disabled
        AND (NOT EXISTS (SELECT 1 FROM user_buildings ub WHERE ub.user_id = u.id)
             OR ($1::text IS NOT NULL AND EXISTS (SELECT 1 FROM user_buildings ub WHERE ub.user_id = u.id AND ub.building_id = $1)))
      ORDER BY u.id`,
    [buildingId],
  );
  return { recipients: managers.rows, named: false };
}

/** A decision from a reading older than the alarm's last process change (applied by another hub) is stale. */
function isStale(alarm: repo.AlarmRow, sourceTs: number | undefined): boolean {
  return sourceTs !== undefined && alarm.process_ts !== null && sourceTs < alarm.process_ts.getTime();
}

const sourceTime = (sourceTs: number | undefined) => (sourceTs === undefined ? null : new Date(sourceTs));

function formatValue(value: Trigger['value']): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(2);
  return String(value);
}

/** The alarm's text for people, from the rule's template or a default. */
export function renderMessage(rule: AlarmRule, device: repo.DeviceInfo, trigger: Trigger | null, unit?: string | null): string {
  const fields: Record<string, string> = {
    rule: rule.name,
    device: device.name,
    metric: trigger?.metric ?? trigger?.event ?? '',
    value: trigger?.value !== undefined ? formatValue(trigger.value) : '',
    unit: unit ?? '',
  };
  if (rule.definition.message) return rule.definition.message.replace(/\{(rule|device|metric|value|unit)\}/g, (_, k: string) => fields[k]);
  if (trigger?.metric !== undefined && trigger.value !== undefined) return `${rule.name}: ${device.name} ${trigger.metric} ${fields.value}${unit ? ` ${unit}` : ''}`;
  if (trigger?.event) return `${rule.name}: ${device.name} (${trigger.event})`;
  return `${rule.name}: ${device.name}`;
}
