/**
 * RTSP reachability without ffmpeg: OPTIONS, then DESCRIBE answered with
 * Digest authentication (RFC 2326 §10.1, §10.2; Digest per §D.2.1),
 * over one TCP connection. A 200 with an SDP body means the camera's RTSP
 * server is up, knows the stream and accepts our credentials — what a viewer
 * needs first — at the cost of a few hundred bytes, no decoding, no PLAY.
 */
import { connect, type Socket } from 'node:net';
import { authorizationFor } from './http-digest-client.js';

export class RtspProbeError extends Error {
  override readonly name = 'RtspProbeError';
  constructor(
    readonly kind: 'unreachable' | 'timeout' | 'unauthorized' | 'protocol',
    message: string,
  ) {
    super(message);
  }
}

interface RtspResponse {
  status: number;
  reason: string;
  headers: Map<string, string>;
  body: Buffer;
}

const maxResponseBytes = 64 * 1024;

/** A minimal RTSP/1.0 request-response exchange on one socket. */
class RtspConnection {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  #waiter: (() => void) | undefined;
  #error: Error | undefined;
  #cseq = 0;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      if (this.#buffer.length > maxResponseBytes) this.#fail(new RtspProbeError('protocol', `answer larger than ${maxResponseBytes} bytes`));
      this.#waiter?.();
    });
    socket.on('error', (err) => this.#fail(new RtspProbeError('unreachable', `connection failed: ${err.message}`)));
    socket.on('close', () => this.#fail(new RtspProbeError('unreachable', 'connection closed by the camera')));
  }

  #fail(err: Error): void {
    this.#error ??= err;
    this.#waiter?.();
  }

  async request(method: string, uri: string, headers: Record<string, string> = {}): Promise<RtspResponse> {
    this.#cseq += 1;
    const lines = [`${method} ${uri} RTSP/1.0`, `CSeq: ${this.#cseq}`, 'User-Agent: warden-edge-agent', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    this.#socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    for (;;) {
      const response = this.#parse();
      if (response) return response;
      if (this.#error) throw this.#error;
      await new Promise<void>((resolve) => (this.#waiter = resolve));
      this.#waiter = undefined;
    }
  }

  #parse(): RtspResponse | undefined {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const head = this.#buffer.subarray(0, end).toString('latin1').split('\r\n');
    const status = /^RTSP\/1\.\d (\d{3}) ?(.*)$/.exec(head[0]);
    if (!status) throw new RtspProbeError('protocol', `not an RTSP answer: ${JSON.stringify(head[0].slice(0, 80))}`);
    const headers = new Map<string, string>();
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
    }
    const length = Number(headers.get('content-length') ?? 0);
    if (this.#buffer.length < end + 4 + length) return undefined;
    const body = this.#buffer.subarray(end + 4, end + 4 + length);
    this.#buffer = this.#buffer.subarray(end + 4 + length);
    return { status: Number(status[1]), reason: status[2], headers, body };
  }
}

/**
 * Probes an RTSP URL (credentials apart, never in the URL): resolves with the
 * SDP, or throws RtspProbeError saying why the stream cannot be had.
 */
export async function probeRtsp(url: string, options: { username: string; password: string; timeoutMs: number }): Promise<{ sdp: string }> {
  const target = new URL(url);
  const uri = `${target.protocol}//${target.host}${target.pathname}${target.search}`;
  const socket = connect({ host: target.hostname, port: Number(target.port || 554) });
  socket.setNoDelay(true);
  const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
  let timedOut = false;
  socket.once('error', (err) => {
    if (err.message.startsWith('no answer within')) timedOut = true;
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (err) => reject(new RtspProbeError('unreachable', `cannot connect to ${target.host}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
    });
    const rtsp = new RtspConnection(socket);
    const options1 = await rtsp.request('OPTIONS', uri);
    if (options1.status !== 200 && options1.status !== 401) throw new RtspProbeError('protocol', `OPTIONS answered ${options1.status} ${options1.reason}`);
    let describe = await rtsp.request('DESCRIBE', uri, { Accept: 'application/sdp' });
    if (describe.status === 401) {
      const challenge = describe.headers.get('www-authenticate');
      if (!challenge) throw new RtspProbeError('unauthorized', 'DESCRIBE 401 without a challenge');
      describe = await rtsp.request('DESCRIBE', uri, {
        Accept: 'application/sdp',
        Authorization: authorizationFor(challenge, { method: 'DESCRIBE', uri, username: options.username, password: options.password }),
      });
      if (describe.status === 401) throw new RtspProbeError('unauthorized', 'DESCRIBE refused: wrong user or password (401)');
    }
    if (describe.status !== 200) throw new RtspProbeError('protocol', `DESCRIBE answered ${describe.status} ${describe.reason}`);
    const sdp = describe.body.toString('utf8');
    if (!/^v=0/m.test(sdp) || !/^m=video/m.test(sdp)) throw new RtspProbeError('protocol', 'DESCRIBE answer has no video in its SDP');
    return { sdp };
  } catch (err) {
    if (timedOut) throw new RtspProbeError('timeout', `${target.host} gave no answer within ${options.timeoutMs} ms`);
    throw err instanceof RtspProbeError ? err : new RtspProbeError('unreachable', (err as Error).message);
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
