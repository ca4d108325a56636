import type { Logger } from 'pino';
import { recordAudit } from '../audit/index.js';
import { canSeeBuilding, type Role, type SessionUser } from '../auth/roles.js';
import type { Database } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import { WardenError } from '../http/errors.js';
import { appendLiveEvent } from '../live/live-feed.js';
import type { WorkOrderStatus } from '../workorders/work-order.types.js';
import { fieldError } from './quality-errors.js';
import { statusForWorkOrder, urgencies, type Category, type Urgency } from './service-request.types.js';

/** Who sees the live 'service.request' events (as ServiceRequestService publishes them). */
const liveAudience: Role[] = ['admin', 'manager', 'clerk'];

/** The request category of the trade an alarm's work order went to. */
export function categoryForTrade(trade: string): Category {
  switch (trade) {
    case 'plumbing':
    case 'electrical':
    case 'lift':
    case 'hvac':
    case 'cleaning':
    case 'security':
      return trade;
    default:
      return 'other';
  }
}

/**
 * Service requests opened by alarms (channel 'alarm'). When a new alarm episode opens
 * a work order and either
 *
 * - the rule is a maintenance rule and the device sits in a unit (devices.unit_id, set
 *   with PUT /api/service/device-units/:deviceId), e.g. a leak sensor under a flat's sink, or
 * - the rule is flagged (PUT /api/service/alarm-request-rules/:ruleId), whatever its device,
 *
 * a request is recorded for the episode's building (and unit, with the unit's owner as
 * requester, so they follow it and rate it), already dispatched: it is linked to the
 * alarm's work order, never a second one, and its status follows that work order.
 * The flag is kept beside the rule, not in its definition, which the alarm module
 * validates strictly.
 *
 * Exactly once per episode: service_requests.alarm_episode_id is unique, and only the
 * hub that raised the episode hears 'alarm.changed' with newEpisode. An episode whose
 * rule opens no work order makes no request; a recurrence that reopens a work order
 * that already has a request makes none either (that request follows the reopening).
 * Kept small on purpose: there is no catch-up sweep, so a hub stopping between the
 * episode's commit and this listener leaves that episode without a request (its work
 * order is there all the same); createForEpisode can be called again for it.
 */
