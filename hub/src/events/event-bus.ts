import { EventEmitter } from 'node:events';
import type { DeviceEvent, Point } from '@warden/protocols';

/**
 * The hub's internal, typed event bus (ingest → alarms → work orders → live).
 * One name per event; listeners are registered through `on`, which returns the
 * function that removes them, so a module's stop() can release all it added.
 */
export interface HubEvents {
  'agent.state': { agentId: string; siteId: string; online: boolean; at: Date };
  'device.birth': { deviceId: number; agentId: string; code: string };
  'device.online': { deviceId: number; online: boolean; at: Date };
  /** Live (non-historical) points as they are ingested (queued for storage); `series[i]` is the series of `points[i]`. */
  'telemetry.points': { agentId: string; points: Point[]; series: { seriesId: number; deviceId: number }[] };
  'device.event': { agentId: string; deviceId: number; event: DeviceEvent };
  'ingest.rejected': { topic: string; reason: string };
  /** Live events were committed to live_events by this hub (the LiveHub then fans them out). */
  'live.appended': { lastId: number };
  /** A committed live event as every hub's LiveHub fans it out (from this hub or, through NOTIFY, another). */
  'live.event': { id: number; type: string; data: unknown };
  /**
   * An alarm's state changed (after commit). On an activation the raising hub adds the rule's
   * category and whether it opened a new episode (evidence is taken once per new security episode).
   */
  'alarm.changed': {
    alarmId: number;
    episodeId: number | null;
    deviceId: number;
    action: string;
    state: string;
    active: boolean;
    category?: 'maintenance' | 'security';
    newEpisode?: boolean;
  };
  /** A work order changed (after commit). */
  'workorder.changed': { workOrderId: number; action: string; status: string; deviceId: number | null };
}

export type HubEventName = keyof HubEvents;

export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  emit<E extends HubEventName>(name: E, payload: HubEvents[E]): void {
    this.emitter.emit(name, payload);
  }

  on<E extends HubEventName>(name: E, listener: (payload: HubEvents[E]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
}
