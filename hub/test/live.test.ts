import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Role } from '../src/auth/roles.js';
import { createHttpServer } from '../src/http/server.js';
import { appendLiveEvent, LIVE_CLOSE, LIVE_EVENT_LOCK, LiveHub, registerLiveRoutes, type LiveEventInput } from '../src/live/index.js';
import { upsertBuilding, upsertSite } from '../src/records/index.js';
import { databaseKinds } from './support/databases.js';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from './support/hub.js';
import { waitFor } from './support/wait.js';

interface Frame {
  id: number;
  type: string;
  data: unknown;
}

/** A real WebSocket client on /api/live that records every frame and how it closed. */
interface LiveProbe {
  frames: Frame[];
  closed: { code: number; reason: string } | undefined;
  socket: WebSocket;
  /** Ids of event frames (not hello/reset). */
  ids(): number[];
  close(): Promise<void>;
}

const probes: LiveProbe[] = [];

function openLive(hub: { url: string }, query: Record<string, string | number | undefined>, options: WebSocket.ClientOptions = {}): Promise<LiveProbe> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const socket = new WebSocket(`${hub.url.replace(/^http/, 'ws')}/api/live?${params.toString()}`, options);
  const probe: LiveProbe = {
    frames: [],
    closed: undefined,
    socket,
    ids: () => probe.frames.filter((f) => !f.type.startsWith('live.')).map((f) => f.id),
    close: async () => {
      if (socket.readyState === WebSocket.CLOSED) return;
      const done = new Promise((resolve) => socket.once('close', resolve));
      socket.close();
      await done;
    },
  };
  probes.push(probe);
  socket.on('message', (raw: Buffer) => probe.frames.push(JSON.parse(raw.toString('utf8')) as Frame));
  socket.on('close', (code: number, reason: Buffer) => (probe.closed = { code, reason: reason.toString('utf8') }));
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(probe));
    socket.once('error', reject);
  });
}

/** Appends events in one transaction, as a writer module does, then wakes the hub's LiveHub. */
async function append(hub: TestHub, events: Partial<LiveEventInput>[], wake = true): Promise<number[]> {
  const ids = await hub.db.transaction(async (tx) => {
    const out: number[] = [];
    for (const event of events) {
      out.push(await appendLiveEvent(tx, { type: 'alarm.raised', buildingId: null, audience: ['admin', 'manager', 'guard', 'technician'], data: { n: out.length }, ...event }));
    }
    return out;
  });
  if (wake) hub.bus.emit('live.appended', { lastId: ids[ids.length - 1] });
  return ids;
}

