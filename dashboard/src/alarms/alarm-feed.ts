import { ApiError, CLIENT_ERR_NETWORK, isAbortError } from '../api/client.ts';
import { type AlarmView } from '../api/hub-api.ts';
import { type LiveConnectionState, type LiveMessage } from '../live/live-client.ts';
import {
  alarmEventTypes,
  applyLiveBatch,
  applyLocal,
  emptyAlarmState,
  loadSnapshot,
  workOrderEventTypes,
  type AlarmStoreState,
} from './alarm-store.ts';

/** The part of LiveClient the feed uses, so tests hand in a fake. */
export interface LiveSource {
  readonly state: LiveConnectionState;
  readonly lastEventId: number | null;
  onMessage(listener: (message: LiveMessage) => void): () => void;
  onState(listener: (state: LiveConnectionState) => void): () => void;
}

export interface FeedStatus {
  loading: boolean;
  /** The last load's failure; the alarms shown are then those of the previous good load plus live events. */
  error: ApiError | null;
  loadedAt: number | null;
}

export interface AlarmFeedOptions {
  live: LiveSource;
  /** Every alarm the console may show: the union of the hub's standing, shelved and suppressed lists. */
  load: (signal: AbortSignal) => Promise<AlarmView[]>;
  /** Runs `flush` soon, once; returns a cancel function. Default: next animation frame (or 250 ms in a hidden tab). */
  schedule?: (flush: () => void) => () => void;
  now?: () => number;
  /** Reload this often while the live stream is down, so the console never goes stale silently. */
  fallbackPollMs?: number;
}

const relevantTypes = new Set<string>([...alarmEventTypes, ...workOrderEventTypes]);

/**
 * Both an animation frame and a timer: frames do not run in a hidden tab, and a control
 * room's console is often behind another window, where its alarms must still sound.
 */
export function nextFrame(flush: () => void): () => void {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    cancel();
    flush();
  };
  const frame = typeof requestAnimationFrame === 'function' ? requestAnimationFrame(run) : null;
  const timer = setTimeout(run, 250);
  const cancel = () => {
    if (frame !== null) cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
  return () => {
    done = true;
    cancel();
  };
}

/**
 * Keeps the console's alarm store current: one load from the API, then live events,
 * queued as they arrive and applied together once per animation frame, so a burst of
 * hundreds of events costs one render. Reloads when the hub says the stream was reset
 * (or restarted from "now"), and polls while the stream is down.
 */
export class AlarmFeed {
  private current: AlarmStoreState = emptyAlarmState();
  private currentStatus: FeedStatus = { loading: true, error: null, loadedAt: null };
  private queue: LiveMessage[] = [];
  /** Live events received while a load is in flight, replayed over its answer. */
  private duringLoad: LiveMessage[] | null = null;
  private loadController: AbortController | null = null;
  private cancelFlush: (() => void) | null = null;
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private offLive: (() => void)[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly annunciateListeners = new Set<(alarms: AlarmView[]) => void>();
  private readonly schedule: (flush: () => void) => () => void;
  private readonly now: () => number;
  private running = false;

  constructor(private readonly options: AlarmFeedOptions) {
    this.schedule = options.schedule ?? nextFrame;
    this.now = options.now ?? Date.now;
  }

  get state(): AlarmStoreState {
    return this.current;
  }

  get status(): FeedStatus {
    return this.currentStatus;
  }

  /** Called after every change of `state` or `status`. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Alarms that just became standing-unacknowledged, once per batch. */
  onAnnunciate(listener: (alarms: AlarmView[]) => void): () => void {
    this.annunciateListeners.add(listener);
    return () => this.annunciateListeners.delete(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const { live } = this.options;
    this.offLive.push(live.onMessage(this.receive));
    this.offLive.push(live.onState(() => this.updatePolling()));
    this.updatePolling();
    this.reload();
  }

  stop(): void {
    this.running = false;
    for (const off of this.offLive.splice(0)) off();
    this.cancelFlush?.();
    this.cancelFlush = null;
    this.loadController?.abort();
    this.loadController = null;
    this.duringLoad = null;
    this.queue = [];
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  /** Loads every alarm afresh; live events that arrive meanwhile are kept and replayed over the answer. */
  reload(): void {
    if (!this.running) return;
    this.loadController?.abort();
    const controller = new AbortController();
    this.loadController = controller;
    // Events still queued are replayed over the answer too, so none lands after it out of order.
    this.duringLoad = [...this.queue];
    this.setStatus({ ...this.currentStatus, loading: true });
    this.options.load(controller.signal).then(
      (views) => {
        if (this.loadController !== controller) return;
        this.loadController = null;
        // The queue's events are in the replay too; flushing them again would be ignored as already seen.
        this.current = loadSnapshot(views, this.duringLoad ?? [], this.now(), this.current);
        this.duringLoad = null;
        this.setStatus({ loading: false, error: null, loadedAt: this.now() });
      },
      (cause: unknown) => {
        if (this.loadController !== controller || isAbortError(cause)) return;
        this.loadController = null;
        this.duringLoad = null;
        const error = cause instanceof ApiError ? cause : new ApiError(0, CLIENT_ERR_NETWORK, String(cause));
        this.setStatus({ loading: false, error, loadedAt: this.currentStatus.loadedAt });
      },
    );
  }

  /** The answer to one of our own actions; see applyLocal. */
  applyOwn(view: AlarmView, liveIdBefore: number | undefined): void {
    const next = applyLocal(this.current, view, liveIdBefore, this.now());
    if (next === this.current) return;
    this.current = next;
    this.notify();
  }

  /** Flushes queued events now (tests, and before reading state right after an action). */
  flush = (): void => {
    this.cancelFlush = null;
    if (!this.queue.length) return;
    const batch = this.queue;
    this.queue = [];
    const result = applyLiveBatch(this.current, batch, this.now());
    if (result.state === this.current) return;
    this.current = result.state;
    this.notify();
    if (result.annunciated.length) for (const listener of [...this.annunciateListeners]) listener(result.annunciated);
  };

  private readonly receive = (message: LiveMessage): void => {
    if (message.type === 'live.reset' || message.type === 'live.hello') {
      // reset: the hub no longer has the events after our resume point. hello: the stream
      // (re)started from "now", so anything between our load and it is unknown. Either way, reload.
      this.reload();
      return;
    }
    if (!relevantTypes.has(message.type)) return;
    this.duringLoad?.push(message);
    this.queue.push(message);
    this.cancelFlush ??= this.schedule(this.flush);
  };

  private updatePolling(): void {
    const down = this.running && this.options.live.state !== 'connected';
    if (down && !this.pollTimer) {
      this.pollTimer = setInterval(() => this.reload(), this.options.fallbackPollMs ?? 15_000);
    } else if (!down && this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = null;
    }
  }

  private setStatus(status: FeedStatus): void {
    this.currentStatus = status;
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
