export const workOrderStatuses = ['open', 'assigned', 'accepted', 'in_progress', 'on_hold', 'resolved', 'closed', 'cancelled'] as const;
export type WorkOrderStatus = (typeof workOrderStatuses)[number];

export const workOrderKinds = ['maintenance', 'security'] as const;
export type WorkOrderKind = (typeof workOrderKinds)[number];

export const priorities = ['critical', 'high', 'medium', 'low'] as const;
export type Priority = (typeof priorities)[number];

export const verifications = ['normal', 'abnormal', 'unverified'] as const;
export type Verification = (typeof verifications)[number];

/** Statuses in which the work is done: nothing more is expected of the assignee. */
export const finishedStatuses: readonly WorkOrderStatus[] = ['resolved', 'closed', 'cancelled'];
/** Statuses in which someone is working on the equipment: its alarms are suppressed by design (ISA-18.2). */
export const workingStatuses: readonly WorkOrderStatus[] = ['in_progress', 'on_hold'];

/** Actions people take on a work order through the API. */
export const lifecycleActions = ['assign', 'accept', 'start', 'hold', 'resume', 'resolve', 'close', 'cancel', 'reopen', 'comment'] as const;
export type LifecycleAction = (typeof lifecycleActions)[number];

/**
 * The lifecycle: open → assigned → accepted → in_progress ⇄ on_hold → resolved → closed,
 * cancelled from any state but closed, reopened from resolved or closed. Reassignment
 * is allowed until the work is finished; the new assignee accepts afresh. A comment
 * changes nothing and is allowed in every state.
 */
export const transitions: Record<Exclude<LifecycleAction, 'comment'>, { from: readonly WorkOrderStatus[]; to: WorkOrderStatus }> = {
  assign: { from: ['open', 'assigned', 'accepted', 'in_progress', 'on_hold'], to: 'assigned' },
  accept: { from: ['assigned'], to: 'accepted' },
  start: { from: ['accepted'], to: 'in_progress' },
  hold: { from: ['in_progress'], to: 'on_hold' },
  resume: { from: ['on_hold'], to: 'in_progress' },
  resolve: { from: ['in_progress', 'on_hold'], to: 'resolved' },
  close: { from: ['resolved'], to: 'closed' },
  cancel: { from: ['open', 'assigned', 'accepted', 'in_progress', 'on_hold', 'resolved'], to: 'cancelled' },
  reopen: { from: ['resolved', 'closed'], to: 'open' },
};

/** The work order an alarm episode opens, as the alarm engine describes it. */
export interface EpisodeWorkOrderInput {
  episodeId: number;
  alarmId: number;
  ruleId: number;
  ruleName: string;
  kind: WorkOrderKind;
  priority: Priority;
  /** Default: from the kind and the device type (see tradeForDevice). */
  trade?: string;
  buildingId: string | null;
  deviceId: number;
  deviceName: string;
  location: string | null;
  message: string;
  raisedAt: Date;
  /**
   * A work order of the same alarm resolved less than this long ago is reopened instead of a new one (default 1440);
   * one not finished yet is joined. 0: every episode gets a work order of its own.
   */
  reopenWithinMinutes?: number;
}

export interface EpisodeWorkOrderResult {
  workOrderId: number;
  number: string;
  /** True when a recently resolved work order of the same alarm was reopened. */
  reopened: boolean;
  /** True when the episode joined a work order of the same alarm that was not finished yet (the fault recurred while it was open). */
  recurred: boolean;
  /** The staff member dispatched, or null when nobody suitable was found (the work order stays open). */
  assigneeId: number | null;
  status: WorkOrderStatus;
  deviceId: number;
  /** The live event appended in the caller's transaction: emit it after commit (see WorkOrderService.afterCommit). */
  liveEventId: number;
}

const deviceTypeTrades: [prefix: string, trade: string][] = [
  ['pump', 'plumbing'],
  ['sensor.leak', 'plumbing'],
  ['sensor.level', 'plumbing'],
  ['meter.water', 'plumbing'],
  ['lift', 'lift'],
  ['meter.electricity', 'electrical'],
  ['sensor.smoke', 'fire'],
  ['sensor.temperature', 'hvac'],
];

/** The trade that repairs a device of this type ("pump", "pump.booster", "meter.water", ...). */
export function tradeForDevice(kind: WorkOrderKind, deviceType: string | null): string {
  if (kind === 'security') return 'security';
  if (deviceType) {
    for (const [prefix, trade] of deviceTypeTrades) if (deviceType === prefix || deviceType.startsWith(`${prefix}.`)) return trade;
  }
  return 'general';
}
