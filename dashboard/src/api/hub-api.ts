import { apiGet, apiPost, isApiError } from './client.ts';

/**
 * The slice of the hub's HTTP API the dashboard uses, with the shapes it expects.
 * When the hub publishes its OpenAPI document these types should be generated from it.
 */

export const roles = ['admin', 'manager', 'guard', 'technician', 'clerk', 'owner'] as const;
export type Role = (typeof roles)[number];

export interface User {
  id: number | string;
  username: string;
  displayName: string;
  role: Role;
  /** An administrator set the password: the user must choose their own before anything else. */
  mustChangePassword?: boolean;
}

export interface LoginAnswer {
  token: string;
  expiresAt: string;
  user: User;
}

export interface Device {
  id: number;
  code: string;
  agentId: string;
  site: string;
  building: string | null;
  floor: string | null;
  /** Dotted kind from the device birth, e.g. "pump", "meter.water", "sensor.temperature". */
  type: string;
  name: string;
  online: boolean;
  lastSeenAt: string | null;
}

export type MetricValue = number | boolean | string | null;

export interface LatestMetric {
  metric: string;
  unit: string | null;
  value: MetricValue;
  ts: string | null;
}

export interface HistoryPoint {
  ts: string;
  avg: number | null;
  min: number | null;
  max: number | null;
  last: number | null;
  count: number;
}

export interface HistoryAnswer {
  bucket: string;
  points: HistoryPoint[];
}

export interface HealthAnswer {
  status: 'ok';
}

export interface ReadyAnswer {
  status: 'ready' | 'not-ready';
  database: { ok: boolean; kind: 'pglite' | 'postgres'; storage: 'postgres' | 'timescaledb' };
  broker: { ok: boolean; kind: 'embedded' | 'external' };
}

// --- auth ---

export function login(username: string, password: string, signal?: AbortSignal): Promise<LoginAnswer> {
  return apiPost<LoginAnswer>('/api/auth/login', { username, password }, { signal, authenticated: false });
}

export async function fetchMe(signal?: AbortSignal): Promise<User> {
  return (await apiGet<{ user: User }>('/api/auth/me', { signal })).user;
}

export async function logout(): Promise<void> {
  await apiPost<unknown>('/api/auth/logout');
}

// --- devices ---

export async function listDevices(signal?: AbortSignal): Promise<Device[]> {
  return (await apiGet<{ devices: Device[] }>('/api/devices', { signal })).devices;
}

export async function deviceLatest(id: number, signal?: AbortSignal): Promise<LatestMetric[]> {
  return (await apiGet<{ metrics: LatestMetric[] }>(`/api/devices/${id}/latest`, { signal })).metrics;
}

export function deviceHistory(
  id: number,
  query: { metric: string; from: string; to: string; bucket: string },
  signal?: AbortSignal,
): Promise<HistoryAnswer> {
  return apiGet<HistoryAnswer>(`/api/devices/${id}/history`, { query, signal });
}

// --- system ---

export function fetchHealth(signal?: AbortSignal): Promise<HealthAnswer> {
  return apiGet<HealthAnswer>('/api/health', { signal, authenticated: false });
}

function isReadyAnswer(value: unknown): value is ReadyAnswer {
  return typeof value === 'object' && value !== null && 'status' in value && 'database' in value && 'broker' in value;
}

/** A not-ready hub answers 503 with the same body (load balancers read the status). */
export async function fetchReady(signal?: AbortSignal): Promise<ReadyAnswer> {
  try {
    return await apiGet<ReadyAnswer>('/api/ready', { signal, authenticated: false });
  } catch (error) {
    if (isApiError(error) && isReadyAnswer(error.body)) return error.body;
    throw error;
  }
}

// alarms

export const alarmPriorities = ['critical', 'high', 'medium', 'low'] as const;
export type AlarmPriority = (typeof alarmPriorities)[number];
export const alarmCategories = ['maintenance', 'security'] as const;
export type AlarmCategory = (typeof alarmCategories)[number];
/** ISA-18.2: unack = active unacknowledged, acked = active acknowledged, rtn_unack = returned unacknowledged. */
export type AlarmState = 'normal' | 'unack' | 'acked' | 'rtn_unack';
export type AlarmListView = 'standing' | 'shelved' | 'suppressed' | 'all';