/** Many events in one statement, under the writers' lock like appendLiveEvent: for backlogs. */
async function appendMany(hub: TestHub, count: number, data: Record<string, unknown> = {}): Promise<number[]> {
  const ids = await hub.db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LIVE_EVENT_LOCK]);
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO live_events (type, building_id, audience, data)
       SELECT 'backlog', NULL, '{admin}', $2::jsonb || jsonb_build_object('n', n) FROM generate_series(1, $1::int) n
       ORDER BY n RETURNING id`,
      [count, JSON.stringify(data)],
    );
    return rows.map((r) => r.id).sort((x, y) => x - y);
  });
  hub.bus.emit('live.appended', { lastId: ids[ids.length - 1] });
  return ids;
}

const hello = (probe: LiveProbe) => waitFor(() => probe.frames.find((f) => f.type === 'live.hello'), 'live.hello');
const closedWith = (probe: LiveProbe) => waitFor(() => probe.closed, 'socket closed');
const isStrictlyIncreasing = (ids: number[]) => ids.every((id, i) => i === 0 || id > ids[i - 1]);

afterEach(async () => {
  await Promise.all(probes.splice(0).map((p) => p.close()));
});

describe.each(databaseKinds)('live event stream on %s', (kind) => {
  let hub: TestHub;
  let admin: string;

  beforeAll(async () => {
    hub = await startTestHub(kind);
    admin = await hub.login('admin', ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('closes with 4401 and a reason without a token, with a bad token, and 4400 on a malformed since', async () => {
    const none = await openLive(hub, {});
    expect(await closedWith(none)).toEqual({ code: LIVE_CLOSE.unauthorized, reason: expect.stringMatching(/missing token/) });
    const bad = await openLive(hub, { token: 'not-a-session' });
    expect(await closedWith(bad)).toEqual({ code: LIVE_CLOSE.unauthorized, reason: expect.stringMatching(/session expired or unknown/) });
    const since = await openLive(hub, { token: admin, since: 'yesterday' });
    expect(await closedWith(since)).toEqual({ code: LIVE_CLOSE.badRequest, reason: expect.stringMatching(/since must be/) });
    for (const p of [none, bad, since]) expect(p.frames).toEqual([]);
    await waitFor(() => hub.live.clients === 0, 'no clients left');
  });

  it('says hello with the current end, streams events in order, and resumes with since without gaps or duplicates', async () => {
    const before = await append(hub, [{ type: 'workorder.created' }]);
    await waitFor(() => hub.live.lastId === before[0], 'the hub past the first event');
    const first = await openLive(hub, { token: admin });
    expect(await hello(first)).toEqual({ id: before[0], type: 'live.hello', data: { lastId: before[0] } });

    const a = await append(hub, [{ data: { step: 'a1' } }, { data: { step: 'a2' } }]);
    const b = await append(hub, [{ type: 'alarm.changed', data: { step: 'b1' } }]);
    await waitFor(() => first.ids().length === 3, 'three live events');
    expect(first.frames.slice(1)).toEqual([
      { id: a[0], type: 'alarm.raised', data: { step: 'a1' } },
      { id: a[1], type: 'alarm.raised', data: { step: 'a2' } },
      { id: b[0], type: 'alarm.changed', data: { step: 'b1' } },
    ]);
    await first.close();

    const missed = [...(await append(hub, [{}, {}])), ...(await append(hub, [{}]))];
    const resumed = await openLive(hub, { token: admin, since: b[0] });
    await waitFor(() => resumed.ids().length === 3, 'the missed events replayed');
    const more = await append(hub, [{}]);
    await waitFor(() => resumed.ids().length === 4, 'then live again');
    expect(resumed.ids()).toEqual([...missed, ...more]);
    expect(resumed.frames.some((f) => f.type.startsWith('live.'))).toBe(false);

    // From before everything: the whole log after `since`, in order, once each.
    const everything = await openLive(hub, { token: admin, since: 0 });
    const all = (await hub.db.query<{ id: number }>('SELECT id FROM live_events ORDER BY id')).rows.map((r) => r.id);
    await waitFor(() => everything.ids().length === all.length, 'full replay');
    expect(everything.ids()).toEqual(all);
  });

  it('replays across several pages and switches to live while events keep arriving', async () => {
    const since = hub.live.lastId;
    const backlog = await appendMany(hub, 1_200);
    const probe = await openLive(hub, { token: admin, since });
    const during: number[] = [];
    for (let i = 0; i < 5; i++) during.push(...(await append(hub, [{}, {}])));
    await waitFor(() => probe.ids().length === backlog.length + during.length, 'backlog and live events');
    expect(probe.ids()).toEqual([...backlog, ...during]);
  });

  it('shows each user only the events of their roles and buildings', async () => {
    await upsertSite(hub.db, { id: 'site-live', name: 'Live' });
    await upsertBuilding(hub.db, { id: 'bldg-north', siteId: 'site-live', name: 'North' });
    await upsertBuilding(hub.db, { id: 'bldg-south', siteId: 'site-live', name: 'South' });
    const createUser = async (username: string, role: Role, buildings: string[]) => {
      const id = await hub.auth.createUser({ username, displayName: username, password: `${username}-password-1`, role }, 'test');
      for (const b of buildings) await hub.db.query('INSERT INTO user_buildings (user_id, building_id) VALUES ($1, $2)', [id, b]);
      return hub.login(username, `${username}-password-1`);
    };
    const northGuard = await openLive(hub, { token: await createUser(`guard-north-${kind}`, 'guard', ['bldg-north']) });
    const tech = await openLive(hub, { token: await createUser(`tech-all-${kind}`, 'technician', []) });
    const clerk = await openLive(hub, { token: await createUser(`clerk-${kind}`, 'clerk', []) });
    await Promise.all([hello(northGuard), hello(tech), hello(clerk)]);

    const ids = await append(hub, [
      { type: 'alarm.raised', buildingId: 'bldg-north', audience: ['guard', 'technician'] },
      { type: 'alarm.raised', buildingId: 'bldg-south', audience: ['guard', 'technician'] },
      { type: 'workorder.created', buildingId: null, audience: ['technician'] },
      { type: 'alarm.changed', buildingId: null, audience: ['guard'] },
      { type: 'workorder.changed', buildingId: 'bldg-north', audience: ['technician', 'manager'] },
    ]);
    const marker = await append(hub, [{ type: 'test.marker', buildingId: 'bldg-north', audience: ['guard', 'technician', 'clerk'] }]);
    for (const p of [northGuard, tech, clerk]) await waitFor(() => p.ids().includes(marker[0]), 'the marker everyone sees');

    // Estate-wide events (no building) are not shown to a user limited to buildings (canSeeBuilding).
    expect(northGuard.ids()).toEqual([ids[0], marker[0]]);
    expect(tech.ids()).toEqual([ids[0], ids[1], ids[2], ids[4], marker[0]]);
    expect(clerk.ids()).toEqual([marker[0]]);

    // An event addressed to a person reaches them whatever their role, and nobody else beyond its audience.
    const clerkId = (await hub.db.query<{ id: number }>('SELECT id FROM users WHERE username = $1', [`clerk-${kind}`])).rows[0].id;
    const addressed = await append(hub, [
      { type: 'service.request', buildingId: 'bldg-south', audience: ['manager'], userIds: [clerkId] },
      { type: 'test.marker', buildingId: 'bldg-north', audience: ['guard', 'technician', 'clerk'] },
    ]);
    for (const p of [northGuard, tech, clerk]) await waitFor(() => p.ids().includes(addressed[1]), 'the second marker');
    expect(clerk.ids()).toEqual([marker[0], addressed[0], addressed[1]]);
    expect(tech.ids()).not.toContain(addressed[0]);
    expect(northGuard.ids()).not.toContain(addressed[0]);

    // Resuming from before the batch replays under the same filter.
    const replay = await openLive(hub, { token: await hub.login(`guard-north-${kind}`, `guard-north-${kind}-password-1`), since: ids[0] - 1 });
    await waitFor(() => replay.ids().includes(addressed[1]), 'replay reaches the last marker');
    expect(replay.ids()).toEqual([ids[0], marker[0], addressed[1]]);
  });

  it('closes sockets whose session was revoked, and follows role changes', async () => {
    const user = async (username: string) => {
      await hub.auth.createUser({ username, displayName: username, password: `${username}-password-1`, role: 'technician' }, 'test');
      return hub.login(username, `${username}-password-1`);
    };
    const revoked = await openLive(hub, { token: await user(`revoked-${kind}`) });
    const moved = await openLive(hub, { token: await user(`moved-${kind}`) });
    await Promise.all([hello(revoked), hello(moved)]);
    await hub.db.query(`DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)`, [`revoked-${kind}`]);
    await hub.db.query(`UPDATE users SET role = 'clerk' WHERE username = $1`, [`moved-${kind}`]);
    await hub.live.checkSessions();
    expect(await closedWith(revoked)).toEqual({ code: LIVE_CLOSE.unauthorized, reason: expect.stringMatching(/revoked/) });

    const ids = await append(hub, [{ audience: ['technician'] }, { audience: ['clerk'] }]);
    await waitFor(() => moved.ids().length > 0, 'an event for the new role');
    expect(moved.ids()).toEqual([ids[1]]);
    expect(moved.closed).toBeUndefined();
    const stats = await hub.http.inject({ url: '/api/live/stats', headers: { authorization: `Bearer ${admin}` } });
    expect(stats.statusCode).toBe(200);
    expect(stats.json()).toMatchObject({ lastId: ids[1], listening: kind === 'postgres' ? true : null });
  });

  it('tells a client resuming from pruned history to reload, and keeps serving from after the pruned part', async () => {
    const old = await append(hub, [{}, {}, {}]);
    const recent = await append(hub, [{ type: 'recent' }]);
    await hub.db.query(`UPDATE live_events SET at = now() - interval '8 days' WHERE id <= $1`, [old[2]]);
    expect(await hub.live.prune()).toBeGreaterThan(0);
    const { rows } = await hub.db.query<{ id: number; type: string; audience: string[] }>('SELECT id, type, audience FROM live_events ORDER BY id LIMIT 1');
    expect(rows).toEqual([{ id: old[2], type: 'live.pruned', audience: [] }]);

    const stale = await openLive(hub, { token: admin, since: old[0] });
    const reset = await waitFor(() => stale.frames[0], 'a reset frame');
    expect(reset).toEqual({ id: hub.live.lastId, type: 'live.reset', data: { reason: 'pruned', message: expect.stringMatching(/reload/) } });
    const next = await append(hub, [{ type: 'after-reset' }]);
    await waitFor(() => stale.ids().length === 1, 'live after the reset');
    expect(stale.ids()).toEqual(next);

    // Exactly at the pruned boundary nothing was lost: a plain replay.
    const boundary = await openLive(hub, { token: admin, since: old[2] });
    await waitFor(() => boundary.ids().includes(next[0]), 'replay from the boundary');
    expect(boundary.ids()[0]).toBe(recent[0]);
    expect(boundary.frames.some((f) => f.type.startsWith('live.'))).toBe(false);

    // An id this log never had (the database was replaced): reload too.
    const ahead = await openLive(hub, { token: admin, since: hub.live.lastId + 1000 });
    expect(await waitFor(() => ahead.frames[0], 'a reset frame')).toMatchObject({ type: 'live.reset', data: { reason: 'unknown' } });
  });

  it('keeps ids in order and without gaps while several transactions append at once', async () => {
    const start = hub.live.lastId;
    const early = await openLive(hub, { token: admin });
    await hello(early);
    const writers = Array.from({ length: 6 }, async (_, w) => {
      const ids: number[] = [];
      for (let i = 0; i < 15; i++) {
        ids.push(
          ...(await hub.db.transaction(async (tx) => {
            // Work before the append, so transactions overlap and commit in varying order.
            await tx.query('SELECT pg_sleep($1)', [Math.random() * 0.003]);
            const id = await appendLiveEvent(tx, { type: 'load', buildingId: null, audience: ['admin'], data: { w, i } });
            return [id];
          })),
        );
        hub.bus.emit('live.appended', { lastId: ids[ids.length - 1] });
      }
      return ids;
    });
    // A client resuming while the writers run switches from replay to live under load.
    const late = await openLive(hub, { token: admin, since: start });
    const written = (await Promise.all(writers)).flat().sort((x, y) => x - y);
    for (const p of [early, late]) await waitFor(() => p.ids().length >= written.length, 'every appended event');
    expect(early.ids()).toEqual(written);
    expect(late.ids()).toEqual(written);
  });

  it('hands a resuming client over from replay to live without a gap while the fan-out runs ahead of it', async () => {
    const start = hub.live.lastId;
    // A replay page that takes a while to read and flush (~8 MB): meanwhile the fan-out
    // serves the small events being written, so it is ahead when the replay ends.
    const padding = 'p'.repeat(20_000);
    const backlog = await appendMany(hub, 400, { padding });
    let writing = true;
    const written: number[] = [];
    const writer = (async () => {
      while (writing) {
        written.push(...(await append(hub, [{ type: 'small' }])));
        // PGlite answers without touching the event loop's I/O phase: let sockets be served.
        await new Promise(setImmediate);
      }
    })();
    const probe = await openLive(hub, { token: admin, since: start }).catch((err: Error) => {
      writing = false;
      throw err;
    });
    try {
      await waitFor(() => probe.ids().length > backlog.length + 20, 'the backlog and then live events');
    } finally {
      writing = false;
      await writer;
    }
    await waitFor(() => probe.ids().at(-1) === written.at(-1), 'the last event written');
    expect(probe.ids()).toEqual([...backlog, ...written]);
  });
});

describe('live event stream across hubs on one PostgreSQL database', () => {
  let hubA: TestHub;
  let hubB: TestHub;

  beforeAll(async () => {
    hubA = await startTestHub('postgres');
    hubB = await startTestHub('postgres', { DATABASE_URL: hubA.database.url! });
  });
  afterAll(async () => {
    await hubB?.close();
    await hubA?.close();
  });

  it('delivers an event appended through hub A to a client of hub B through NOTIFY', async () => {
    expect(hubB.live.stats().listening).toBe(true);
    const onB = await openLive(hubB, { token: await hubB.login('admin', ADMIN_PASSWORD) });
    await hello(onB);
    // Hub A's bus only: hub B hears of it from PostgreSQL alone.
    const ids = await append(hubA, [{ type: 'alarm.raised', data: { from: 'A' } }]);
    await waitFor(() => onB.ids().length === 1, 'the event on hub B', 2_000);
    expect(onB.frames[1]).toEqual({ id: ids[0], type: 'alarm.raised', data: { from: 'A' } });
  });

  it('serves clients on both hubs in order while writers on both append concurrently', async () => {
    const admin = await hubA.login('admin', ADMIN_PASSWORD);
    const onA = await openLive(hubA, { token: admin });
    const onB = await openLive(hubB, { token: admin });
    await Promise.all([hello(onA), hello(onB)]);
    const writers = [hubA, hubB, hubA, hubB].map(async (hub, w) => {
      const ids: number[] = [];
      for (let i = 0; i < 20; i++) ids.push(...(await append(hub, [{ type: 'load', data: { w, i } }], w < 2)));
      return ids;
    });
    const written = (await Promise.all(writers)).flat().sort((x, y) => x - y);
    for (const p of [onA, onB]) await waitFor(() => p.ids().length >= written.length, 'every event on both hubs');
    expect(onA.ids()).toEqual(written);
    expect(onB.ids()).toEqual(written);
  });

  it('re-opens a lost LISTEN connection and catches up on what it missed', async () => {
    const onB = await openLive(hubB, { token: await hubB.login('admin', ADMIN_PASSWORD) });
    await hello(onB);
    const listeners = async () =>
      (await hubA.db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'warden-hub-live' AND datname = current_database()`)).rows.map((r) => r.pid);
    const before = await listeners();
    expect(before).toHaveLength(2);
    // Cut both hubs' LISTEN connections, then write while they are down.
    await hubA.db.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) pid', [before]);
    const ids = await append(hubA, [{ type: 'while-down' }], false);
    await waitFor(() => onB.ids().includes(ids[0]), 'the event missed while not listening');
    await waitFor(async () => hubB.live.stats().listening && (await listeners()).filter((pid) => !before.includes(pid)).length === 2, 'both hubs listening again');
    const after = await append(hubA, [{ type: 'after' }]);
    await waitFor(() => onB.ids().includes(after[0]), 'the next event through NOTIFY', 2_000);
    expect(isStrictlyIncreasing(onB.ids())).toBe(true);
  });
});

