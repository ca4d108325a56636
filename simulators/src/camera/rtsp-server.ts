/**
 * A small RTSP 1.0 server (RFC 2326) for one H.264 stream: OPTIONS, DESCRIBE
 * (SDP with sprop-parameter-sets), SETUP (RTP/AVP/TCP interleaved only; UDP
 * gets 461 so clients such as ffmpeg fall back to TCP), PLAY, TEARDOWN and
 * GET_PARAMETER/SET_PARAMETER keep-alives, with HTTP Digest authentication on
 * everything but OPTIONS. It relays the camera's VideoLoop: each access unit
 * is packetised once (RFC 6184) and each viewer only gets its own RTP header.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { AccessUnit } from './h264-clip.js';
import type { DigestAuthenticator } from './http-digest.js';
import { h264Fmtp, h264RtpPayloads, interleavedFrame, rtcpSenderReport, rtpClockRate, rtpHeader } from './rtp-h264.js';
import type { SimLogger } from './sim-logger.js';
import type { VideoLoop } from './video-loop.js';

export interface RtspServerOptions {
  host: string;
  port: number;
  /** Host written into URLs (Content-Base, RTP-Info). */
  publicHost: string;
  /** The stream's path, e.g. `/cam1/main`. */
  path: string;
  streamName: string;
  video: VideoLoop;
  digest: DigestAuthenticator;
  logger: SimLogger;
  /** While true, connections are dropped on sight (the camera is offline). */
  offline?: () => boolean;
  sessionTimeoutSec?: number;
}

interface RtspRequest {
  method: string;
  uri: string;
  headers: Map<string, string>;
}

interface Session {
  readonly id: string;
  readonly ssrc: number;
  readonly channel: number;
  readonly rtpOffset: number;
  seq: number;
  playing: boolean;
  /** Waiting for an IDR before sending (new viewer, or after dropped frames). */
  awaitingIdr: boolean;
  unsubscribe: (() => void) | undefined;
  packets: number;
  octets: number;
  lastReport: number;
}

interface Connection {
  readonly socket: Socket;
  buffer: Buffer;
  session: Session | undefined;
  lastSeen: number;
}

const maxHeaderBytes = 16 * 1024;
/** A viewer this far behind is skipped until the next IDR, as a camera drops frames for a slow client. */
const maxQueuedBytes = 2 * 1024 * 1024;
const reasons: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  459: 'Aggregate Operation Not Allowed',
  461: 'Unsupported Transport',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

export class RtspServer {
  readonly #opts: RtspServerOptions;
  readonly #connections = new Set<Connection>();
  readonly #payloads = new WeakMap<AccessUnit, Buffer[]>();
  #server: Server | undefined;
  #sweep: NodeJS.Timeout | undefined;
  #port = 0;

  constructor(options: RtspServerOptions) {
    this.#opts = options;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `rtsp://${this.#opts.publicHost}:${this.#port}${this.#opts.path}`;
  }

  /** Viewers currently receiving RTP. */
  get viewerCount(): number {
    return [...this.#connections].filter((c) => c.session?.playing).length;
  }

  async start(): Promise<number> {
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#opts.port, this.#opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = (server.address() as AddressInfo).port;
    const timeoutMs = (this.#opts.sessionTimeoutSec ?? 60) * 1000;
    this.#sweep = setInterval(() => {
      const now = Date.now();
      for (const c of this.#connections) {
        if (now - c.lastSeen > timeoutMs * 1.5) {
          this.#opts.logger('info', 'RTSP session timed out', { session: c.session?.id });
          c.socket.destroy();
        }
      }
    }, 5_000);
    this.#sweep.unref();
    return this.#port;
  }