/** An alarm as the hub sends it, in lists and in live `alarm.*` events: enough to draw a console row. */
export interface AlarmView {
  alarmId: number;
  ruleId: number;
  ruleName: string;
  priority: AlarmPriority;
  category: AlarmCategory;
  deviceId: number;
  deviceName: string;
  deviceType: string;
  buildingId: string | null;
  location: string | null;
  state: AlarmState;
  active: boolean;
  shelvedUntil: string | null;
  shelvedBy: string | null;
  shelveReason: string | null;
  suppressed: boolean;
  outOfService: boolean;
  episodeId: number | null;
  message: string | null;
  value: unknown;
  raisedAt: string | null;
  clearedAt: string | null;
  ackedAt: string | null;
  ackedBy: string | null;
  endedAt: string | null;
  activations: number;
  realarms: number;
  escalatedAt: string | null;
  workOrderId: number | null;
  workOrderNumber: string | null;
  workOrderStatus: string | null;
  changedAt: string;
}

/** `alarm.raised` / `alarm.changed` / `alarm.realarm` / `alarm.escalated` live event data. */
export interface AlarmEventData extends AlarmView {
  action: string;
  actor: string;
  note?: string | null;
}

export interface AlarmTransition {
  id: number;
  at: string;
  action: string;
  from: AlarmState;
  to: AlarmState;
  actor: string;
  note: string | null;
  episodeId: number | null;
  details: unknown;
}

export interface AlarmDetail {
  alarm: AlarmView;
  /** Newest first. */
  transitions: AlarmTransition[];
}

export interface AlarmListQuery {
  view?: AlarmListView;
  building?: string;
  priority?: AlarmPriority;
  category?: AlarmCategory;
  limit?: number;
}

export async function listAlarms(query: AlarmListQuery, signal?: AbortSignal): Promise<AlarmView[]> {
  return (await apiGet<{ alarms: AlarmView[] }>('/api/alarms', { query: { ...query }, signal })).alarms;
}

export function fetchAlarm(id: number, signal?: AbortSignal): Promise<AlarmDetail> {
  return apiGet<AlarmDetail>(`/api/alarms/${id}`, { signal });
}

async function alarmAction(id: number, action: 'ack' | 'shelve' | 'unshelve' | 'comment', body: Record<string, unknown>): Promise<AlarmView> {
  return (await apiPost<{ alarm: AlarmView }>(`/api/alarms/${id}/${action}`, body)).alarm;
}

export function acknowledgeAlarm(id: number, input: { note?: string; disposition?: string }): Promise<AlarmView> {
  return alarmAction(id, 'ack', input);
}

export function shelveAlarm(id: number, input: { reason: string; minutes: number }): Promise<AlarmView> {
  return alarmAction(id, 'shelve', input);
}

export function unshelveAlarm(id: number, input: { note?: string } = {}): Promise<AlarmView> {
  return alarmAction(id, 'unshelve', input);
}

export function commentAlarm(id: number, note: string): Promise<AlarmView> {
  return alarmAction(id, 'comment', { note });
}

export interface Estate {
  sites: { id: string; name: string }[];
  buildings: { id: string; siteId: string; name: string; floors: { id: number; code: string; level: number; name: string | null }[] }[];
}

export function fetchEstate(signal?: AbortSignal): Promise<Estate> {
  return apiGet<Estate>('/api/estate', { signal });
}

export interface WorkOrderBrief {
  id: number;
  number: string;
  kind: AlarmCategory;
  title: string;
  status: string;
  priority: AlarmPriority;
  trade: string;
  buildingId: string | null;
  deviceId: number | null;
  assignee: { id: number; name: string } | null;
  acceptDueAt: string;
  resolveDueAt: string;
}

