/**
 * The dashboard's live stream from the hub: one WebSocket to `/api/live?token=…`,
 * reconnected with capped exponential backoff, resumed with `since=<last event id>`
 * so nothing is missed across a drop, with redelivered events filtered out.
 *
 * Wire format (hub → dashboard), one JSON object per text frame:
 *   { "id": number, "type": string, "data": unknown }
 * `id` increases strictly over the hub's event log; on reconnect the hub replays the
 * events after `since`. Two control frames carry the hub's current position as `id`:
 *   - `live.hello` (`data: { lastId }`) first, when connecting without `since`;
 *   - `live.reset` (`data: { reason, message }`) first, when `since` is older than the
 *     events the hub still keeps (or unknown to it): state must be reloaded, and the
 *     stream continues after that id — which may be lower than ours if the hub's log
 *     was replaced, so it is adopted as is.
 * Close codes: 4401 missing/expired session, 4403 a new password must be chosen first,
 * 4400 bad query, 4429 too far behind (resume with `since`), 1001 hub shutting down.
 *
 * Between events the hub sends `{ "type": "live.heartbeat", "data": { "intervalMs" } }`
 * (no id: it is not an event and never moves the resume point). A watchdog drops and
 * reconnects a connection that has carried nothing for about two beats: WebSocket
 * pings are answered by the browser and never reach the page, so without it a
 * half-open connection (Wi-Fi gone, NAT entry expired) would look "connected" until
 * TCP gives up, minutes later.
 */

export interface LiveMessage<T = unknown> {
  id: number;
  type: string;
  data: T;
}

export type LiveConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting';

/** The part of the browser WebSocket used here, so tests can hand in a fake. */
export interface LiveSocket {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  close(code?: number, reason?: string): void;
}

export interface LiveClientOptions {
  /** Current bearer token; the connection is not attempted without one. */
  getToken: () => string | null;
  /** ws(s)://host/api/live; defaults to the page's own origin. */
  url?: string;
  createSocket?: (url: string) => LiveSocket;
  /** First retry delay; doubled per failed attempt up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /**
   * A connection counts as healthy (and resets the backoff) once it has carried a
   * message or stayed open this long. Resetting on mere "open" would turn a hub that
   * accepts and then drops us into a 1-per-second reconnect loop.
   */
  stableAfterMs?: number;
  /** 0..1, for jitter; injectable so tests are exact. */
  random?: () => number;
  /** Resume point for the very first connection (e.g. kept from a previous page). */
  since?: number;
  /** The hub's heartbeat period until a heartbeat says otherwise (its `intervalMs`). Default 15 s. */
  heartbeatMs?: number;
  /** Beats that may be missed before the connection counts as dead. Default 2 (plus half a beat of grace). */
  missedBeats?: number;
}

type Listener<T> = (value: T) => void;

const OPEN = 1;

/** Sent by the hub when the client must reload its state (see the header). */
export const LIVE_RESET = 'live.reset';
/** Liveness frame of the hub; handled here, never passed to listeners. */
export const LIVE_HEARTBEAT = 'live.heartbeat';
/** Close code the client uses when it gives up on a silent connection (application range). */
export const CLOSE_NO_HEARTBEAT = 4408;

