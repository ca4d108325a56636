import type { Point } from '@warden/protocols';

/**
 * Gathers points from every device into telemetry batches: a batch closes at
 * `maxPoints` points or `maxDelayMs` after its first point, whichever comes
 * first. Bigger batches mean fewer messages and fewer database round trips at
 * the hub; the delay bounds how stale a live value can be.
 */
export class TelemetryBatcher {
  #points: Point[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: { maxPoints: number; maxDelayMs: number },
    private readonly onBatch: (points: Point[]) => void,
  ) {}

  get size(): number {
    return this.#points.length;
  }

  add(points: readonly Point[]): void {
    for (const p of points) {
      this.#points.push(p);
      if (this.#points.length >= this.options.maxPoints) this.flush();
    }
    if (this.#points.length > 0 && !this.#timer) {
      this.#timer = setTimeout(() => this.flush(), this.options.maxDelayMs);
    }
  }

  /** Emits the open batch now (if any). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#points.length === 0) return;
    const batch = this.#points;
    this.#points = [];
    this.onBatch(batch);
  }

  /** Emits what is pending and releases the timer. */
  close(): void {
    this.flush();
  }
}
