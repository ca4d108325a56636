/**
 * Evidence from a camera: a JPEG snapshot and a short MP4 clip, both through
 * fluent-ffmpeg from the camera's RTSP stream (ffmpeg-job.ts owns the children).
 *
 * The snapshot prefers a frame from the stream — what the camera is actually
 * sending — but must answer well within the hub's evidence deadline (1.5 s,
 * hub/src/config.ts). A grab takes about one GOP plus the 0.5 s probe: measured
 * against the simulator (10 fps, GOP 5) at 0.99–1.11 s on an idle 2-core box and
 * 1.44–1.58 s with the box loaded (load average 8). So the snapshot URI is
 * fetched at the same time as a stand-by:
 * - a frame from RTSP within `rtspPreferredForMs` wins;
 * - after that, or as soon as the grab fails, the snapshot URI's JPEG (already in
 *   hand, or whichever of the two comes first);
 * - with no usable snapshot URI the grab is the only source and runs to its own
 *   timeout: a late JPEG is still evidence, an error is not.
 * The loser is cancelled (its ffmpeg killed, its request aborted). The answer
 * says which `source` the JPEG came from.
 */
import { rm, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rtspCommand, runFfmpeg } from './ffmpeg-job.js';
import { isMp4, jpegInfo } from './media-checks.js';

export type SnapshotSource = 'rtsp' | 'snapshot-uri';

/** Prefer the stream's frame for this long (see the measurements above): answers stay ≤ ~1.1 s when the snapshot URI works. */
export const RTSP_PREFERRED_FOR_MS = 1100;
/** The snapshot URI must answer within this, or it is no use against the hub's 1.5 s deadline. */
export const SNAPSHOT_URI_TIMEOUT_MS = 1300;
/** A grab that is the only source may take this long (one GOP + probe, on a slow link). */
export const RTSP_GRAB_TIMEOUT_MS = 5000;

export interface RtspJobOptions {
  ffmpegPath?: string;
  signal?: AbortSignal;
  /** Secrets to blank out of errors (the camera's password). */
  redact?: readonly string[];
  timeoutMs?: number;
}

/** One JPEG from an RTSP stream (credentials in the URL). */
export function grabRtspFrame(rtspUrl: string, options: RtspJobOptions & { maxBytes?: number }): Promise<Buffer> {
  const command = rtspCommand(rtspUrl).outputOptions(['-frames:v', '1', '-an', '-c:v', 'mjpeg', '-q:v', '4', '-f', 'image2']);
  return runFfmpeg(command, {
    ffmpegPath: options.ffmpegPath,
    timeoutMs: options.timeoutMs ?? RTSP_GRAB_TIMEOUT_MS,
    signal: options.signal,
    maxStdoutBytes: options.maxBytes ?? 8 * 1024 * 1024,
    redact: options.redact,
  });
}