export interface StaffMember {
  id: number;
  name: string;
  position: string | null;
  userId: number | null;
  username: string | null;
  role: Role | null;
  active: boolean;
  trades: string[];
  /** Empty: the whole estate. */
  buildings: string[];
  onShift: boolean;
  openWorkload: number;
}

export async function fetchWorkOrderBrief(id: number, signal?: AbortSignal): Promise<WorkOrderBrief> {
  return (await apiGet<{ workOrder: WorkOrderBrief }>(`/api/work-orders/${id}`, { signal })).workOrder;
}

export async function listStaff(query: { building?: string } = {}, signal?: AbortSignal): Promise<StaffMember[]> {
  return (await apiGet<{ staff: StaffMember[] }>('/api/staff', { query, signal })).staff;
}

/** Assign to a person, or (no staffId) let dispatch choose. */
export async function assignWorkOrder(id: number, staffId?: number, note?: string): Promise<WorkOrderBrief> {
  return (await apiPost<{ workOrder: WorkOrderBrief }>(`/api/work-orders/${id}/assign`, { staffId, note })).workOrder;
}

export async function createWorkOrder(input: {
  kind: AlarmCategory;
  title: string;
  description?: string;
  priority: AlarmPriority;
  buildingId?: string;
  deviceId?: number;
}): Promise<WorkOrderBrief> {
  return (await apiPost<{ workOrder: WorkOrderBrief }>('/api/work-orders', input)).workOrder;
}

export const shiftLogKinds = ['note', 'handover', 'patrol'] as const;
export type ShiftLogKind = (typeof shiftLogKinds)[number];

export interface ShiftLogEntry {
  id: number;
  at: string;
  authorId: number | null;
  authorName: string;
  buildingId: string | null;
  kind: ShiftLogKind;
  text: string;
  alarmIds: number[];
}

export async function listShiftLog(query: { since?: string; building?: string; limit?: number } = {}, signal?: AbortSignal): Promise<ShiftLogEntry[]> {
  return (await apiGet<{ entries: ShiftLogEntry[] }>('/api/shift-log', { query, signal })).entries;
}

export async function addShiftLogEntry(input: { kind: ShiftLogKind; text: string; buildingId?: string; alarmIds?: number[] }): Promise<ShiftLogEntry> {
  return (await apiPost<{ entry: ShiftLogEntry }>('/api/shift-log', input)).entry;
}

// work orders
// Shapes of hub/src/workorders/work-order.routes.ts, hub/src/alarms/alarm-kpis.ts and the
// work-order live events (work-order.service.ts liveSummary).

export const workOrderStatuses = ['open', 'assigned', 'accepted', 'in_progress', 'on_hold', 'resolved', 'closed', 'cancelled'] as const;
export type WorkOrderStatus = (typeof workOrderStatuses)[number];
export const workOrderKinds = ['maintenance', 'security'] as const;
export type WorkOrderKind = (typeof workOrderKinds)[number];
export const workOrderPriorities = ['critical', 'high', 'medium', 'low'] as const;
export type WorkOrderPriority = (typeof workOrderPriorities)[number];
export type WorkOrderVerification = 'normal' | 'abnormal' | 'unverified';

export interface WorkOrder {
  id: number;
  number: string;
  kind: WorkOrderKind;
  source: 'alarm' | 'manual' | 'request' | 'preventive';
  alarmEpisodeId: number | null;
  title: string;
  description: string | null;
  priority: WorkOrderPriority;
  status: WorkOrderStatus;
  trade: string;
  buildingId: string | null;
  deviceId: number | null;
  deviceName: string | null;
  location: string | null;
  assignee: { id: number; name: string } | null;
  createdBy: string;
  createdAt: string;
  acceptDueAt: string;
  resolveDueAt: string;
  assignedAt: string | null;
  acceptedAt: string | null;
  startedAt: string | null;
  resolvedAt: string | null;
  closedAt: string | null;
  cancelledAt: string | null;
  resolution: string | null;
  verification: WorkOrderVerification | null;
  reopenCount: number;
  escalationLevel: number;
  acceptBreachedAt: string | null;
  resolveBreachedAt: string | null;
  updatedAt: string;
}