export function defaultLiveUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}/api/live`;
}

export function isLiveMessage(value: unknown): value is LiveMessage {
  if (typeof value !== 'object' || value === null) return false;
  const { id, type } = value as Record<string, unknown>;
  return typeof id === 'number' && Number.isFinite(id) && typeof type === 'string';
}

function isHeartbeat(value: unknown): value is { type: typeof LIVE_HEARTBEAT; data?: { intervalMs?: unknown } } {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === LIVE_HEARTBEAT;
}

export class LiveClient {
  private readonly options: Required<Omit<LiveClientOptions, 'since' | 'url'>> & { url: string | undefined };
  private watchdogTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatMs: number;
  private silentDrops = 0;
  private socket: LiveSocket | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stableTimer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private running = false;
  private currentState: LiveConnectionState = 'idle';
  private lastId: number | null;
  private nextRetryAt: number | null = null;
  private rejected = 0;
  private readonly messageListeners = new Set<Listener<LiveMessage>>();
  private readonly stateListeners = new Set<Listener<LiveConnectionState>>();

  constructor(options: LiveClientOptions) {
    this.options = {
      getToken: options.getToken,
      url: options.url,
      createSocket: options.createSocket ?? ((url) => new WebSocket(url)),
      initialDelayMs: options.initialDelayMs ?? 1_000,
      maxDelayMs: options.maxDelayMs ?? 30_000,
      stableAfterMs: options.stableAfterMs ?? 10_000,
      random: options.random ?? Math.random,
      heartbeatMs: options.heartbeatMs ?? 15_000,
      missedBeats: options.missedBeats ?? 2,
    };
    this.heartbeatMs = this.options.heartbeatMs;
    this.lastId = options.since ?? null;
  }

  get state(): LiveConnectionState {
    return this.currentState;
  }

  /** Id of the newest event delivered; the resume point of the next connection. */
  get lastEventId(): number | null {
    return this.lastId;
  }

  /** When the next reconnect attempt is due (epoch ms), while reconnecting. */
  get retryAt(): number | null {
    return this.nextRetryAt;
  }

  /** Connections dropped by the watchdog because the hub went silent, counted for diagnosis. */
  get silentConnectionsDropped(): number {
    return this.silentDrops;
  }

  /** Frames that were not `{ id, type, data }` JSON, counted for diagnosis. */
  get rejectedFrames(): number {
    return this.rejected;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (typeof window !== 'undefined') window.addEventListener('online', this.onBrowserOnline);
    this.connect();
  }

  stop(): void {
    this.running = false;
    if (typeof window !== 'undefined') window.removeEventListener('online', this.onBrowserOnline);
    this.clearTimers();
    this.nextRetryAt = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close(1000, 'client stopped');
    }
    this.setState('idle');
  }

  /** Every message; returns an unsubscribe function. */
  onMessage(listener: Listener<LiveMessage>): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  /** Messages of one type only. */
  on<T = unknown>(type: string, listener: Listener<LiveMessage<T>>): () => void {
    return this.onMessage((message) => {
      if (message.type === type) listener(message as LiveMessage<T>);
    });
  }

  onState(listener: Listener<LiveConnectionState>): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private connect(): void {
    this.retryTimer = null;
    this.nextRetryAt = null;
    if (!this.running) return;
    const token = this.options.getToken();
    if (!token) {
      // Signed out under our feet; the app stops us, but do not spin meanwhile.
      this.scheduleRetry();
      return;
    }
    const params = new URLSearchParams({ token });
    if (this.lastId !== null) params.set('since', String(this.lastId));
    const url = `${this.options.url ?? defaultLiveUrl()}?${params.toString()}`;

    if (this.currentState === 'idle') this.setState('connecting');
    let socket: LiveSocket;
    try {
      socket = this.options.createSocket(url);
    } catch {
      // A malformed URL or a blocked scheme: count as a failed attempt.
      this.failures += 1;
      this.scheduleRetry();
      return;
    }
    this.socket = socket;

    socket.onopen = () => {
      this.setState('connected');
      this.stableTimer = setTimeout(() => this.markStable(), this.options.stableAfterMs);
      this.armWatchdog();
    };
    socket.onmessage = (event) => {
      this.armWatchdog();
      this.receive(event.data);
    };
    // No onerror: "error" is always followed by "close", and all recovery happens there.
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.lost();
    };
  }

  /** The current socket is gone (closed, or given up on): back off and reconnect from lastId. */
  private lost(): void {
    this.socket = null;
    if (this.stableTimer) clearTimeout(this.stableTimer);
    if (this.watchdogTimer) clearTimeout(this.watchdogTimer);
    this.stableTimer = null;
    this.watchdogTimer = null;
    if (!this.running) return;
    this.failures += 1;
    this.scheduleRetry();
  }

  /** (Re)starts the silence deadline: any frame, heartbeat or event, proves the connection alive. */
  private armWatchdog(): void {
    if (this.watchdogTimer) clearTimeout(this.watchdogTimer);
    const deadline = this.heartbeatMs * (this.options.missedBeats + 0.5);
    this.watchdogTimer = setTimeout(() => this.giveUpSilent(), deadline);
  }

  private giveUpSilent(): void {
    this.watchdogTimer = null;
    const socket = this.socket;
    if (!socket) return;
    this.silentDrops += 1;
    // Detached first: on a half-open connection the close handshake itself may hang, and
    // its late "close" event must not schedule a second reconnect.
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    try {
      socket.close(CLOSE_NO_HEARTBEAT, 'no heartbeat from the hub');
    } catch {
      // Already closing; nothing to do.
    }
    this.lost();
  }

  private receive(raw: unknown): void {
    let message: unknown;
    try {
      message = typeof raw === 'string' ? JSON.parse(raw) : null;
    } catch {
      message = null;
    }
    if (isHeartbeat(message)) {
      const interval = message.data?.intervalMs;
      if (typeof interval === 'number' && Number.isFinite(interval) && interval > 0 && interval !== this.heartbeatMs) {
        this.heartbeatMs = interval;
        this.armWatchdog();
      }
      this.markStable();
      return;
    }
    if (!isLiveMessage(message)) {
      this.rejected += 1;
      return;
    }
    this.markStable();
    // Replayed after a resume, or delivered twice around a reconnect. A reset is the
    // hub's new starting point, whatever it is.
    if (message.type !== LIVE_RESET && this.lastId !== null && message.id <= this.lastId) return;
    this.lastId = message.id;
    for (const listener of [...this.messageListeners]) {
      try {
        listener(message);
      } catch (error) {
        // One broken view must not starve the others of live data.
        console.error('live listener failed', error);
      }
    }
  }

  private markStable(): void {
    this.failures = 0;
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.stableTimer = null;
  }

  /** Delay before attempt n (n ≥ 1): half fixed, half random ("equal jitter"), so many dashboards do not reconnect in step after a hub restart. */
  delayFor(failures: number): number {
    const { initialDelayMs, maxDelayMs, random } = this.options;
    const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.max(0, failures - 1));
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  }

  private scheduleRetry(): void {
    if (!this.running) return;
    this.setState('reconnecting');
    const delay = this.delayFor(Math.max(1, this.failures));
    this.nextRetryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private readonly onBrowserOnline = () => {
    // The network just came back: try now instead of waiting out the backoff.
    if (this.running && this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.connect();
    }
  };

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.stableTimer) clearTimeout(this.stableTimer);
    if (this.watchdogTimer) clearTimeout(this.watchdogTimer);
    this.retryTimer = null;
    this.stableTimer = null;
    this.watchdogTimer = null;
  }

  private setState(next: LiveConnectionState): void {
    if (next === this.currentState) return;
    this.currentState = next;
    for (const listener of [...this.stateListeners]) listener(next);
  }

  /** For tests and diagnostics: is a socket open right now? */
  get isOpen(): boolean {
    return this.socket?.readyState === OPEN;
  }
}