export class AlarmRequestService {
  private unsubscribe: (() => void) | undefined;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = this.bus.on('alarm.changed', ({ episodeId, newEpisode }) => {
      if (!newEpisode || episodeId === null) return;
      const p = this.createForEpisode(episodeId)
        .catch((err: Error) => this.logger.warn({ err: err.message, episodeId }, 'could not open the service request of an alarm episode'))
        .finally(() => this.pending.delete(p));
      this.pending.add(p);
    });
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.idle();
  }

  /** Resolves once the requests of the episodes heard so far are recorded. */
  async idle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  /** Records the request of an episode if it qualifies; the id of the new request, or null. Idempotent. */
  async createForEpisode(episodeId: number): Promise<number | null> {
    const created = await this.db.transaction(async (tx) => {
      const ep = (await tx.query<{
        category: string;
        priority: string;
        message: string;
        building_id: string | null;
        work_order_id: number | null;
        unit_id: number | null;
        flagged: boolean;
        trade: string;
        wo_status: WorkOrderStatus;
        wo_number: string;
        location: string | null;
      }>(
        `SELECT e.category, e.priority, e.message, e.building_id, e.work_order_id, d.unit_id,
                EXISTS (SELECT 1 FROM service_request_rules f WHERE f.rule_id = e.rule_id) AS flagged,
                w.trade, w.status AS wo_status, w.number AS wo_number, w.location
           FROM alarm_episodes e JOIN devices d ON d.id = e.device_id LEFT JOIN work_orders w ON w.id = e.work_order_id
          WHERE e.id = $1`,
        [episodeId],
      )).rows[0];
      if (!ep || ep.work_order_id === null || ep.building_id === null) return null;
      if (!ep.flagged && !(ep.category === 'maintenance' && ep.unit_id !== null)) return null;
      // The unit's holder asks (an owner before a tenant or resident), so they see it in the portal and rate it.
      const owner = ep.unit_id === null ? undefined : (await tx.query<{ id: number; name: string; user_id: number | null }>(
        `SELECT o.id::int AS id, o.name, o.user_id FROM current_unit_owners c JOIN owners o ON o.id = c.owner_id
          WHERE c.unit_id = $1 ORDER BY c.role <> 'owner', c.from_date, o.id LIMIT 1`,
        [ep.unit_id],
      )).rows[0];
      const now = new Date();
      const status = statusForWorkOrder(ep.wo_status);
      const urgency: Urgency = (urgencies as readonly string[]).includes(ep.priority) ? (ep.priority as Urgency) : 'medium';
      // Nothing when the episode already has its request, or the (reopened) work order already has one.
      const row = (await tx.query<{ id: number; number: string }>(
        `INSERT INTO service_requests (number, channel, owner_id, user_id, contact_name, unit_id, building_id, location, category, urgency, description, status,
                                       work_order_id, alarm_episode_id, created_by, created_at, classified_at, dispatched_at, updated_at)
         VALUES ('SR-' || lpad(nextval('service_request_number_seq')::text, 6, '0'), 'alarm', $1, NULL, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'system', $12, $12, $12, $12)
         ON CONFLICT DO NOTHING RETURNING id::int AS id, number`,
        [owner?.id ?? null, owner?.name ?? null, ep.unit_id, ep.building_id, ep.location, categoryForTrade(ep.trade), urgency, ep.message, status, ep.work_order_id, episodeId, now],
      )).rows[0];
      if (!row) return null;
      const event = (action: string, from: string | null, to: string | null, note: string) =>
        tx.query(`INSERT INTO service_request_events (request_id, at, user_id, actor, action, from_status, to_status, note) VALUES ($1, $2, NULL, 'system', $3, $4, $5, $6)`, [row.id, now, action, from, to, note]);
      await event('create', null, 'new', ep.message);
      await event('dispatch', 'new', status, `raised by an alarm; linked to its work order ${ep.wo_number}`);
      await recordAudit(tx, { actor: 'system', action: 'service_request.create', targetType: 'service_request', targetId: row.id, details: { channel: 'alarm', episodeId, workOrderId: ep.work_order_id, unitId: ep.unit_id } });
      const liveEventId = await appendLiveEvent(tx, {
        type: 'service.request',
        buildingId: ep.building_id,
        audience: liveAudience,
        userIds: owner?.user_id != null ? [owner.user_id] : undefined,
        data: { action: 'create', request: { id: row.id, number: row.number, channel: 'alarm', category: categoryForTrade(ep.trade), urgency, status, unitId: ep.unit_id, workOrderId: ep.work_order_id } },
      });
      return { id: row.id, liveEventId };
    });
    if (!created) return null;
    this.bus.emit('live.appended', { lastId: created.liveEventId });
    return created.id;
  }

  // ------------------------------------------------------------ configuration

  /** Places a device in a unit of its building (or takes it out with null); audited. */
  async setDeviceUnit(user: SessionUser, deviceId: number, unitId: number | null): Promise<{ deviceId: number; unitId: number | null }> {
    return this.db.transaction(async (tx) => {
      const device = (await tx.query<{ building_id: string | null }>('SELECT building_id FROM devices WHERE id = $1 FOR UPDATE', [deviceId])).rows[0];
      if (!device || !canSeeBuilding(user, device.building_id)) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no device ${deviceId}`);
      if (unitId !== null) {
        const unit = (await tx.query<{ building_id: string }>('SELECT building_id FROM units WHERE id = $1', [unitId])).rows[0];
        if (!unit) throw fieldError('body.unitId', `no unit ${unitId}`);
        if (unit.building_id !== device.building_id) throw fieldError('body.unitId', `unit ${unitId} is in building ${unit.building_id}, the device in ${device.building_id ?? '(none)'}`);
      }
      await tx.query('UPDATE devices SET unit_id = $2 WHERE id = $1', [deviceId, unitId]);
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'device.unit', targetType: 'device', targetId: deviceId, details: { unitId } });
      return { deviceId, unitId };
    });
  }

  /** Flags a rule (or unflags it) so every episode it raises becomes a service request; audited. */
  async setRuleFlag(user: SessionUser, ruleId: number, serviceRequest: boolean): Promise<{ ruleId: number; serviceRequest: boolean }> {
    return this.db.transaction(async (tx) => {
      if (!(await tx.query('SELECT 1 FROM alarm_rules WHERE id = $1 AND NOT deleted', [ruleId])).rowCount) throw new WardenError('WARDEN_ERR_NOT_FOUND', `no alarm rule ${ruleId}`);
      if (serviceRequest) {
        await tx.query('INSERT INTO service_request_rules (rule_id, created_by) VALUES ($1, $2) ON CONFLICT DO NOTHING', [ruleId, user.username]);
      } else {
        await tx.query('DELETE FROM service_request_rules WHERE rule_id = $1', [ruleId]);
      }
      await recordAudit(tx, { userId: user.id, actor: user.username, action: 'alarm_rule.service_request', targetType: 'alarm_rule', targetId: ruleId, details: { serviceRequest } });
      return { ruleId, serviceRequest };
    });
  }
}