export interface WorkOrderEvent {
  id: number;
  at: string;
  /** A lifecycle action, or 'create', 'escalate', 'dispatch.none'. */
  action: string;
  fromStatus: WorkOrderStatus | null;
  toStatus: WorkOrderStatus;
  userId: number | null;
  actor: string;
  note: string | null;
  details: Record<string, unknown> | null;
}

export interface WorkOrderAlarmSummary {
  id: number;
  ruleId: number;
  ruleName: string;
  state: string;
  active: boolean;
  suppressed: boolean;
  episodes: { id: number; priority: string; message: string; raisedAt: string; clearedAt: string | null; ackedAt: string | null; endedAt: string | null }[];
}

export interface WorkOrderDetail {
  workOrder: WorkOrder;
  events: WorkOrderEvent[];
  alarm: WorkOrderAlarmSummary | null;
}

export interface WorkOrderOutcome {
  workOrder: WorkOrder;
  /** E.g. "the alarm that opened WO-000001 is still active: the reading is still abnormal". */
  warnings: string[];
}

export interface WorkOrderPage {
  workOrders: WorkOrder[];
  total: number;
  page: number;
  limit: number;
}

export interface WorkOrderListQuery {
  status?: readonly WorkOrderStatus[];
  kind?: WorkOrderKind;
  building?: string;
  trade?: string;
  assignee?: 'me' | number;
  page?: number;
  /** At most 200. */
  limit?: number;
}

/** The `workOrder` of a 'workorder.created' / 'workorder.changed' / 'workorder.escalated' live event. */
export interface WorkOrderLiveSummary {
  id: number;
  number: string;
  kind: WorkOrderKind;
  source: WorkOrder['source'];
  status: WorkOrderStatus;
  priority: WorkOrderPriority;
  trade: string;
  title: string;
  buildingId: string | null;
  deviceId: number | null;
  assigneeId: number | null;
  escalationLevel: number;
  acceptDueAt: string;
  resolveDueAt: string;
}

export interface WorkOrderLiveData {
  action: string;
  actor?: string;
  from?: WorkOrderStatus;
  /** workorder.escalated: which SLA was breached. */
  sla?: 'accept' | 'resolve';
  warnings?: string[];
  workOrder: WorkOrderLiveSummary;
}

export type WorkOrderActionName = 'assign' | 'claim' | 'accept' | 'start' | 'hold' | 'resume' | 'resolve' | 'close' | 'cancel' | 'reopen' | 'comment';

export interface WorkOrderActionBody {
  note?: string;
  reason?: string;
  resolution?: string;
  partsUsed?: { partCode: string; qty: number }[];
  staffId?: number;
  text?: string;
}

export interface NewWorkOrder {
  kind: WorkOrderKind;
  title: string;
  description?: string;
  priority: WorkOrderPriority;
  trade?: string;
  buildingId?: string;
  deviceId?: number;
  location?: string;
}

export interface SlaCompliance {
  measured: number;
  met: number;
  /** met / measured; null when nothing was measured. */
  compliance: number | null;
}

export interface WorkOrderKpiBlock {
  created: number;
  cancelled: number;
  accepted: number;
  resolved: number;
  acceptSla: SlaCompliance;
  resolveSla: SlaCompliance;
  mttaSeconds: number | null;
  mttrSeconds: number | null;
}

export interface WorkOrderKpis {
  from: string;
  to: string;
  openByTrade: { trade: string; open: number }[];
  overall: WorkOrderKpiBlock;
  byTrade: (WorkOrderKpiBlock & { trade: string })[];
  byBuilding: (WorkOrderKpiBlock & { buildingId: string | null })[];
}