describe('live event stream and slow or dead clients', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub('pglite');
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('drops a client that stops answering pings, and closes the rest with 1001 when stopping', async () => {
    // A second LiveHub on the same database, bus and sessions, with a fast keepalive.
    const http = await createHttpServer({ logger: hub.logger, auth: hub.auth, version: 'test' });
    const live = new LiveHub(hub.db, hub.bus, hub.auth, hub.logger, { pingIntervalMs: 100 });
    await live.start();
    registerLiveRoutes(http, live);
    try {
      await http.listen({ host: '127.0.0.1', port: 0 });
      const address = http.server.address() as { port: number };
      const server = { url: `http://127.0.0.1:${address.port}` };
      const token = await hub.login('admin', ADMIN_PASSWORD);
      const silent = await openLive(server, { token }, { autoPong: false });
      const healthy = await openLive(server, { token });
      await Promise.all([hello(silent), hello(healthy)]);
      expect((await closedWith(silent)).code).toBe(1006);
      expect(live.clients).toBe(1);
      await live.stop();
      expect(await closedWith(healthy)).toEqual({ code: LIVE_CLOSE.goingAway, reason: 'hub shutting down' });
    } finally {
      await live.stop();
      await http.close();
    }
  });

  it('closes a client that stops reading once its buffer passes the bound, and it resumes with since', async () => {
    const admin = await hub.login('admin', ADMIN_PASSWORD);
    const slow = await openLive(hub, { token: admin });
    await hello(slow);
    slow.socket.pause();
    const big = 'x'.repeat(512 * 1024);
    const ids: number[] = [];
    for (let i = 0; i < 40 && hub.live.stats().slowClosed === 0; i++) ids.push(...(await append(hub, [{ data: { i, big } }])));
    await waitFor(() => hub.live.stats().slowClosed === 1, 'the slow client closed');
    slow.socket.resume();
    expect(await closedWith(slow)).toEqual({ code: LIVE_CLOSE.tooSlow, reason: expect.stringMatching(/reconnect with since/) });
    const got = slow.ids();
    expect(got).toEqual(ids.slice(0, got.length));

    const resumed = await openLive(hub, { token: admin, since: got[got.length - 1] });
    await waitFor(() => resumed.ids().length === ids.length - got.length, 'the rest replayed');
    expect([...got, ...resumed.ids()]).toEqual(ids);
  });
});
