import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveClient, type LiveMessage, type LiveSocket } from './live-client.ts';

class FakeSocket implements LiveSocket {
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closedWith: number | undefined;

  constructor(readonly url: string) {}

  open() {
    this.readyState = 1;
    this.onopen?.({} as Event);
  }
  send(frame: unknown) {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) } as MessageEvent);
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({ code: 1006 } as CloseEvent);
  }
  close(code?: number) {
    this.closedWith = code;
    this.readyState = 3;
  }
}

function setup(token: string | null = 'tok') {
  const sockets: FakeSocket[] = [];
  const client = new LiveClient({
    getToken: () => token,
    url: 'ws://hub/api/live',
    createSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    initialDelayMs: 1_000,
    maxDelayMs: 8_000,
    stableAfterMs: 10_000,
    // No jitter: the delay is exactly half + half of the ceiling.
    random: () => 1,
  });
  const messages: LiveMessage[] = [];
  const states: string[] = [];
  client.onMessage((m) => messages.push(m));
  client.onState((s) => states.push(s));
  return { client, sockets, messages, states, last: () => sockets[sockets.length - 1] };
}

describe('LiveClient', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('connects with the token and resumes after a drop from the last delivered event', () => {
    const { client, sockets, messages, last } = setup();
    client.start();
    expect(last().url).toBe('ws://hub/api/live?token=tok');
    last().open();
    last().send({ id: 7, type: 'alarm.raised', data: { alarmId: 1 } });
    last().send({ id: 8, type: 'device.online', data: {} });
    last().drop();

    vi.advanceTimersByTime(1_000);
    expect(sockets).toHaveLength(2);
    expect(last().url).toBe('ws://hub/api/live?token=tok&since=8');
    expect(messages.map((m) => m.id)).toEqual([7, 8]);
    expect(client.lastEventId).toBe(8);
  });

  it('drops events delivered again around a reconnect and counts malformed frames', () => {
    const { client, messages, last } = setup();
    client.start();
    last().open();
    last().send({ id: 3, type: 'x', data: null });
    last().send({ id: 3, type: 'x', data: null });
    last().send({ id: 2, type: 'x', data: null });
    last().send('not json');
    last().send({ type: 'no id' });
    last().send({ id: 4, type: 'x', data: null });
    expect(messages.map((m) => m.id)).toEqual([3, 4]);
    expect(client.rejectedFrames).toBe(2);
  });

  it('adopts the position of a reset, even a lower one, and passes the reset on so views reload', () => {
    const { client, messages, last } = setup();
    client.start();
    last().open();
    last().send({ id: 40, type: 'live.hello', data: { lastId: 40 } });
    last().send({ id: 41, type: 'x', data: null });
    last().drop();
    vi.advanceTimersByTime(1_000);
    expect(last().url).toBe('ws://hub/api/live?token=tok&since=41');
    last().open();
    // The hub's log was replaced: it is at 12 now.
    last().send({ id: 12, type: 'live.reset', data: { reason: 'unknown' } });
    last().send({ id: 13, type: 'x', data: null });
    expect(messages.map((m) => [m.id, m.type])).toEqual([
      [40, 'live.hello'],
      [41, 'x'],
      [12, 'live.reset'],
      [13, 'x'],
    ]);
    expect(client.lastEventId).toBe(13);
  });

  it('backs off exponentially up to the cap while the hub keeps refusing', () => {
    const { client, sockets, last, states } = setup();
    client.start();
    const waits: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      last().drop();
      const before = sockets.length;
      let waited = 0;
      while (sockets.length === before) {
        vi.advanceTimersByTime(100);
        waited += 100;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    expect(states).toEqual(['connecting', 'reconnecting']);
  });

  it('resets the backoff only once a connection has carried an event or stayed up', () => {
    const { client, sockets, last } = setup();
    client.start();
    last().drop();
    vi.advanceTimersByTime(1_000);
    last().drop();
    vi.advanceTimersByTime(2_000);
    expect(sockets).toHaveLength(3);

    // Accepted, then dropped at once: still failing, the next wait keeps growing.
    last().open();
    last().drop();
    vi.advanceTimersByTime(3_999);
    expect(sockets).toHaveLength(3);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(4);

    // A connection that delivers an event is healthy: the next wait starts over.
    last().open();
    last().send({ id: 1, type: 'x', data: null });
    last().drop();
    vi.advanceTimersByTime(1_000);
    expect(sockets).toHaveLength(5);
  });

  it('reports connected on open and stops cleanly without further attempts', () => {
    const { client, sockets, last, states } = setup();
    client.start();
    last().open();
    expect(client.state).toBe('connected');
    const socket = last();
    client.stop();
    expect(socket.closedWith).toBe(1000);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
    expect(states).toEqual(['connecting', 'connected', 'idle']);
  });

  it('keeps a connection that beats, and reconnects from the last event after two missed beats', () => {
    const { client, sockets, messages, last } = setup();
    client.start();
    last().open();
    last().send({ id: 5, type: 'x', data: null });
    // The hub announces its period; heartbeats are not events and do not reach listeners.
    last().send({ type: 'live.heartbeat', data: { intervalMs: 1_000 } });
    for (let beat = 0; beat < 10; beat++) {
      vi.advanceTimersByTime(1_000);
      last().send({ type: 'live.heartbeat', data: { intervalMs: 1_000 } });
    }
    expect(sockets).toHaveLength(1);
    expect(messages.map((m) => m.id)).toEqual([5]);
    expect(client.rejectedFrames).toBe(0);

    // Silence: the socket looks open, but no frame comes any more (half-open connection).
    const silent = last();
    vi.advanceTimersByTime(2_499);
    expect(sockets).toHaveLength(1);
    expect(client.state).toBe('connected');
    vi.advanceTimersByTime(1);
    expect(silent.closedWith).toBe(4408);
    expect(client.state).toBe('reconnecting');
    expect(client.silentConnectionsDropped).toBe(1);
    // A healthy connection was lost: the first, short backoff.
    vi.advanceTimersByTime(1_000);
    expect(sockets).toHaveLength(2);
    expect(last().url).toBe('ws://hub/api/live?token=tok&since=5');
    // The dead socket's late close does not schedule a second reconnect.
    silent.onclose?.({ code: 1006 } as CloseEvent);
    vi.advanceTimersByTime(30_000);
    expect(sockets).toHaveLength(2);
  });

  it('counts any frame as a sign of life and uses the default period until the hub gives one', () => {
    const { client, sockets, last } = setup();
    client.start();
    last().open();
    // Events alone keep it alive (15 s default period, 37.5 s deadline).
    for (let i = 1; i <= 5; i++) {
      vi.advanceTimersByTime(30_000);
      last().send({ id: i, type: 'x', data: null });
    }
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(37_500);
    expect(sockets[0].closedWith).toBe(4408);
    vi.advanceTimersByTime(1_000);
    expect(sockets).toHaveLength(2);
    expect(last().url).toBe('ws://hub/api/live?token=tok&since=5');
    // Not armed before the new socket opens: a slow handshake is the backoff's business.
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(2);
    client.stop();
  });

  it('does not open a socket without a token', () => {
    const { client, sockets } = setup(null);
    client.start();
    vi.advanceTimersByTime(5_000);
    expect(sockets).toHaveLength(0);
    expect(client.state).toBe('reconnecting');
    client.stop();
  });
});