/** `seconds` of the stream copied (no re-encoding) into an MP4; resolves with its bytes. */
export async function recordRtspClip(rtspUrl: string, seconds: number, options: RtspJobOptions): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-clip-'));
  const file = join(dir, 'clip.mp4');
  try {
    const command = rtspCommand(rtspUrl).outputOptions(['-t', String(seconds), '-an', '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4']).output(file);
    await runFfmpeg(command, { ffmpegPath: options.ffmpegPath, timeoutMs: options.timeoutMs ?? seconds * 1000 + 12_000, signal: options.signal, redact: options.redact });
    const clip = await readFile(file);
    if (!isMp4(clip)) throw new Error('ffmpeg wrote no MP4');
    return clip;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface SnapshotRequest {
  /** The stream with credentials, for ffmpeg only; absent when the camera gave none. */
  rtspUrl?: string;
  /** Fetches the camera's snapshot URI (Digest); absent when the camera gave none. */
  fetchSnapshotUri?: (options: { signal: AbortSignal; timeoutMs: number; maxBytes: number }) => Promise<Buffer>;
  ffmpegPath?: string;
  signal?: AbortSignal;
  redact?: readonly string[];
  maxBytes: number;
  rtspPreferredForMs?: number;
  snapshotUriTimeoutMs?: number;
  grabTimeoutMs?: number;
}

export interface Snapshot {
  jpeg: Buffer;
  source: SnapshotSource;
  width: number;
  height: number;
  /** What the other source said, when it failed (for the log). */
  problems: Partial<Record<SnapshotSource, string>>;
}

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

type Attempt = { state: 'pending' } | { state: 'ok'; jpeg: Buffer; width: number; height: number } | { state: 'failed'; problem: string };

/** One JPEG from the camera by the rules in this file's header. */
export function takeSnapshot(request: SnapshotRequest): Promise<Snapshot> {
  const preferredForMs = request.rtspPreferredForMs ?? RTSP_PREFERRED_FOR_MS;
  const cancel = new AbortController();
  const signal = request.signal ? AbortSignal.any([request.signal, cancel.signal]) : cancel.signal;
  const attempts: Record<SnapshotSource, Attempt> = {
    rtsp: request.rtspUrl ? { state: 'pending' } : { state: 'failed', problem: 'the camera gave no RTSP stream URI' },
    'snapshot-uri': request.fetchSnapshotUri ? { state: 'pending' } : { state: 'failed', problem: 'the camera gave no snapshot URI' },
  };
  let preferRtsp = true;

  return new Promise<Snapshot>((resolve, reject) => {
    let settled = false;
    const problems = (): Snapshot['problems'] => {
      const out: Snapshot['problems'] = {};
      for (const source of ['rtsp', 'snapshot-uri'] as const) {
        const a = attempts[source];
        if (a.state === 'failed') out[source] = a.problem;
      }
      return out;
    };
    const finish = (outcome: { source: SnapshotSource } | { error: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(preferTimer);
      // The loser's ffmpeg is killed and its request aborted; their rejections are already handled.
      cancel.abort();
      if ('error' in outcome) return reject(new SnapshotError(outcome.error));
      const a = attempts[outcome.source] as Extract<Attempt, { state: 'ok' }>;
      resolve({ jpeg: a.jpeg, source: outcome.source, width: a.width, height: a.height, problems: problems() });
    };
    const decide = () => {
      const rtsp = attempts.rtsp;
      const uri = attempts['snapshot-uri'];
      if (rtsp.state === 'ok') return finish({ source: 'rtsp' });
      if (uri.state === 'ok' && (!preferRtsp || rtsp.state === 'failed')) return finish({ source: 'snapshot-uri' });
      if (rtsp.state === 'failed' && uri.state === 'failed') return finish({ error: `no snapshot: RTSP ${rtsp.problem}; snapshot URI ${uri.problem}` });
    };
    const settle = (source: SnapshotSource, job: Promise<Buffer>) => {
      job.then(
        (jpeg) => {
          const info = jpegInfo(jpeg);
          attempts[source] = info ? { state: 'ok', jpeg, ...info } : { state: 'failed', problem: 'returned something that is not a whole JPEG' };
        },
        (err: Error) => {
          attempts[source] = { state: 'failed', problem: err.message };
        },
      ).finally(() => {
        if (!settled) decide();
      });
    };
    const preferTimer = setTimeout(() => {
      preferRtsp = false;
      if (!settled) decide();
    }, preferredForMs);

    if (request.rtspUrl) {
      settle('rtsp', grabRtspFrame(request.rtspUrl, { ffmpegPath: request.ffmpegPath, signal, redact: request.redact, timeoutMs: request.grabTimeoutMs ?? RTSP_GRAB_TIMEOUT_MS, maxBytes: request.maxBytes }));
    }
    if (request.fetchSnapshotUri) {
      settle('snapshot-uri', request.fetchSnapshotUri({ signal, timeoutMs: request.snapshotUriTimeoutMs ?? SNAPSHOT_URI_TIMEOUT_MS, maxBytes: request.maxBytes }));
    }
    decide();
  });
}