export interface AlarmKpis {
  from: string;
  to: string;
  building: string | null;
  activations: number;
  episodes: number;
  per10Min: { average: number; peak: number };
  perHour: { average: number; peak: number };
  floods: { start: string; count: number }[];
  floodPercent: number;
  /** Activations per 10-minute period, oldest first; periods without any are left out. */
  series: { start: string; count: number }[];
  chattering: { alarmId: number; ruleName: string; deviceName: string; maxPerMinute: number }[];
  stale: { alarmId: number; ruleName: string; deviceName: string; since: string }[];
  topContributors: { alarmId: number; ruleName: string; deviceName: string; activations: number; share: number }[];
  timeToAck: { count: number; averageSec: number | null; medianSec: number | null; p90Sec: number | null };
  byBuilding: { building: string | null; activations: number; episodes: number; unacknowledged: number }[];
  byPriority: { priority: string; activations: number }[];
}

export interface HistoryAnswerWithUnit extends HistoryAnswer {
  metric: string;
  unit: string | null;
  type: 'number' | 'boolean' | 'string';
}

export function listWorkOrders(query: WorkOrderListQuery, signal?: AbortSignal): Promise<WorkOrderPage> {
  return apiGet<WorkOrderPage>('/api/work-orders', {
    signal,
    query: {
      status: query.status?.length ? query.status.join(',') : undefined,
      kind: query.kind,
      building: query.building,
      trade: query.trade,
      assignee: query.assignee,
      page: query.page,
      limit: query.limit,
    },
  });
}

export function fetchWorkOrder(id: number, signal?: AbortSignal): Promise<WorkOrderDetail> {
  return apiGet<WorkOrderDetail>(`/api/work-orders/${id}`, { signal });
}

export function workOrderAction(id: number, action: WorkOrderActionName, body: WorkOrderActionBody = {}): Promise<WorkOrderOutcome> {
  return apiPost<WorkOrderOutcome>(`/api/work-orders/${id}/${action}`, body);
}

export function createManualWorkOrder(body: NewWorkOrder): Promise<WorkOrderOutcome> {
  return apiPost<WorkOrderOutcome>('/api/work-orders', body);
}

export function fetchWorkOrderKpis(query: { from?: string; to?: string; building?: string }, signal?: AbortSignal): Promise<WorkOrderKpis> {
  return apiGet<WorkOrderKpis>('/api/work-orders/kpis', { signal, query });
}

export function fetchAlarmKpis(query: { from?: string; to?: string; building?: string }, signal?: AbortSignal): Promise<AlarmKpis> {
  return apiGet<AlarmKpis>('/api/alarms/kpis', { signal, query });
}

/** A reading an alarm rule's condition tests, with its threshold when it is one. */
export interface AlarmRuleMetric {
  metric: string;
  op: string | null;
  threshold: number | null;
}

/** The readings an alarm rule's condition tests (walking AND/OR combinations). */
export async function fetchAlarmRuleMetrics(ruleId: number, signal?: AbortSignal): Promise<AlarmRuleMetric[]> {
  const { rule } = await apiGet<{ rule: { definition?: { condition?: unknown } } }>(`/api/alarm-rules/${ruleId}`, { signal });
  const found: AlarmRuleMetric[] = [];
  const walk = (node: unknown) => {
    if (typeof node !== 'object' || node === null) return;
    const { metric, conditions, kind, op, value } = node as Record<string, unknown>;
    if (typeof metric === 'string') {
      const threshold = kind === 'threshold' && typeof value === 'number' ? value : null;
      found.push({ metric, op: typeof op === 'string' ? op : null, threshold });
    }
    if (Array.isArray(conditions)) conditions.forEach(walk);
  };
  walk(rule.definition?.condition);
  return found;
}

export function metricHistory(
  deviceId: number,
  query: { metric: string; from: string; to: string; bucket?: string },
  signal?: AbortSignal,
): Promise<HistoryAnswerWithUnit> {
  return apiGet<HistoryAnswerWithUnit>(`/api/devices/${deviceId}/history`, { query: { bucket: 'auto', ...query }, signal });
}

// records

