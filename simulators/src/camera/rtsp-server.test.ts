/**
 * The camera's RTSP server against the real ffprobe/ffmpeg and a raw RTSP
 * client (for the status codes ffmpeg hides).
 */
import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraSimulator, type CameraEndpoints } from './camera-simulator.js';
import { digestAuthorization } from './http-digest.js';

const run = promisify(execFile);
// Without these probe limits ffmpeg spends ~5 s analysing the stream.
const fastProbe = ['-rtsp_transport', 'tcp', '-analyzeduration', '500000', '-probesize', '100000'];

let camera: CameraSimulator;
let ep: CameraEndpoints;
const withCredentials = (password = 'secret'): string => ep.rtsp.replace('rtsp://', `rtsp://admin:${password}@`);

beforeAll(async () => {
  camera = new CameraSimulator({ name: 'Gate 1', username: 'admin', password: 'secret', width: 320, height: 180, clipSeconds: 4 });
  ep = await camera.start();
});

afterAll(async () => {
  await camera?.stop();
});

interface RtspResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** A bare RTSP/1.0 client over one TCP connection; collects interleaved packets after PLAY. */
class RawRtsp {
  readonly socket: Socket;
  readonly packets: { channel: number; data: Buffer }[] = [];
  #buffer = Buffer.alloc(0);
  #cseq = 0;
  #pending: ((r: RtspResponse) => void) | undefined;
  #packetWaiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#drain();
    });
  }

  static open(url: string): Promise<RawRtsp> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(u.port), u.hostname, () => resolve(new RawRtsp(socket)));
      socket.once('error', reject);
    });
  }

  #drain(): void {
    for (;;) {
      if (this.#buffer.length === 0) return;
      if (this.#buffer[0] === 0x24) {
        if (this.#buffer.length < 4) return;
        const len = this.#buffer.readUInt16BE(2);
        if (this.#buffer.length < 4 + len) return;
        this.packets.push({ channel: this.#buffer[1], data: this.#buffer.subarray(4, 4 + len) });
        this.#buffer = this.#buffer.subarray(4 + len);
        for (const w of this.#packetWaiters.splice(0)) w();
        continue;
      }
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...lines] = this.#buffer.subarray(0, end).toString().split('\r\n');
      const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
      const length = Number(headers.get('content-length') ?? 0);
      if (this.#buffer.length < end + 4 + length) return;
      const body = this.#buffer.subarray(end + 4, end + 4 + length).toString();
      this.#buffer = this.#buffer.subarray(end + 4 + length);
      this.#pending?.({ status: Number(statusLine.split(' ')[1]), headers, body });
      this.#pending = undefined;
    }
  }

  request(method: string, url: string, headers: Record<string, string> = {}): Promise<RtspResponse> {
    this.#cseq += 1;
    const lines = [`${method} ${url} RTSP/1.0`, `CSeq: ${this.#cseq}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    return new Promise((resolve) => {
      this.#pending = resolve;
      this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
  }

  /** Sends a request, answering a 401 challenge with the given password. */
  async authed(method: string, url: string, password: string, headers: Record<string, string> = {}): Promise<RtspResponse> {
    const first = await this.request(method, url, headers);
    if (first.status !== 401) return first;
    const authorization = digestAuthorization(first.headers.get('www-authenticate') ?? '', { method, uri: url, username: 'admin', password });
    return this.request(method, url, { ...headers, Authorization: authorization });
  }

  waitForPackets(count: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${this.packets.length} packets in ${timeoutMs} ms`)), timeoutMs);
      const check = (): void => {
        if (this.packets.length >= count) {
          clearTimeout(timer);
          resolve();
        } else this.#packetWaiters.push(check);
      };
      check();
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('RTSP server with ffmpeg', () => {
  it('is read by ffprobe as a 320x180 H.264 stream', async () => {
    const { stdout } = await run('ffprobe', ['-v', 'error', ...fastProbe, '-show_entries', 'stream=codec_name,width,height', '-of', 'json', withCredentials()], {
      timeout: 15_000,
    });
    expect(JSON.parse(stdout).streams).toEqual([{ codec_name: 'h264', width: 320, height: 180 }]);
  });

  it('gives ffmpeg a frame it saves as a valid JPEG', async () => {
    const { stdout } = await run('ffmpeg', ['-v', 'error', ...fastProbe, '-i', withCredentials(), '-frames:v', '1', '-f', 'image2', '-c:v', 'mjpeg', 'pipe:1'], {
      encoding: 'buffer',
      timeout: 15_000,
      maxBuffer: 4 << 20,
    });
    expect(stdout.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(stdout.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    expect(stdout.length).toBeGreaterThan(1000);
  });

  it('makes ffprobe fail with 401 on a wrong password', async () => {
    await expect(run('ffprobe', ['-v', 'error', ...fastProbe, withCredentials('wrong')], { timeout: 15_000 })).rejects.toMatchObject({
      stderr: expect.stringContaining('401 Unauthorized'),
    });
  });
});

describe('RTSP server protocol', () => {
  it('challenges DESCRIBE with Digest and answers 401 again to a wrong password', async () => {
    const rtsp = await RawRtsp.open(ep.rtsp);
    try {
      expect((await rtsp.request('OPTIONS', ep.rtsp)).headers.get('public')).toContain('DESCRIBE');
      const challenge = await rtsp.request('DESCRIBE', ep.rtsp);
      expect(challenge.status).toBe(401);
      expect(challenge.headers.get('www-authenticate')).toMatch(/^Digest realm="Warden camera Gate 1", nonce="[0-9a-f]+", algorithm=MD5$/);
      expect((await rtsp.authed('DESCRIBE', ep.rtsp, 'wrong')).status).toBe(401);
      expect((await rtsp.authed('DESCRIBE', ep.rtsp.replace('/main', '/sub'), 'secret')).status).toBe(404);
    } finally {
      rtsp.close();
    }
  });

  it('describes H.264 with parameter sets, refuses UDP, and streams RTP over the RTSP connection from an IDR', async () => {
    const rtsp = await RawRtsp.open(ep.rtsp);
    try {
      const describe = await rtsp.authed('DESCRIBE', ep.rtsp, 'secret', { Accept: 'application/sdp' });
      expect(describe.status).toBe(200);
      expect(describe.body).toMatch(/a=rtpmap:96 H264\/90000/);
      expect(describe.body).toMatch(/a=fmtp:96 packetization-mode=1;profile-level-id=42[0-9A-F]{4};sprop-parameter-sets=[A-Za-z0-9+/=]+,[A-Za-z0-9+/=]+/);
      const track = `${describe.headers.get('content-base')}trackID=0`;
      expect((await rtsp.authed('SETUP', track, 'secret', { Transport: 'RTP/AVP;unicast;client_port=5000-5001' })).status).toBe(461);
      const setup = await rtsp.authed('SETUP', track, 'secret', { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
      expect(setup.status).toBe(200);
      expect(setup.headers.get('transport')).toMatch(/^RTP\/AVP\/TCP;unicast;interleaved=0-1;ssrc=[0-9A-F]{8}/);
      const session = setup.headers.get('session')!.split(';')[0];
      expect((await rtsp.authed('PLAY', ep.rtsp, 'secret', { Session: session })).status).toBe(200);
      await rtsp.waitForPackets(5, 5000);
      const rtp = rtsp.packets.filter((p) => p.channel === 0).map((p) => p.data);
      expect(rtp[0][0] >> 6).toBe(2); // RTP version 2
      expect(rtp[0][1] & 0x7f).toBe(96);
      expect(rtp[0][12] & 0x1f).toBe(7); // a new viewer starts at SPS, PPS, IDR
      expect(rtp[1][12] & 0x1f).toBe(8);
      expect(rtp[1].readUInt16BE(2)).toBe((rtp[0].readUInt16BE(2) + 1) & 0xffff);
      expect(camera.state().viewers).toBe(1);
      expect((await rtsp.authed('TEARDOWN', ep.rtsp, 'secret', { Session: session })).status).toBe(200);
    } finally {
      rtsp.close();
    }
  });

  it('drops connections while the camera is offline', async () => {
    camera.injectFault('offline');
    try {
      const rtsp = await RawRtsp.open(ep.rtsp);
      await new Promise<void>((resolve) => rtsp.socket.once('close', () => resolve()));
      expect(rtsp.socket.destroyed).toBe(true);
    } finally {
      camera.clearFaults();
    }
  });
});
