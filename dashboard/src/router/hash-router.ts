import { useSyncExternalStore } from 'react';

/**
 * A hash router small enough to read in one go: `#/estate/42` → { path: ['estate', '42'] }.
 * Hash routing keeps deep links working behind any static server without rewrite rules.
 */

export interface Route {
  /** Decoded path segments, empty for "#/" or no hash. */
  path: string[];
  query: URLSearchParams;
}

const REPLACE_EVENT = 'warden:hash-replaced';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  window.addEventListener(REPLACE_EVENT, onChange);
  return () => {
    window.removeEventListener('hashchange', onChange);
    window.removeEventListener(REPLACE_EVENT, onChange);
  };
}

function snapshot(): string {
  return window.location.hash;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [pathPart = '', queryPart = ''] = raw.split('?', 2);
  const path = pathPart
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
  return { path, query: new URLSearchParams(queryPart) };
}

export function formatHash(path: readonly (string | number)[]): string {
  return `#/${path.map((segment) => encodeURIComponent(String(segment))).join('/')}`;
}

export function useRoute(): Route {
  // Subscribing to the string (not a parsed object) keeps the snapshot stable between renders.
  const hash = useSyncExternalStore(subscribe, snapshot, () => '');
  return parseHash(hash);
}

/** Go somewhere new (adds a history entry, so Back works). */
export function navigate(path: readonly (string | number)[]): void {
  const hash = formatHash(path);
  if (window.location.hash !== hash) window.location.hash = hash;
}

/** Correct the current address without a history entry (redirects, "not allowed here"). */
export function replaceRoute(path: readonly (string | number)[]): void {
  const hash = formatHash(path);
  if (window.location.hash === hash) return;
  window.history.replaceState(window.history.state, '', hash);
  window.dispatchEvent(new Event(REPLACE_EVENT));
}