export const unitStatuses = ['occupied', 'vacant', 'rented', 'under_repair', 'renovation'] as const;
export type UnitStatus = (typeof unitStatuses)[number];
export const associationRoles = ['owner', 'tenant', 'resident'] as const;
export type AssociationRole = (typeof associationRoles)[number];
export const unitSorts = ['number', 'building', 'floor', 'area', 'status', 'updated'] as const;
export type UnitSort = (typeof unitSorts)[number];
export const importKinds = ['units', 'owners', 'staff'] as const;
export type ImportKind = (typeof importKinds)[number];

export interface Unit {
  id: number;
  buildingId: string;
  buildingName: string;
  floor: string | null;
  number: string;
  location: string | null;
  areaM2: number | null;
  layout: string | null;
  status: UnitStatus;
  statusChangedAt: string;
  createdAt: string;
  updatedAt: string;
  occupants: { ownerId: number; name: string; role: AssociationRole }[];
}

export interface UnitStatusChange {
  id: number;
  from: UnitStatus | null;
  to: UnitStatus;
  at: string;
  by: string;
  reason: string | null;
}

export interface UnitAssociation {
  id: number;
  unitId: number;
  ownerId: number;
  ownerName: string;
  role: AssociationRole;
  fromDate: string;
  toDate: string | null;
  current: boolean;
  createdBy: string;
  endedBy: string | null;
  endReason: string | null;
}

export interface UnitDetail {
  unit: Unit;
  history: UnitStatusChange[];
  associations: UnitAssociation[];
}

export interface UnitSearchQuery {
  building?: string;
  floor?: string;
  status?: string;
  minArea?: number;
  maxArea?: number;
  owner?: string;
  q?: string;
  sort?: UnitSort;
  order?: 'asc' | 'desc';
  page?: number;
  limit?: number;
}

export interface Owner {
  id: number;
  name: string;
  idType: 'resident_id' | 'passport' | 'other';
  /** Always masked; the clear number only through revealOwnerId. */
  nationalIdMasked: string;
  phone: string | null;
  email: string | null;
  contactsMasked: boolean;
  userId: number | null;
  username: string | null;
  notes: string | null;
  units: { associationId: number; unitId: number; buildingId: string; number: string; role: AssociationRole }[];
  createdAt: string;
  updatedAt: string;
}

export interface ImportReport {
  kind: ImportKind;
  dryRun: boolean;
  rows: number;
  accepted: number;
  imported: number;
  rejected: { row: number; field: string; message: string }[];
}

export function searchUnits(query: UnitSearchQuery, signal?: AbortSignal): Promise<{ units: Unit[]; total: number; page: number; limit: number }> {
  return apiGet('/api/units', { query: { ...query }, signal });
}

export function fetchUnit(id: number, signal?: AbortSignal): Promise<UnitDetail> {
  return apiGet<UnitDetail>(`/api/units/${id}`, { signal });
}

export function changeUnitStatus(id: number, status: UnitStatus, reason: string): Promise<UnitDetail> {
  return apiPost<UnitDetail>(`/api/units/${id}/status`, reason.trim() ? { status, reason: reason.trim() } : { status });
}

export async function addUnitAssociation(unitId: number, input: { ownerId: number; role: AssociationRole; fromDate: string; toDate?: string }): Promise<UnitAssociation> {
  return (await apiPost<{ association: UnitAssociation }>(`/api/units/${unitId}/owners`, input)).association;
}

export async function endUnitAssociation(unitId: number, associationId: number, input: { toDate: string; reason?: string }): Promise<UnitAssociation> {
  return (await apiPost<{ association: UnitAssociation }>(`/api/units/${unitId}/owners/${associationId}/end`, input)).association;
}

export function searchOwners(query: { q?: string; unit?: number; page?: number; limit?: number }, signal?: AbortSignal): Promise<{ owners: Owner[]; total: number; page: number; limit: number }> {
  return apiGet('/api/owners', { query: { ...query }, signal });
}

/** The clear ID number; the hub audits every call with the reason. */
export function revealOwnerId(id: number, reason: string): Promise<{ ownerId: number; idType: Owner['idType']; nationalId: string }> {
  return apiPost(`/api/owners/${id}/reveal-id`, { reason });
}

// end records