  /** Drops every connection (the camera lost power or network). */
  dropAll(): void {
    for (const c of this.#connections) c.socket.destroy();
  }

  async stop(): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = undefined;
    const server = this.#server;
    this.#server = undefined;
    this.dropAll();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    if (this.#opts.offline?.()) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const conn: Connection = { socket, buffer: Buffer.alloc(0), session: undefined, lastSeen: Date.now() };
    this.#connections.add(conn);
    socket.on('data', (chunk: Buffer) => {
      conn.lastSeen = Date.now();
      conn.buffer = conn.buffer.length === 0 ? chunk : Buffer.concat([conn.buffer, chunk]);
      try {
        this.#drain(conn);
      } catch (err) {
        this.#opts.logger('warn', 'RTSP connection error', { error: String(err) });
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      conn.session?.unsubscribe?.();
      this.#connections.delete(conn);
    });
  }

  /** Consumes complete requests and interleaved packets (RTCP receiver reports) from the buffer. */
  #drain(conn: Connection): void {
    for (;;) {
      const buf = conn.buffer;
      if (buf.length === 0) return;
      if (buf[0] === 0x24) {
        if (buf.length < 4) return;
        const len = buf.readUInt16BE(2);
        if (buf.length < 4 + len) return;
        conn.buffer = buf.subarray(4 + len);
        continue;
      }
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > maxHeaderBytes) throw new Error('RTSP request header too large');
        return;
      }
      const head = buf.subarray(0, end).toString('utf8');
      const [requestLine, ...headerLines] = head.split('\r\n');
      const headers = new Map<string, string>();
      for (const line of headerLines) {
        const i = line.indexOf(':');
        if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
      }
      const bodyLength = Number(headers.get('content-length') ?? 0);
      if (!Number.isInteger(bodyLength) || bodyLength < 0 || bodyLength > maxHeaderBytes) throw new Error('bad Content-Length');
      if (buf.length < end + 4 + bodyLength) return;
      conn.buffer = buf.subarray(end + 4 + bodyLength);
      const m = /^([A-Z_]+) (\S+) RTSP\/1\.0$/.exec(requestLine);
      if (!m) {
        this.#reply(conn, headers.get('cseq'), 400);
        continue;
      }
      this.#handle(conn, { method: m[1], uri: m[2], headers });
    }
  }

  #reply(conn: Connection, cseq: string | undefined, status: number, headers: Record<string, string> = {}, body = ''): void {
    const lines = [`RTSP/1.0 ${status} ${reasons[status] ?? 'Error'}`];
    if (cseq !== undefined) lines.push(`CSeq: ${cseq}`);
    lines.push('Server: Warden camera simulator', `Date: ${new Date().toUTCString()}`);
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    conn.socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  }

  /** Whether `uri` names our stream (optionally with a track suffix). */
  #isOurStream(uri: string): boolean {
    // Compare decoded paths: clients differ in which characters they percent-encode.
    let path: string;
    let ours: string;
    try {
      path = decodeURIComponent(new URL(uri).pathname).replace(/\/+$/, '');
      ours = decodeURIComponent(this.#opts.path);
    } catch {
      return false;
    }
    return path === ours || path === `${ours}/trackID=0`;
  }

  #handle(conn: Connection, req: RtspRequest): void {
    const cseq = req.headers.get('cseq');
    if (cseq === undefined) return this.#reply(conn, undefined, 400);
    if (req.method === 'OPTIONS') {
      return this.#reply(conn, cseq, 200, { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER, SET_PARAMETER' });
    }
    const auth = this.#opts.digest.verify(req.method, req.headers.get('authorization'));
    if (auth !== 'ok') {
      if (auth === 'invalid') this.#opts.logger('warn', 'RTSP authentication failed', { method: req.method });
      return this.#reply(conn, cseq, 401, { 'WWW-Authenticate': this.#opts.digest.challenge(auth === 'stale') });
    }
    const sessionHeaders = (): Record<string, string> =>
      conn.session ? { Session: `${conn.session.id};timeout=${this.#opts.sessionTimeoutSec ?? 60}` } : {};
    const sessionMatches = (): boolean => {
      const given = req.headers.get('session')?.split(';')[0].trim();
      return conn.session !== undefined && given === conn.session.id;
    };

    switch (req.method) {
      case 'DESCRIBE': {
        if (!this.#isOurStream(req.uri)) return this.#reply(conn, cseq, 404);
        const base = `rtsp://${this.#opts.publicHost}:${this.#port}${this.#opts.path}/`;
        return this.#reply(conn, cseq, 200, { 'Content-Base': base, 'Content-Type': 'application/sdp' }, this.#sdp());
      }
      case 'SETUP': {
        if (!this.#isOurStream(req.uri)) return this.#reply(conn, cseq, 404);
        if (conn.session && !sessionMatches()) return this.#reply(conn, cseq, 459);
        const transport = req.headers.get('transport') ?? '';
        const tcp = transport.split(',').find((t) => /^RTP\/AVP\/TCP\b/i.test(t.trim()));
        if (!tcp) return this.#reply(conn, cseq, 461);
        const interleaved = /interleaved=(\d+)(?:-(\d+))?/.exec(tcp);
        const channel = interleaved ? Number(interleaved[1]) : 0;
        if (channel > 254) return this.#reply(conn, cseq, 400);
        conn.session ??= {
          id: randomBytes(8).toString('hex').toUpperCase(),
          ssrc: randomInt(1, 0xffffffff),
          channel,
          rtpOffset: randomInt(0, 0xffffffff),
          seq: randomInt(0, 0xffff),
          playing: false,
          awaitingIdr: true,
          unsubscribe: undefined,
          packets: 0,
          octets: 0,
          lastReport: 0,
        };
        const s = conn.session;
        return this.#reply(conn, cseq, 200, {
          Transport: `RTP/AVP/TCP;unicast;interleaved=${s.channel}-${s.channel + 1};ssrc=${s.ssrc.toString(16).toUpperCase().padStart(8, '0')};mode="PLAY"`,
          ...sessionHeaders(),
        });
      }
      case 'PLAY': {
        if (!sessionMatches()) return this.#reply(conn, cseq, 454);
        const s = conn.session!;
        const trackUrl = `rtsp://${this.#opts.publicHost}:${this.#port}${this.#opts.path}/trackID=0`;
        const rtptime = (s.rtpOffset + this.#opts.video.rtpTimeAt(Date.now())) >>> 0;
        this.#reply(conn, cseq, 200, { Range: 'npt=0.000-', 'RTP-Info': `url=${trackUrl};seq=${s.seq};rtptime=${rtptime}`, ...sessionHeaders() });
        if (!s.playing) {
          s.playing = true;
          s.awaitingIdr = true;
          s.unsubscribe = this.#opts.video.subscribe((frame, n, discontinuity) => this.#send(conn, s, frame, n, discontinuity));
          this.#opts.logger('info', 'RTSP viewer started', { session: s.id, viewers: this.viewerCount });
        }
        return;
      }
      case 'TEARDOWN': {
        if (!sessionMatches()) return this.#reply(conn, cseq, 454);
        const s = conn.session!;
        s.unsubscribe?.();
        s.playing = false;
        this.#reply(conn, cseq, 200, sessionHeaders());
        conn.session = undefined;
        return;
      }
      case 'GET_PARAMETER':
      case 'SET_PARAMETER':
        if (req.headers.has('session') && !sessionMatches()) return this.#reply(conn, cseq, 454);
        return this.#reply(conn, cseq, 200, sessionHeaders());
      default:
        return this.#reply(conn, cseq, 501);
    }
  }

  #sdp(): string {
    const clip = this.#opts.video.clip;
    const sessionId = Date.now();
    return [
      'v=0',
      `o=- ${sessionId} 1 IN IP4 ${this.#opts.publicHost}`,
      `s=${this.#opts.streamName.replace(/[\r\n]/g, ' ')}`,
      'c=IN IP4 0.0.0.0',
      't=0 0',
      'a=control:*',
      'a=range:npt=0-',
      'm=video 0 RTP/AVP 96',
      `a=rtpmap:96 H264/${rtpClockRate}`,
      `a=fmtp:96 ${h264Fmtp(clip.sps, clip.pps)}`,
      `a=framerate:${clip.fps}`,
      `a=x-dimensions:${clip.width},${clip.height}`,
      'a=control:trackID=0',
      '',
    ].join('\r\n');
  }

  #send(conn: Connection, s: Session, frame: AccessUnit, frameNumber: number, discontinuity: boolean): void {
    const socket = conn.socket;
    if (socket.destroyed) return;
    if (discontinuity) s.awaitingIdr = true;
    if (socket.writableLength > maxQueuedBytes) {
      s.awaitingIdr = true;
      return;
    }
    if (s.awaitingIdr) {
      if (!frame.idr) return;
      s.awaitingIdr = false;
    }
    let payloads = this.#payloads.get(frame);
    if (!payloads) this.#payloads.set(frame, (payloads = h264RtpPayloads(frame.nals)));
    const timestamp = (s.rtpOffset + Math.round((frameNumber * rtpClockRate) / this.#opts.video.clip.fps)) >>> 0;
    socket.cork();
    payloads.forEach((payload, i) => {
      const header = rtpHeader(s.seq, timestamp, s.ssrc, i === payloads.length - 1);
      s.seq = (s.seq + 1) & 0xffff;
      s.packets++;
      s.octets += payload.length;
      socket.write(interleavedFrame(s.channel, header, payload));
    });
    const now = Date.now();
    if (now - s.lastReport >= 5_000) {
      s.lastReport = now;
      const report = rtcpSenderReport(s.ssrc, now, (s.rtpOffset + this.#opts.video.rtpTimeAt(now)) >>> 0, s.packets, s.octets);
      socket.write(interleavedFrame(s.channel + 1, report));
    }
    socket.uncork();
  }
}
