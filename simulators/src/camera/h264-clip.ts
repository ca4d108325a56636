/**
 * The camera's picture: a short H.264 loop encoded once by ffmpeg at start
 * (moving test pattern with the camera name and the clip clock), cut into
 * access units in memory, plus one JPEG per second of the loop and a black
 * frame for tamper. The RTSP server replays the loop forever, so serving any
 * number of viewers costs no encoding at all.
 *
 * Encoding choices: Baseline profile (no B-frames: decode order = display
 * order, simple RTP timestamps), one slice per frame, a GOP of half a second so
 * a new viewer (or a snapshot grab) decodes its first picture quickly, and
 * SPS/PPS repeated before every IDR (x264's default without global headers).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFfmpeg } from './ffmpeg-process.js';

export interface AccessUnit {
  /** NAL units without start codes. */
  readonly nals: readonly Buffer[];
  readonly idr: boolean;
}

export interface CameraClip {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly frames: readonly AccessUnit[];
  readonly sps: Buffer;
  readonly pps: Buffer;
  /** One JPEG per second of the loop. */
  readonly snapshots: readonly Buffer[];
  readonly blackFrame: AccessUnit;
  readonly blackSnapshot: Buffer;
}

export interface ClipOptions {
  label: string;
  width: number;
  height: number;
  fps: number;
  seconds: number;
  gop: number;
  ffmpegPath?: string;
  signal?: AbortSignal;
}

export const nalType = { slice: 1, idr: 5, sei: 6, sps: 7, pps: 8, aud: 9 } as const;

/** Splits an Annex-B byte stream at its 3- and 4-byte start codes. */
export function splitAnnexB(data: Buffer): Buffer[] {
  const starts: number[] = [];
  for (let i = 0; i + 2 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      starts.push(i + 3);
      i += 2;
    }
  }
  const nals: Buffer[] = [];
  starts.forEach((start, k) => {
    let end = k + 1 < starts.length ? starts[k + 1] - 3 : data.length;
    // A 4-byte start code leaves its leading zero on the previous NAL's tail; so can trailing_zero_8bits.
    while (end > start && data[end - 1] === 0) end--;
    if (end > start) nals.push(data.subarray(start, end));
  });
  return nals;
}

/**
 * Groups NAL units into access units (H.264 §7.4.1.2.3): a new picture starts
 * at an AUD/SPS/PPS/SEI after a slice, or at a slice whose first_mb_in_slice
 * is 0 (its ue(v) code is the single bit '1', the top bit of the byte after
 * the NAL header). AUD and SEI are dropped: nothing downstream needs them.
 */
export function groupAccessUnits(nals: readonly Buffer[]): AccessUnit[] {
  const units: AccessUnit[] = [];
  let current: Buffer[] = [];
  let hasSlice = false;
  const flush = (): void => {
    if (hasSlice) units.push({ nals: current, idr: current.some((n) => (n[0] & 0x1f) === nalType.idr) });
    current = [];
    hasSlice = false;
  };
  for (const nal of nals) {
    const type = nal[0] & 0x1f;
    const isSlice = type === nalType.slice || type === nalType.idr;
    if (isSlice) {
      if (hasSlice && nal.length > 1 && (nal[1] & 0x80) !== 0) flush();
      hasSlice = true;
      current.push(nal);
    } else {
      if (hasSlice) flush();
      if (type === nalType.sps || type === nalType.pps) current.push(nal);
    }
  }
  flush();
  return units;
}

function findFont(): string | undefined {
  const candidates = ['/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'];
  return candidates.find((f) => existsSync(f));
}

/** drawtext's own expansion escapes '\' and '%'; the label lives in a file so the filtergraph never sees it. */
function drawtextLabel(label: string): string {
  const safe = label.slice(0, 48).replace(/[\\%]/g, (c) => `\\${c}`);
  return `${safe}  %{pts:hms}`;
}

const filterSafePath = /^[\w./-]+$/;

export async function encodeCameraClip(opts: ClipOptions): Promise<CameraClip> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-cam-'));
  try {
    const font = findFont();
    let video = '[0:v]';
    if (font && filterSafePath.test(dir) && filterSafePath.test(font)) {
      await writeFile(join(dir, 'label.txt'), drawtextLabel(opts.label), 'utf8');
      const size = Math.max(12, Math.round(opts.height / 15));
      video += `drawtext=fontfile=${font}:textfile=${join(dir, 'label.txt')}:x=12:y=h-th-12:fontsize=${size}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=6,`;
    }
    const filter = `${video}format=yuv420p,split=2[v][s];[s]fps=1[j]`;
    const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-threads', '1'];
    const size = `${opts.width}x${opts.height}`;
    await runFfmpeg(
      [
        '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${opts.fps}:duration=${opts.seconds}`,
        '-f', 'lavfi', '-i', `color=c=black:size=${size}:rate=${opts.fps}:duration=1`,
        '-filter_complex', filter,
        '-map', '[v]', ...x264, '-g', String(opts.gop), '-keyint_min', String(opts.gop), '-sc_threshold', '0',
        '-b:v', '400k', '-maxrate', '600k', '-bufsize', '600k', '-f', 'h264', 'clip.h264',
        '-map', '[j]', '-q:v', '5', '-f', 'image2', 'snap-%03d.jpg',
        '-map', '1:v', '-frames:v', '1', ...x264, '-f', 'h264', 'black.h264',
        '-map', '1:v', '-frames:v', '1', '-q:v', '5', '-f', 'image2', 'black.jpg',
      ],
      { ffmpegPath: opts.ffmpegPath, signal: opts.signal, cwd: dir },
    );
    const nals = splitAnnexB(await readFile(join(dir, 'clip.h264')));
    const frames = groupAccessUnits(nals);
    const sps = nals.find((n) => (n[0] & 0x1f) === nalType.sps);
    const pps = nals.find((n) => (n[0] & 0x1f) === nalType.pps);
    if (!sps || !pps || frames.length === 0 || !frames[0].idr) throw new Error('the encoded clip has no SPS/PPS or does not start with an IDR frame');
    const blackFrames = groupAccessUnits(splitAnnexB(await readFile(join(dir, 'black.h264'))));
    if (blackFrames.length !== 1 || !blackFrames[0].idr) throw new Error('the black frame did not encode as one IDR picture');
    const snapNames = (await readdir(dir)).filter((f) => /^snap-\d+\.jpg$/.test(f)).sort();
    const snapshots = await Promise.all(snapNames.map((f) => readFile(join(dir, f))));
    if (snapshots.length === 0) throw new Error('no snapshot JPEGs were produced');
    return {
      width: opts.width,
      height: opts.height,
      fps: opts.fps,
      frames,
      sps: Buffer.from(sps),
      pps: Buffer.from(pps),
      snapshots,
      blackFrame: blackFrames[0],
      blackSnapshot: await readFile(join(dir, 'black.jpg')),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