// security
// Shapes of hub/src/security/security.routes.ts and the `alarm.evidence` / `door.command` live events.

export interface Evidence {
  id: number;
  episodeId: number;
  incidentId: number | null;
  cameraId: number;
  cameraCode: string;
  cameraName: string;
  kind: 'snapshot' | 'clip';
  contentType: string;
  size: number;
  width: number | null;
  height: number | null;
  seconds: number | null;
  capturedAt: string;
  createdAt: string;
  /** Came after the hub's snapshot deadline; kept so the guard still sees it. */
  late: boolean;
  /** The bytes, for an authenticated request; add `?token=` for <img>/<video>. */
  url: string;
}

export interface EvidenceFailure {
  cameraId: number | null;
  cameraName?: string | null;
  kind: string;
  reason: string;
}

/** `alarm.evidence` live event data. */
export interface AlarmEvidenceEvent {
  alarmId: number;
  episodeId: number;
  incidentId: number | null;
  evidence: Evidence[];
  failed: EvidenceFailure[];
}

export interface RelatedDevice {
  id: number;
  code: string;
  name: string;
  type: string;
}

export interface Door {
  id: number;
  code: string;
  name: string;
  type: string;
  building: string | null;
  floor: string | null;
  zone: string | null;
  location: string | null;
  online: boolean;
  open: boolean | null;
  locked: boolean | null;
  coveredBy: RelatedDevice[];
}

export interface Camera {
  id: number;
  code: string;
  name: string;
  building: string | null;
  online: boolean;
  covers: RelatedDevice[];
}

export type DoorAction = 'unlock' | 'lock' | 'access';

export interface DoorCommandOutcome {
  id: string;
  name: string;
  deviceId: number | null;
  result: string;
  message: string | null;
  elapsedMs: number;
}

/** `door.command` live event data. */
export interface DoorCommandEvent {
  deviceId: number;
  code: string;
  command: string;
  reason: string;
  result: string;
  message: string | null;
  actor: string;
  at: string;
}

export interface Incident {
  id: number;
  buildingId: string | null;
  zone: string | null;
  title: string;
  priority: string;
  openedAt: string;
  closedAt: string | null;
  workOrderId: number | null;
  workOrderNumber: string | null;
  workOrderStatus: string | null;
  episodes: number;
  evidence: number;
}

export async function listEpisodeEvidence(episodeId: number, signal?: AbortSignal): Promise<Evidence[]> {
  return (await apiGet<{ evidence: Evidence[] }>(`/api/alarm-episodes/${episodeId}/evidence`, { signal })).evidence;
}

export async function listDoors(signal?: AbortSignal): Promise<Door[]> {
  return (await apiGet<{ doors: Door[] }>('/api/doors', { signal })).doors;
}

export async function listCameras(signal?: AbortSignal): Promise<Camera[]> {
  return (await apiGet<{ cameras: Camera[] }>('/api/cameras', { signal })).cameras;
}

export async function commandDoor(doorId: number, action: DoorAction, input: { reason: string; durationSec?: number }): Promise<DoorCommandOutcome> {
  return (await apiPost<{ command: DoorCommandOutcome }>(`/api/doors/${doorId}/${action}`, input)).command;
}

/** GET /api/zones: a security zone, whether it is armed now and whose schedule arms it. */
export interface ZoneView {
  building: string;
  zone: string;
  /** null: neither the zone nor the estate has a schedule (never armed). */
  armedNow: boolean | null;
  /** The zone's own schedule, the estate's default, or none. */
  source: 'zone' | 'default' | null;
  devices: number;
  doors: number;
  cameras: number;
}

export async function listZones(signal?: AbortSignal): Promise<ZoneView[]> {
  return (await apiGet<{ zones: ZoneView[] }>('/api/zones', { signal })).zones;
}

export async function listIncidents(query: { status?: 'open' | 'closed' | 'all'; building?: string } = {}, signal?: AbortSignal): Promise<Incident[]> {
  return (await apiGet<{ incidents: Incident[] }>('/api/incidents', { query: { ...query }, signal })).incidents;
}
// end security
