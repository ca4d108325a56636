import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ApiError, CLIENT_ERR_NETWORK, isAbortError } from './client.ts';

export interface Polled<T> {
  data: T | undefined;
  /** The last refresh's failure; `data` (if any) is then the previous good answer. */
  error: ApiError | null;
  loading: boolean;
  updatedAt: number | null;
  refresh: () => void;
}

interface State<T> {
  key: string | null;
  data: T | undefined;
  error: ApiError | null;
  updatedAt: number | null;
}

/**
 * Load, then reload `intervalMs` after each answer (never overlapping requests), while
 * the tab is visible; a tab coming back into view refreshes at once. A new `key` starts
 * over (previous data is not shown for another key); `key === null` loads nothing.
 * `intervalMs <= 0` loads once.
 */
export function usePolled<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>, intervalMs: number): Polled<T> {
  const loadRef = useRef(load);
  useLayoutEffect(() => {
    loadRef.current = load;
  });
  const [state, setState] = useState<State<T>>({ key: null, data: undefined, error: null, updatedAt: null });
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (key === null) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight: AbortController | null = null;
    let stopped = false;

    const schedule = () => {
      if (stopped || intervalMs <= 0 || document.hidden) return;
      timer = setTimeout(run, intervalMs);
    };

    const run = async () => {
      clearTimeout(timer);
      const controller = new AbortController();
      inFlight = controller;
      try {
        const data = await loadRef.current(controller.signal);
        if (stopped) return;
        setState({ key, data, error: null, updatedAt: Date.now() });
      } catch (cause) {
        if (stopped || isAbortError(cause)) return;
        const error = cause instanceof ApiError ? cause : new ApiError(0, CLIENT_ERR_NETWORK, String(cause));
        setState((previous) =>
          previous.key === key ? { ...previous, error } : { key, data: undefined, error, updatedAt: null },
        );
      } finally {
        if (inFlight === controller) inFlight = null;
      }
      schedule();
    };

    const onVisibility = () => {
      if (!document.hidden && !inFlight) void run();
    };

    void run();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      stopped = true;
      clearTimeout(timer);
      inFlight?.abort();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [key, intervalMs, generation]);

  const refresh = useCallback(() => setGeneration((n) => n + 1), []);

  if (state.key !== key || key === null) {
    return { data: undefined, error: null, loading: key !== null, updatedAt: null, refresh };
  }
  return { data: state.data, error: state.error, loading: state.data === undefined && state.error === null, updatedAt: state.updatedAt, refresh };
}
