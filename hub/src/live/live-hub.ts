import type { WebSocket } from '@fastify/websocket';
import pg from 'pg';
import type { Logger } from 'pino';
import type { AuthService } from '../auth/auth.service.js';
import { canSeeBuilding, type SessionUser } from '../auth/roles.js';
import type { Database, Queryable } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import { LIVE_CHANNEL } from './live-feed.js';
import { pruneLiveEvents, readLastLiveEventId, readLiveEventsAfter, readLiveLogBounds, type LiveEventRow } from './live.repository.js';

/**
 * Close codes of `/api/live` (4000–4999 is the application range of RFC 6455 §7.4.2).
 * A browser cannot read the HTTP status of a refused upgrade, only these.
 */
export const LIVE_CLOSE = {
  /** The query string is malformed (e.g. `since` not an integer). */
  badRequest: 4400,
  /** No token, an unknown one, or the session expired or was revoked while connected. */
  unauthorized: 4401,
  /** The user must first replace a password an administrator set (as the HTTP API answers 403). */
  passwordChangeRequired: 4403,
  /** The client did not keep up; reconnect with `since` to resume. */
  tooSlow: 4429,
  /** The hub is shutting down (RFC 6455 "going away"). */
  goingAway: 1001,
  /** The hub could not serve the request (database unreachable); reconnect later (RFC 6455 "internal error"). */
  internalError: 1011,
} as const;

export interface LiveHubOptions {
  /** Events older than this are pruned from the log; a client resuming from before gets `live.reset`. Default 7 days. */
  retentionHours?: number;
  /** How often pruning runs. Default 1 h. */
  pruneIntervalMs?: number;
  /** Ping period; a socket that has not answered the previous ping by the next one is dropped. Default 30 s. */
  pingIntervalMs?: number;
  /** How often sessions of connected sockets are re-checked (expired, revoked, role changed). Default 60 s. */
  sessionCheckIntervalMs?: number;
  /** A socket with more than this many bytes queued and unsent is closed as too slow. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Rows per read when replaying to one resuming client. Default 500. */
  replayPageSize?: number;
  /** Rows per read when fanning out new events. Default 1000. */
  fanOutPageSize?: number;
  /**
   * Safety net: read the log this often even without a wake, in case a wake was lost
   * (a writer that forgot to emit `live.appended`, a LISTEN connection gone half-open).
   * Default 10 s; 0 disables.
   */
  pollIntervalMs?: number;
  /** First delay before re-opening a lost LISTEN connection; doubled up to 10 s. Default 250 ms. */
  listenRetryMs?: number;
  /**
   * A socket sent nothing for this long gets a `live.heartbeat` frame. WebSocket pings are
   * answered by the browser itself and never reach the page, so without a frame the page
   * can see, a half-open connection looks healthy until TCP gives up. Default 15 s; 0 disables.
   */
  heartbeatIntervalMs?: number;
}

export interface LiveStats {
  clients: number;
  /** Newest event id this hub has read from the log and fanned out. */
  lastId: number;
  /** Frames sent (events, hello and reset). */
  framesSent: number;
  /** Sockets closed because they fell too far behind. */
  slowClosed: number;
  /** PostgreSQL only: whether the LISTEN connection is up (null on PGlite, which has no other writer). */
  listening: boolean | null;
}

/** One connected socket and where it is in the log. */
interface LiveConnection {
  socket: WebSocket;
  token: string;
  user: SessionUser;
  /** Highest event id already considered for this socket, sent or not (invisible ones advance it too). */
  cursor: number;
  /** False while replaying from `since`; the fan-out only serves live connections. */
  live: boolean;
  /** Answered the last ping. */
  alive: boolean;
  /** When a frame was last sent (heartbeats go only to sockets idle for a whole period). */
  lastSentAt: number;
  closed: boolean;
  /** Settles when the socket is closed, so nothing waits forever on a dead one. */
  whenClosed: Promise<void>;
  markClosed: () => void;
}

const OPEN = 1;
const HOUR_MS = 3_600_000;

