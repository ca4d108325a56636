import { onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { waitFor } from './wait.js';

/** One frame of /api/live as a client receives it (heartbeats carry no id). */
export interface LiveFrame<D = Record<string, unknown>> {
  id: number;
  type: string;
  data: D;
}

export interface LiveStream<D = Record<string, unknown>> {
  /** Every frame received so far, in order. */
  frames: LiveFrame<D>[];
  close(): void;
}

/**
 * A /api/live client signed in with a session token that keeps every frame; resolves once
 * the hub said hello. Closed when the test that opened it finishes (or earlier by close()).
 */
export async function openLiveStream<D = Record<string, unknown>>(hub: { url: string }, token: string): Promise<LiveStream<D>> {
  const socket = new WebSocket(`${hub.url.replace(/^http/, 'ws')}/api/live?token=${encodeURIComponent(token)}`);
  const frames: LiveFrame<D>[] = [];
  socket.on('message', (raw: Buffer) => frames.push(JSON.parse(raw.toString('utf8')) as LiveFrame<D>));
  const close = () => socket.close();
  onTestFinished(close);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  await waitFor(() => frames.some((f) => f.type === 'live.hello'), 'live.hello');
  return { frames, close };
}
