import { useEffect, useRef } from 'react';
import { useLiveClient } from '../live/live-context.tsx';

/**
 * Calls `refresh` when live events of the given kinds arrive, at most once per
 * `minIntervalMs`: KPIs are aggregate queries, so a burst of alarms (a flood is exactly
 * when a manager looks) must not turn into a burst of them.
 */
export function useLiveRefresh(prefixes: readonly string[], refresh: () => void, minIntervalMs: number): void {
  const live = useLiveClient();
  const refreshRef = useRef(refresh);
  useEffect(() => {
    refreshRef.current = refresh;
  });
  const key = prefixes.join(',');
  useEffect(() => {
    const wanted = key.split(',');
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const unsubscribe = live.onMessage((message) => {
      if (message.type !== 'live.reset' && !wanted.some((prefix) => message.type.startsWith(prefix))) return;
      if (timer !== null) return;
      const wait = Math.max(0, last + minIntervalMs - Date.now());
      timer = setTimeout(() => {
        timer = null;
        last = Date.now();
        refreshRef.current();
      }, wait);
    });
    return () => {
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
    };
  }, [live, key, minIntervalMs]);
}
