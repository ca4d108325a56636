import { type AlarmPriority } from '../api/hub-api.ts';
import { priorityRank } from './alarm-store.ts';

/**
 * Audible annunciation by priority, synthesised with Web Audio oscillators (no audio
 * files to ship or fail to load). Distinct patterns rather than only pitch, so a guard
 * tells a critical alarm from a low one without looking (ISA-18.2 asks for annunciation
 * that distinguishes priorities).
 *
 * Never throws: a headless browser, a policy that forbids audio or a context the
 * browser suspended until the first click must not break the console.
 */

interface Tone {
  frequency: number;
  type: OscillatorType;
  /** Seconds. */
  duration: number;
  /** Seconds after the previous tone ends. */
  gap: number;
  volume: number;
}

const beep = (frequency: number, duration: number, gap: number, volume: number, type: OscillatorType = 'square'): Tone => ({ frequency, type, duration, gap, volume });

export const soundPatterns: Record<AlarmPriority, Tone[]> = {
  // Three fast high beeps, twice: unmistakable.
  critical: [beep(988, 0.12, 0.06, 0.22), beep(988, 0.12, 0.06, 0.22), beep(988, 0.12, 0.25, 0.22), beep(988, 0.12, 0.06, 0.22), beep(988, 0.12, 0.06, 0.22), beep(988, 0.12, 0, 0.22)],
  high: [beep(784, 0.16, 0.1, 0.18), beep(784, 0.16, 0, 0.18)],
  medium: [beep(587, 0.22, 0, 0.14, 'triangle')],
  low: [beep(440, 0.14, 0, 0.1, 'sine')],
};

/** Two sounds closer than this merge into one, unless the second is more urgent. */
const MIN_INTERVAL_MS = 1_500;

type AudioContextConstructor = new () => AudioContext;

function audioContextClass(): AudioContextConstructor | null {
  if (typeof window === 'undefined') return null;
  const w = window as unknown as { AudioContext?: AudioContextConstructor; webkitAudioContext?: AudioContextConstructor };
  return w.AudioContext ?? w.webkitAudioContext ?? null;
}

export class AlarmSounder {
  private context: AudioContext | null = null;
  private unavailable = false;
  private lastAt = 0;
  private lastPriority: AlarmPriority | null = null;
  /** Sounds played (or attempted): for tests and diagnostics. */
  played = 0;

  constructor(
    public muted = false,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Browsers start audio suspended until the user interacts with the page; call this
   * from a click or key handler so later alarms can sound.
   */
  unlock(): void {
    const context = this.ensureContext();
    if (context && context.state === 'suspended') context.resume().catch(() => {});
  }

  play(priority: AlarmPriority): void {
    if (this.muted) return;
    const at = this.now();
    const recent = at - this.lastAt < MIN_INTERVAL_MS;
    if (recent && this.lastPriority !== null && priorityRank[priority] >= priorityRank[this.lastPriority]) return;
    this.lastAt = at;
    this.lastPriority = priority;
    this.played += 1;
    try {
      const context = this.ensureContext();
      if (!context) return;
      if (context.state === 'suspended') context.resume().catch(() => {});
      let start = context.currentTime + 0.02;
      for (const tone of soundPatterns[priority]) {
        const oscillator = context.createOscillator();
        const gain = context.createGain();
        oscillator.type = tone.type;
        oscillator.frequency.value = tone.frequency;
        // A short attack and release: square waves switched on and off hard click.
        gain.gain.setValueAtTime(0, start);
        gain.gain.linearRampToValueAtTime(tone.volume, start + 0.01);
        gain.gain.setValueAtTime(tone.volume, start + tone.duration - 0.02);
        gain.gain.linearRampToValueAtTime(0, start + tone.duration);
        oscillator.connect(gain).connect(context.destination);
        oscillator.start(start);
        oscillator.stop(start + tone.duration + 0.01);
        start += tone.duration + tone.gap;
      }
    } catch {
      // No audio device, or audio blocked: the console still shows the alarm.
      this.unavailable = true;
    }
  }

  /** Whether sound could not be produced at all (shown as a hint beside the toggle). */
  get isUnavailable(): boolean {
    return this.unavailable;
  }

  close(): void {
    const context = this.context;
    this.context = null;
    context?.close().catch(() => {});
  }

  private ensureContext(): AudioContext | null {
    if (this.context || this.unavailable) return this.context;
    const AudioContextClass = audioContextClass();
    if (!AudioContextClass) {
      this.unavailable = true;
      return null;
    }
    try {
      this.context = new AudioContextClass();
    } catch {
      this.unavailable = true;
    }
    return this.context;
  }
}

const MUTE_KEY = 'warden.alarmSound.muted';

export function readMuted(): boolean {
  try {
    return localStorage.getItem(MUTE_KEY) === 'true';
  } catch {
    return false;
  }
}

export function saveMuted(muted: boolean): void {
  try {
    localStorage.setItem(MUTE_KEY, String(muted));
  } catch {
    // Not remembered; the toggle still works for this visit.
  }
}