/**
 * Serves the live event log (`live_events`) to WebSocket clients, in id order,
 * filtered by each user's role and buildings.
 *
 * Writers append inside their transaction with `appendLiveEvent`, whose advisory lock
 * makes ids become visible strictly in order; so "read everything after the last id
 * fanned out" never skips an event committed later, on this hub or another. The hub
 * is woken by `live.appended` on the local bus (immediate) and, on a PostgreSQL server,
 * by NOTIFY from any hub through one dedicated LISTEN connection. Wakes are coalesced:
 * one read in flight, re-run once if woken meanwhile.
 */
export class LiveHub {
  private readonly opts: Required<LiveHubOptions>;
  private readonly connections = new Set<LiveConnection>();
  private lastFanned = 0;
  private running = false;
  private reading: Promise<void> | undefined;
  private wokenWhileReading = false;
  private retryWakeTimer: NodeJS.Timeout | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private offBus: (() => void) | undefined;
  private listener: pg.Client | undefined;
  private listenerUp = false;
  private listenRetryTimer: NodeJS.Timeout | undefined;
  private listenFailures = 0;
  private readonly pending = new Set<Promise<unknown>>();
  private checkingSessions = false;
  private framesSent = 0;
  private slowClosed = 0;

  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly auth: AuthService,
    private readonly logger: Logger,
    options: LiveHubOptions = {},
  ) {
    this.opts = {
      retentionHours: options.retentionHours ?? 7 * 24,
      pruneIntervalMs: options.pruneIntervalMs ?? HOUR_MS,
      pingIntervalMs: options.pingIntervalMs ?? 30_000,
      sessionCheckIntervalMs: options.sessionCheckIntervalMs ?? 60_000,
      maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
      replayPageSize: options.replayPageSize ?? 500,
      fanOutPageSize: options.fanOutPageSize ?? 1000,
      pollIntervalMs: options.pollIntervalMs ?? 10_000,
      listenRetryMs: options.listenRetryMs ?? 250,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 15_000,
    };
  }

  async start(): Promise<void> {
    this.running = true;
    this.lastFanned = await readLastLiveEventId(this.db);
    this.offBus = this.bus.on('live.appended', ({ lastId }) => {
      if (lastId > this.lastFanned) this.wake();
    });
    // Subscribed after reading the end of the log: the listener's first act is a
    // catch-up read, so nothing committed in between is missed.
    if (this.db.kind === 'postgres') await this.openListener();

    this.every(this.opts.pingIntervalMs, () => this.pingAll());
    // Checked at half the period, so an idle socket hears something at least every 1.5 periods.
    if (this.opts.heartbeatIntervalMs > 0) this.every(Math.max(50, Math.round(this.opts.heartbeatIntervalMs / 2)), () => this.heartbeatIdle());
    this.every(this.opts.sessionCheckIntervalMs, () => this.track(this.checkSessions()));
    this.every(this.opts.pruneIntervalMs, () => this.track(this.prune().catch((err: Error) => this.logger.warn({ err: err.message }, 'live event pruning failed'))));
    if (this.opts.pollIntervalMs > 0) this.every(this.opts.pollIntervalMs, () => this.wake());
    this.track(this.prune().catch((err: Error) => this.logger.warn({ err: err.message }, 'live event pruning failed')));
  }

  async stop(): Promise<void> {
    this.running = false;
    this.offBus?.();
    this.offBus = undefined;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    clearTimeout(this.retryWakeTimer);
    clearTimeout(this.listenRetryTimer);
    for (const conn of this.connections) this.close(conn, LIVE_CLOSE.goingAway, 'hub shutting down');
    const listener = this.listener;
    this.listener = undefined;
    this.listenerUp = false;
    if (listener) {
      listener.removeAllListeners('notification');
      await listener.end().catch(() => {});
    }
    // Reads in flight finish against the still-open database before it is closed.
    await Promise.allSettled([this.reading, ...this.pending]);
  }

  /** Newest event id read from the log and fanned out. */
  get lastId(): number {
    return this.lastFanned;
  }

  /** Connected sockets (replaying or live). */
  get clients(): number {
    return this.connections.size;
  }

  stats(): LiveStats {
    return {
      clients: this.connections.size,
      lastId: this.lastFanned,
      framesSent: this.framesSent,
      slowClosed: this.slowClosed,
      listening: this.db.kind === 'postgres' ? this.listenerUp : null,
    };
  }

  /**
   * Takes over an upgraded socket: authenticates the token, then either says hello
   * (no `since`: live from the current end), replays what came after `since`, or
   * tells the client to reload (`live.reset`) when `since` is older than the log.
   */
  async accept(socket: WebSocket, request: { token: string | undefined; since: number | undefined }): Promise<void> {
    // Heard from the start: an unheard 'error' would throw.
    socket.on('error', (err) => this.logger.debug({ err: err.message }, 'live socket error'));
    if (!this.running) {
      socket.close(LIVE_CLOSE.goingAway, 'hub shutting down');
      return;
    }
    if (!request.token) {
      socket.close(LIVE_CLOSE.unauthorized, 'missing token: connect with ?token=<session token>');
      return;
    }
    let user: SessionUser | undefined;
    try {
      user = await this.auth.authenticate(request.token);
    } catch (err) {
      // Not the client's fault: do not tell it to sign in again.
      this.logger.warn({ err: (err as Error).message }, 'live session lookup failed');
      socket.close(LIVE_CLOSE.internalError, 'could not check the session; reconnect');
      return;
    }
    if (!user) {
      socket.close(LIVE_CLOSE.unauthorized, 'session expired or unknown: sign in again');
      return;
    }
    if (user.mustChangePassword) {
      socket.close(LIVE_CLOSE.passwordChangeRequired, 'choose a new password first (POST /api/auth/password)');
      return;
    }
    if (socket.readyState !== OPEN || !this.running) return;

    let markClosed = () => {};
    const whenClosed = new Promise<void>((resolve) => (markClosed = resolve));
    const conn: LiveConnection = { socket, token: request.token, user, cursor: this.lastFanned, live: false, alive: true, lastSentAt: Date.now(), closed: false, whenClosed, markClosed };
    this.connections.add(conn);
    socket.on('close', () => this.forget(conn));
    socket.on('pong', () => (conn.alive = true));

    if (request.since === undefined) {
      this.goLive(conn, 'live.hello', { lastId: this.lastFanned });
      return;
    }
    await this.track(
      this.resume(conn, request.since).catch((err: Error) => {
        this.logger.warn({ err: err.message, user: conn.user.username }, 'live replay failed');
        this.close(conn, LIVE_CLOSE.internalError, 'replay failed; reconnect');
      }),
    );
  }

  /** Wakes the fan-out: read what was committed after the last id fanned out, send it. */
  wake(): void {
    if (!this.running) return;
    if (this.reading) {
      this.wokenWhileReading = true;
      return;
    }
    this.reading = this.fanOut().finally(() => (this.reading = undefined));
  }

  /** Deletes events past retention; returns how many rows went. Runs on its own timer too. */
  async prune(): Promise<number> {
    const removed = await pruneLiveEvents(this.db, new Date(Date.now() - this.opts.retentionHours * HOUR_MS));
    if (removed > 0) this.logger.info({ removed, retentionHours: this.opts.retentionHours }, 'pruned old live events');
    return removed;
  }

  /**
   * Re-reads the session behind every socket: closes those whose session expired or
   * was revoked, and applies role or building changes to the rest. Runs on its own timer.
   */
  async checkSessions(): Promise<void> {
    if (this.checkingSessions) return;
    this.checkingSessions = true;
    try {
      const byToken = new Map<string, LiveConnection[]>();
      for (const conn of this.connections) byToken.set(conn.token, [...(byToken.get(conn.token) ?? []), conn]);
      for (const [token, conns] of byToken) {
        let user: SessionUser | undefined;
        try {
          user = await this.auth.authenticate(token);
        } catch (err) {
          // A database hiccup is not a revoked session: keep the sockets, check again later.
          this.logger.warn({ err: (err as Error).message }, 'live session check failed');
          return;
        }
        for (const conn of conns) {
          if (user) conn.user = user;
          else this.close(conn, LIVE_CLOSE.unauthorized, 'session expired or revoked: sign in again');
        }
      }
    } finally {
      this.checkingSessions = false;
    }
  }

  // ---------------------------------------------------------------- fan-out

  private async fanOut(): Promise<void> {
    try {
      do {
        this.wokenWhileReading = false;
        let rows: LiveEventRow[];
        do {
          rows = await readLiveEventsAfter(this.reader(), this.lastFanned, this.opts.fanOutPageSize);
          // Delivery and the cursor move happen in one synchronous run, so a replaying
          // client deciding to go live (also synchronous) sees a consistent lastFanned.
          for (const row of rows) {
            const frame = eventFrame(row);
            for (const conn of this.connections) if (conn.live && row.id > conn.cursor) this.deliver(conn, row, frame);
            this.lastFanned = row.id;
            // Alarm engines of every hub follow committed alarm state (see AlarmEngine.onLiveEvent).
            if (row.type.startsWith('alarm.')) this.bus.emit('live.event', { id: row.id, type: row.type, data: JSON.parse(row.data) as unknown });
          }
        } while (rows.length === this.opts.fanOutPageSize && this.running);
      } while (this.wokenWhileReading && this.running);
    } catch (err) {
      if (!this.running) return;
      this.logger.warn({ err: (err as Error).message }, 'live fan-out read failed; retrying');
      clearTimeout(this.retryWakeTimer);
      this.retryWakeTimer = setTimeout(() => this.wake(), 500);
      this.retryWakeTimer.unref();
    }
  }

  /**
   * The LISTEN connection doubles as the fan-out's reader on a server: it is idle
   * between wakes, so the read never queues behind ingest for a pool connection.
   */
  private reader(): Queryable {
    return this.listenerUp && this.listener ? this.listener : this.db;
  }

  /** Sends one event to a live socket if its user may see it; the cursor moves either way. */
  private deliver(conn: LiveConnection, row: LiveEventRow, frame: string): void {
    conn.cursor = row.id;
    if (!isVisibleTo(conn.user, row)) return;
    if (conn.socket.bufferedAmount > this.opts.maxBufferedBytes) {
      this.slowClosed += 1;
      this.logger.info({ user: conn.user.username, buffered: conn.socket.bufferedAmount, at: row.id }, 'live client too slow; closed');
      this.close(conn, LIVE_CLOSE.tooSlow, `too far behind at event ${row.id}: reconnect with since`);
      return;
    }
    this.send(conn, frame);
  }

  // ---------------------------------------------------------------- resume

  private async resume(conn: LiveConnection, since: number): Promise<void> {
    const bounds = await readLiveLogBounds(this.db);
    if (conn.closed) return;
    if (bounds.prunedThrough !== null && since < bounds.prunedThrough) {
      this.goLive(conn, 'live.reset', { reason: 'pruned', message: `events after ${since} are no longer kept (retention ${this.opts.retentionHours} h); reload state` });
      return;
    }
    if (since > bounds.lastId) {
      // The client saw ids this log never had: the database was replaced under it.
      this.goLive(conn, 'live.reset', { reason: 'unknown', message: `event ${since} is not in this hub's log; reload state` });
      return;
    }

    conn.cursor = since;
    for (;;) {
      const rows = await readLiveEventsAfter(this.db, conn.cursor, this.opts.replayPageSize);
      if (conn.closed || !this.running) return;
      let flushed: Promise<void> | undefined;
      for (const row of rows) {
        conn.cursor = row.id;
        if (isVisibleTo(conn.user, row)) flushed = this.send(conn, eventFrame(row), true);
      }
      // Pulled, not pushed: wait for the page to reach the socket before reading more,
      // so a long replay holds one page in memory, not the backlog, and a client does
      // not go live with a full buffer (the fan-out would close it as too slow).
      if (flushed) await Promise.race([flushed, conn.whenClosed]);
      if (conn.closed || !this.running) return;
      if (rows.length === this.opts.replayPageSize) continue;
      // The log is exhausted as of this read. If the fan-out has meanwhile gone past
      // our cursor, those events were fanned out while we were not live: read again.
      // Otherwise go live now, in this same synchronous run, so the next fan-out
      // serves exactly the ids after our cursor: no gap, no duplicate.
      if (this.lastFanned > conn.cursor) continue;
      conn.live = true;
      return;
    }
  }

  /** Sends a control frame (hello or reset) carrying the current end of the log and serves the socket live from there. */
  private goLive(conn: LiveConnection, type: 'live.hello' | 'live.reset', data: Record<string, unknown>): void {
    conn.cursor = this.lastFanned;
    conn.live = true;
    this.send(conn, JSON.stringify({ id: this.lastFanned, type, data }));
  }

  // ---------------------------------------------------------------- sockets

  private send(conn: LiveConnection, frame: string, awaitFlush = false): Promise<void> | undefined {
    if (conn.closed || conn.socket.readyState !== OPEN) return undefined;
    this.framesSent += 1;
    conn.lastSentAt = Date.now();
    if (!awaitFlush) {
      conn.socket.send(frame);
      return undefined;
    }
    // The callback runs once the frame is written out (or with an error when the socket dies).
    return new Promise((resolve) => conn.socket.send(frame, () => resolve()));
  }

  /** Takes a socket out of the fan-out for good. */
  private forget(conn: LiveConnection): void {
    conn.closed = true;
    conn.live = false;
    this.connections.delete(conn);
    conn.markClosed();
  }

  private close(conn: LiveConnection, code: number, reason: string): void {
    this.forget(conn);
    if (conn.socket.readyState === OPEN) conn.socket.close(code, reason);
  }

  /**
   * `{ type: "live.heartbeat", data: { intervalMs } }` to every socket that was sent nothing
   * for a whole period (any frame proves the connection alive, so a busy stream carries no
   * extra ones). No id: it is not an event of the log and must not move a client's resume
   * point. Not counted in framesSent.
   */
  private heartbeatIdle(): void {
    const now = Date.now();
    const frame = JSON.stringify({ type: 'live.heartbeat', data: { intervalMs: this.opts.heartbeatIntervalMs } });
    for (const conn of this.connections) {
      if (conn.closed || conn.socket.readyState !== OPEN || now - conn.lastSentAt < this.opts.heartbeatIntervalMs) continue;
      conn.lastSentAt = now;
      conn.socket.send(frame);
    }
  }

  private pingAll(): void {
    for (const conn of this.connections) {
      if (!conn.alive) {
        // No pong for a whole period: the peer is gone without a FIN (sleeping laptop, NAT drop).
        this.forget(conn);
        conn.socket.terminate();
        continue;
      }
      conn.alive = false;
      if (conn.socket.readyState === OPEN) conn.socket.ping();
    }
  }

  // ---------------------------------------------------------------- LISTEN (PostgreSQL server)

  private async openListener(): Promise<void> {
    const client = new pg.Client({ ...this.db.pool.options, application_name: 'warden-hub-live', keepAlive: true });
    this.listener = client;
    const lost = (err?: Error) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      this.listenerUp = false;
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      if (!this.running) return;
      this.logger.warn({ err: err?.message }, 'live LISTEN connection lost; reconnecting');
      this.scheduleListener();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (msg) => {
      if (msg.channel !== LIVE_CHANNEL) return;
      // This hub's own appends already woke it through the bus; skip their echo.
      if (Number(msg.payload) > this.lastFanned) this.wake();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${LIVE_CHANNEL}`);
    } catch (err) {
      lost(err as Error);
      return;
    }
    if (this.listener !== client) return;
    this.listenerUp = true;
    this.listenFailures = 0;
    // NOTIFYs sent while no connection listened are lost: catch up from the log.
    this.wake();
  }

  private scheduleListener(): void {
    const delay = Math.min(10_000, this.opts.listenRetryMs * 2 ** this.listenFailures);
    this.listenFailures += 1;
    clearTimeout(this.listenRetryTimer);
    this.listenRetryTimer = setTimeout(() => void this.track(this.openListener()), delay);
    this.listenRetryTimer.unref();
  }

  // ---------------------------------------------------------------- helpers

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }

  /** Keeps an async task that uses the database, so stop() can wait for it. */
  private track<T>(task: Promise<T>): Promise<T> {
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task)).catch(() => {});
    return task;
  }
}

/** An event is shown to a user whose role is in its audience and who may see its building, and to the people it is addressed to. */
export function isVisibleTo(user: SessionUser, row: Pick<LiveEventRow, 'audience' | 'building_id' | 'user_ids'>): boolean {
  return (row.audience.includes(user.role) && canSeeBuilding(user, row.building_id)) || (row.user_ids?.includes(user.id) ?? false);
}

/** `{ "id", "type", "data" }`, with the stored JSON text spliced in as is. */
function eventFrame(row: LiveEventRow): string {
  return `{"id":${row.id},"type":${JSON.stringify(row.type)},"data":${row.data}}`;
}
