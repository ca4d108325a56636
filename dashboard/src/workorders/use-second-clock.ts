import { useSyncExternalStore } from 'react';

/**
 * One clock for every SLA countdown on screen, ticking on the second: a board of 300
 * cards runs one timer, and only the countdowns re-render, not the cards around them.
 */
let now = Date.now();
let align: ReturnType<typeof setTimeout> | null = null;
let interval: ReturnType<typeof setInterval> | null = null;
const listeners = new Set<() => void>();

function tick() {
  now = Date.now();
  for (const listener of [...listeners]) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (align === null && interval === null) {
    now = Date.now();
    // Aligned to the wall-clock second, so every countdown changes with the system clock.
    align = setTimeout(() => {
      align = null;
      tick();
      interval = setInterval(tick, 1000);
    }, 1000 - (Date.now() % 1000));
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size > 0) return;
    if (align !== null) clearTimeout(align);
    if (interval !== null) clearInterval(interval);
    align = null;
    interval = null;
  };
}

export function useSecondClock(): number {
  return useSyncExternalStore(subscribe, () => now, () => now);
}
