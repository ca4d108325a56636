import { apiGet, apiPost } from '../api/client.ts';
import { type Role } from '../api/hub-api.ts';

/** The equipment ledger and spare parts, as the hub answers them (hub/src/assets/assets.routes.ts). */

/** The hub's rules, to offer only what it will accept: receiving parts, and counting them. */
export const partsReceiverRoles: readonly Role[] = ['admin', 'manager', 'technician', 'clerk'];
export const partsManagerRoles: readonly Role[] = ['admin', 'manager'];

export interface Equipment {
  id: number;
  code: string;
  name: string;
  type: string;
  model: string | null;
  manufacturer: string | null;
  serial: string | null;
  buildingId: string | null;
  floor: string | null;
  location: string | null;
  installDate: string | null;
  warrantyUntil: string | null;
  parameters: Record<string, unknown>;
  deviceId: number | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface EquipmentWorkOrder {
  id: number;
  number: string;
  title: string;
  status: string;
  kind: string;
  createdAt: string;
  resolvedAt: string | null;
  resolution: string | null;
  deviceId: number | null;
  /** Issued less returned. */
  parts: { partCode: string; partName: string; unit: string; qty: number }[];
  /** The device's latest reading of each metric when the work order was opened. */
  readings: { metric: string; unit: string | null; ts: string; value: number | null; valueText: string | null }[];
}

export interface EquipmentHistory {
  equipment: Equipment;
  workOrders: EquipmentWorkOrder[];
}

export interface EquipmentQuery {
  building?: string;
  type?: string;
  q?: string;
  warrantyWithinDays?: number;
  page?: number;
  limit?: number;
}

export interface Part {
  id: number;
  code: string;
  name: string;
  unit: string;
  reorderLevel: number;
  /** All stores. */
  onHand: number;
  createdAt: string;
  updatedAt: string;
}

export interface StockLine {
  partId: number;
  partCode: string;
  name: string;
  unit: string;
  reorderLevel: number;
  store: string;
  qty: number;
  low: boolean;
  updatedAt: string;
}

export const movementKinds = ['receipt', 'issue', 'return', 'adjustment'] as const;
export type MovementKind = (typeof movementKinds)[number];

export interface Movement {
  id: number;
  partCode: string;
  store: string;
  kind: MovementKind;
  /** Signed. */
  qty: number;
  /** Stock in the store after it. */
  balance: number;
  workOrderId: number | null;
  by: string;
  at: string;
  note: string | null;
}

export function searchEquipment(query: EquipmentQuery, signal?: AbortSignal): Promise<{ equipment: Equipment[]; total: number; page: number; limit: number }> {
  return apiGet('/api/equipment', { query: { ...query }, signal });
}

export function fetchEquipmentHistory(id: number, signal?: AbortSignal): Promise<EquipmentHistory> {
  return apiGet<EquipmentHistory>(`/api/equipment/${id}/history`, { signal });
}

export async function listParts(query: { q?: string } = {}, signal?: AbortSignal): Promise<Part[]> {
  return (await apiGet<{ parts: Part[] }>('/api/parts', { query, signal })).parts;
}

export async function listStock(query: { store?: string; part?: string } = {}, signal?: AbortSignal): Promise<StockLine[]> {
  return (await apiGet<{ stock: StockLine[] }>('/api/parts/stock', { query, signal })).stock;
}

export async function listMovements(query: { part?: string; store?: string; kind?: MovementKind; limit?: number } = {}, signal?: AbortSignal): Promise<Movement[]> {
  return (await apiGet<{ movements: Movement[] }>('/api/parts/movements', { query, signal })).movements;
}

export async function receiveParts(input: { partCode: string; store: string; qty: number; note?: string }): Promise<Movement[]> {
  return (await apiPost<{ movements: Movement[] }>('/api/parts/receipts', input)).movements;
}

export async function adjustStock(input: { partCode: string; store: string; qty: number; reason: string }): Promise<Movement[]> {
  return (await apiPost<{ movements: Movement[] }>('/api/parts/adjustments', input)).movements;
}
