import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { appendLiveEvent } from '../src/live/index.js';
import { loadConfig } from '../src/config.js';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from './support/hub.js';
import { waitFor } from './support/wait.js';

interface Frame {
  id?: number;
  type: string;
  data: Record<string, unknown> | null;
}

/**
 * The application-level heartbeat of /api/live: a frame the page itself can see (pings
 * never reach it), so a dashboard can tell a silently dead connection from a quiet one.
 */
describe('live stream heartbeat', () => {
  let hub: TestHub;
  let token: string;
  const sockets: WebSocket[] = [];

  const open = (query = '') => {
    const frames: Frame[] = [];
    const socket = new WebSocket(`${hub.url.replace(/^http/, 'ws')}/api/live?token=${encodeURIComponent(token)}${query}`);
    sockets.push(socket);
    socket.on('message', (raw: Buffer) => frames.push(JSON.parse(raw.toString('utf8')) as Frame));
    return frames;
  };

  beforeAll(async () => {
    hub = await startTestHub('pglite', { ALARM_DEFAULT_RULES: 'false', LIVE_HEARTBEAT_MS: '200' });
    token = await hub.login('admin', ADMIN_PASSWORD);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await hub?.close();
  });

  it('defaults to a beat every 15 s', () => {
    expect(loadConfig({}).LIVE_HEARTBEAT_MS).toBe(15_000);
    expect(() => loadConfig({ LIVE_HEARTBEAT_MS: '10' })).toThrow(/LIVE_HEARTBEAT_MS/);
  });

  it('beats on an idle connection with a frame that carries no event id', async () => {
    const frames = open();
    await waitFor(() => frames.filter((f) => f.type === 'live.heartbeat').length >= 2, 'two heartbeats', 10_000);
    expect(frames[0].type).toBe('live.hello');
    const beat = frames.find((f) => f.type === 'live.heartbeat')!;
    expect(beat).toEqual({ type: 'live.heartbeat', data: { intervalMs: 200 } });
    // Not an event of the log: not counted with events either.
    const framesSent = hub.live.stats().framesSent;
    await waitFor(() => frames.filter((f) => f.type === 'live.heartbeat').length >= 3, 'a third heartbeat');
    expect(hub.live.stats().framesSent).toBe(framesSent);
  });

  it('beats on a resumed connection without disturbing the events it replays and receives', async () => {
    const first = await hub.db.transaction((tx) => appendLiveEvent(tx, { type: 'test.ping', buildingId: null, audience: ['admin'], data: { n: 1 } }));
    hub.bus.emit('live.appended', { lastId: first });
    const frames = open(`&since=${first - 1}`);
    await waitFor(() => frames.some((f) => f.type === 'live.heartbeat'), 'a heartbeat on the resumed socket');
    const second = await hub.db.transaction((tx) => appendLiveEvent(tx, { type: 'test.ping', buildingId: null, audience: ['admin'], data: { n: 2 } }));
    hub.bus.emit('live.appended', { lastId: second });
    await waitFor(() => frames.some((f) => f.id === second), 'the second event');
    await waitFor(() => frames.findLastIndex((f) => f.type === 'live.heartbeat') > frames.findIndex((f) => f.id === second), 'a heartbeat after it');
    const events = frames.filter((f) => f.type !== 'live.heartbeat');
    expect(events.map((f) => f.id)).toEqual([first, second]);
  });
});
