/**
 * The camera's live picture: the pre-encoded clip replayed on the wall clock.
 * Frame n (counted from the loop's epoch) is due at epoch + n/fps and shows
 * clip frame n mod length, so the stream, the snapshot and every viewer agree
 * on what the camera "sees" now. A pacing timer runs only while someone
 * watches.
 *
 * Picture faults swap whole pictures at IDR boundaries, never mid-GOP:
 * - frozen: the last IDR picture before the freeze, repeated (a hung encoder);
 * - black: a black IDR picture (lens covered, tamper);
 * back to live only at the clip's next IDR, so decoders never see a P-frame
 * whose reference they did not get.
 */
import type { AccessUnit, CameraClip } from './h264-clip.js';

export type PictureMode = 'live' | 'frozen' | 'black';

/** `discontinuity`: frames were skipped (the process stalled); a viewer must wait for the next IDR. */
export type FrameListener = (frame: AccessUnit, frameNumber: number, discontinuity: boolean) => void;

export class VideoLoop {
  readonly clip: CameraClip;
  readonly frameMs: number;
  readonly #epoch: number;
  readonly #now: () => number;
  readonly #listeners = new Set<FrameListener>();
  #mode: PictureMode = 'live';
  /** The still shown while frozen, with its snapshot. */
  #frozen: { frame: AccessUnit; snapshot: Buffer } | undefined;
  /** True after a fault ended until the clip reaches an IDR. */
  #awaitingIdr = false;
  #lastStill: AccessUnit | undefined;
  #next = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(clip: CameraClip, options: { now?: () => number; epoch?: number } = {}) {
    this.clip = clip;
    this.frameMs = 1000 / clip.fps;
    this.#now = options.now ?? Date.now;
    this.#epoch = options.epoch ?? this.#now();
  }

  get mode(): PictureMode {
    return this.#mode;
  }

  get viewerCount(): number {
    return this.#listeners.size;
  }

  frameNumberAt(t: number): number {
    return Math.floor((t - this.#epoch) / this.frameMs);
  }

  /** The RTP-clock position (90 kHz units, before a session's random offset) of wall-clock time t. */
  rtpTimeAt(t: number): number {
    return Math.floor(((t - this.#epoch) * 90_000) / 1000);
  }

  #clipIndex(frameNumber: number): number {
    const n = this.clip.frames.length;
    return ((frameNumber % n) + n) % n;
  }

  #liveSnapshot(frameNumber: number): Buffer {
    const second = Math.floor(this.#clipIndex(frameNumber) / this.clip.fps);
    return this.clip.snapshots[Math.min(second, this.clip.snapshots.length - 1)];
  }

  setMode(mode: PictureMode): void {
    if (mode === this.#mode) return;
    if (mode === 'frozen') {
      const now = this.frameNumberAt(this.#now());
      let n = now;
      while (!this.clip.frames[this.#clipIndex(n)].idr) n--;
      this.#frozen = { frame: this.clip.frames[this.#clipIndex(n)], snapshot: this.#liveSnapshot(now) };
    }
    if (mode === 'live') this.#awaitingIdr = true;
    this.#mode = mode;
  }

  /** The JPEG a snapshot request gets now. */
  snapshot(): Buffer {
    if (this.#mode === 'black') return this.clip.blackSnapshot;
    if (this.#mode === 'frozen' && this.#frozen) return this.#frozen.snapshot;
    return this.#liveSnapshot(this.frameNumberAt(this.#now()));
  }

  subscribe(listener: FrameListener): () => void {
    this.#listeners.add(listener);
    if (!this.#timer) {
      this.#next = this.frameNumberAt(this.#now());
      this.#schedule();
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#timer) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  stop(): void {
    this.#listeners.clear();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    const due = this.#epoch + this.#next * this.frameMs;
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, due - this.#now()));
  }

  #tick(): void {
    const current = this.frameNumberAt(this.#now());
    let discontinuity = false;
    // More than a second behind (a stalled event loop): jump to now rather than burst-send stale frames.
    if (current - this.#next > this.clip.fps) {
      this.#next = current;
      discontinuity = true;
    }
    while (this.#next <= current && this.#listeners.size > 0) {
      const frame = this.#pick(this.#next);
      for (const listener of [...this.#listeners]) listener(frame, this.#next, discontinuity);
      discontinuity = false;
      this.#next++;
    }
    if (this.#listeners.size > 0) this.#schedule();
    else this.#timer = undefined;
  }

  #pick(frameNumber: number): AccessUnit {
    if (this.#mode === 'black') return (this.#lastStill = this.clip.blackFrame);
    if (this.#mode === 'frozen' && this.#frozen) return (this.#lastStill = this.#frozen.frame);
    const live = this.clip.frames[this.#clipIndex(frameNumber)];
    if (this.#awaitingIdr && !live.idr && this.#lastStill) return this.#lastStill;
    this.#awaitingIdr = false;
    return live;
  }
}
