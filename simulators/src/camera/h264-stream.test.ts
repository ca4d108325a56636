/** H.264 handling without ffmpeg: Annex-B parsing, RTP packetisation, and the picture loop's fault switching. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { groupAccessUnits, splitAnnexB, type AccessUnit, type CameraClip } from './h264-clip.js';
import { h264Fmtp, h264RtpPayloads, interleavedFrame, rtpHeader } from './rtp-h264.js';
import { VideoLoop } from './video-loop.js';

const nal = (type: number, size: number, firstMb = true): Buffer => {
  const b = Buffer.alloc(size, 0xab);
  b[0] = 0x60 | type;
  if (type === 1 || type === 5) b[1] = firstMb ? 0x88 : 0x08;
  return b;
};
const startCode4 = Buffer.from([0, 0, 0, 1]);
const startCode3 = Buffer.from([0, 0, 1]);

describe('Annex-B parsing', () => {
  it('splits at 3- and 4-byte start codes and groups NAL units into pictures', () => {
    const stream = Buffer.concat([
      startCode4, nal(7, 10), startCode4, nal(8, 4), startCode3, nal(6, 20), startCode3, nal(5, 50), startCode3, nal(5, 40, false),
      startCode3, nal(1, 30), startCode4, nal(1, 25, false), startCode3, nal(1, 35),
    ]);
    const nals = splitAnnexB(stream);
    expect(nals.map((n) => [n[0] & 0x1f, n.length])).toEqual([[7, 10], [8, 4], [6, 20], [5, 50], [5, 40], [1, 30], [1, 25], [1, 35]]);
    const units = groupAccessUnits(nals);
    // SEI dropped; the IDR's two slices stay together; the second P picture starts at first_mb_in_slice = 0.
    expect(units.map((u) => [u.idr, u.nals.map((n) => n[0] & 0x1f)])).toEqual([
      [true, [7, 8, 5, 5]],
      [false, [1, 1]],
      [false, [1]],
    ]);
  });
});

describe('RTP packetisation (RFC 6184)', () => {
  it('sends small NAL units whole and fragments large ones as FU-A', () => {
    const big = nal(5, 3000);
    const payloads = h264RtpPayloads([nal(7, 10), big], 1400);
    expect(payloads[0]).toEqual(nal(7, 10));
    const fragments = payloads.slice(1);
    expect(fragments).toHaveLength(3);
    expect(fragments.map((f) => f[0])).toEqual([0x60 | 28, 0x60 | 28, 0x60 | 28]);
    expect(fragments.map((f) => f[1])).toEqual([0x80 | 5, 5, 0x40 | 5]);
    // Reassembly gives the original NAL unit back.
    const rebuilt = Buffer.concat([Buffer.from([(fragments[0][0] & 0xe0) | (fragments[0][1] & 0x1f)]), ...fragments.map((f) => f.subarray(2))]);
    expect(rebuilt.equals(big)).toBe(true);
    expect(fragments.every((f) => f.length <= 1400)).toBe(true);
  });

  it('writes RTP headers and interleaved frames', () => {
    const h = rtpHeader(65535, 2 ** 32 - 1, 0x01020304, true);
    expect([...h]).toEqual([0x80, 0x80 | 96, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]);
    expect([...interleavedFrame(1, Buffer.from([9, 9]))]).toEqual([0x24, 1, 0, 2, 9, 9]);
    expect(h264Fmtp(Buffer.from([0x67, 0x42, 0xc0, 0x1e]), Buffer.from([0x68]))).toBe('packetization-mode=1;profile-level-id=42C01E;sprop-parameter-sets=Z0LAHg==,aA==');
  });
});

describe('video loop', () => {
  afterEach(() => vi.useRealTimers());

  const unit = (idr: boolean, tag: number): AccessUnit => ({ idr, nals: [Buffer.from([idr ? 0x65 : 0x41, tag])] });
  // 2 fps, 6 frames (3 s), IDR every 2 frames.
  const frames = [unit(true, 0), unit(false, 1), unit(true, 2), unit(false, 3), unit(true, 4), unit(false, 5)];
  const clip: CameraClip = {
    width: 64, height: 64, fps: 2, frames, sps: Buffer.from([0x67]), pps: Buffer.from([0x68]),
    snapshots: [Buffer.from('s0'), Buffer.from('s1'), Buffer.from('s2')], blackFrame: unit(true, 99), blackSnapshot: Buffer.from('black'),
  };
  const tagOf = (u: AccessUnit): number => u.nals[0][1];

  it('paces frames on the clock, freezes on an IDR picture and resumes live only at an IDR', () => {
    vi.useFakeTimers({ now: 0 });
    const loop = new VideoLoop(clip, { epoch: 0 });
    const seen: number[] = [];
    const unsubscribe = loop.subscribe((frame) => seen.push(tagOf(frame)));
    vi.advanceTimersByTime(1500); // frames 0..3 due at 0, 500, 1000, 1500 ms
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(loop.snapshot().toString()).toBe('s1');

    loop.setMode('frozen'); // last IDR before now (frame 3) is frame 2
    vi.advanceTimersByTime(1000);
    expect(seen.slice(4)).toEqual([2, 2]);
    expect(loop.snapshot().toString()).toBe('s1');

    loop.setMode('black');
    vi.advanceTimersByTime(500);
    expect(seen.at(-1)).toBe(99);
    expect(loop.snapshot().toString()).toBe('black');

    loop.setMode('live'); // frame 7 (clip 1) is a P-frame: keep the still until frame 8 (clip 2, IDR)
    vi.advanceTimersByTime(1000);
    expect(seen.slice(-2)).toEqual([99, 2]);
    unsubscribe();
    expect(loop.viewerCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
