import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ApiError, CLIENT_ERR_NETWORK, isAbortError, isApiError } from '../api/client.ts';
import { fetchWorkOrder, listWorkOrders, type WorkOrder, type WorkOrderListQuery, type WorkOrderLiveData } from '../api/hub-api.ts';
import { useLiveClient } from '../live/live-context.tsx';
import { applyLiveWorkOrder, removeWorkOrder, upsertWorkOrder, type Belongs } from './live-patch.ts';

const PAGE_SIZE = 200;
/** A board beyond this many work orders says so instead of loading on. */
const MAX_PAGES = 5;

export interface WorkOrderList {
  workOrders: WorkOrder[];
  loading: boolean;
  error: ApiError | null;
  /** More matched than were loaded (see MAX_PAGES). */
  truncated: boolean;
  reload: () => void;
  /** Put the answer of an action taken here in place at once, before its live event arrives. */
  put: (wo: WorkOrder) => void;
}

export function isWorkOrderEvent(type: string): boolean {
  return type === 'workorder.created' || type === 'workorder.changed' || type === 'workorder.escalated';
}

/**
 * A list of work orders (one query), loaded once and then kept current from the live
 * stream: each event patches its work order in place, and only a work order the event
 * cannot fully describe is fetched again (see live-patch.ts). A `live.reset` (the hub
 * no longer has the events we missed) reloads the whole list.
 *
 * `key` names the query: a new key reloads. `belongs` must agree with the query.
 */
export function useWorkOrderList(key: string, query: WorkOrderListQuery, belongs: Belongs): WorkOrderList {
  const live = useLiveClient();
  const [workOrders, setWorkOrders] = useState<WorkOrder[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);
  const [truncated, setTruncated] = useState(false);
  const [generation, setGeneration] = useState(0);

  const listRef = useRef<WorkOrder[]>([]);
  const queryRef = useRef(query);
  const belongsRef = useRef(belongs);
  useLayoutEffect(() => {
    queryRef.current = query;
    belongsRef.current = belongs;
  });

  const commit = useCallback((next: WorkOrder[]) => {
    if (next === listRef.current) return;
    listRef.current = next;
    setWorkOrders(next);
  }, []);

  const loadedKey = useRef(key);
  useEffect(() => {
    // Another query: the previous one's work orders must not show meanwhile. A reload keeps them.
    if (loadedKey.current !== key) {
      loadedKey.current = key;
      commit([]);
    }
    let stopped = false;
    const controller = new AbortController();
    /** Events that arrive while the list loads: their work orders are fetched again once it has. */
    let pendingDuringLoad: Set<number> | null = new Set();
    const inFlight = new Set<number>();
    const dirty = new Set<number>();

    // One fetch per work order at a time; events during a fetch fetch it once more after,
    // so an older answer never has the last word.
    const refetch = (id: number) => {
      if (pendingDuringLoad) {
        pendingDuringLoad.add(id);
        return;
      }
      if (inFlight.has(id)) {
        dirty.add(id);
        return;
      }
      inFlight.add(id);
      fetchWorkOrder(id, controller.signal)
        .then(({ workOrder }) => {
          if (!stopped) commit(upsertWorkOrder(listRef.current, workOrder, belongsRef.current));
        })
        .catch((cause: unknown) => {
          if (stopped || isAbortError(cause)) return;
          // Not (or no longer) visible to this user, e.g. reassigned to someone else.
          if (isApiError(cause) && cause.status === 404) commit(removeWorkOrder(listRef.current, id));
        })
        .finally(() => {
          inFlight.delete(id);
          if (!stopped && dirty.delete(id)) refetch(id);
        });
    };

    const load = async () => {
      setLoading(true);
      try {
        const all: WorkOrder[] = [];
        let page = 1;
        let total = 0;
        for (; page <= MAX_PAGES; page++) {
          const answer = await listWorkOrders({ ...queryRef.current, page, limit: PAGE_SIZE }, controller.signal);
          all.push(...answer.workOrders);
          total = answer.total;
          if (all.length >= total || answer.workOrders.length < PAGE_SIZE) break;
        }
        if (stopped) return;
        commit(all.filter(belongsRef.current));
        setTruncated(all.length < total);
        setError(null);
      } catch (cause) {
        if (stopped || isAbortError(cause)) return;
        setError(cause instanceof ApiError ? cause : new ApiError(0, CLIENT_ERR_NETWORK, String(cause)));
      } finally {
        if (!stopped) {
          setLoading(false);
          const pending = pendingDuringLoad;
          pendingDuringLoad = null;
          for (const id of pending ?? []) refetch(id);
        }
      }
    };

    const unsubscribe = live.onMessage((message) => {
      if (message.type === 'live.reset') {
        // Events were lost for good: start over (the effect runs again).
        setGeneration((n) => n + 1);
        return;
      }
      if (!isWorkOrderEvent(message.type)) return;
      const data = message.data as WorkOrderLiveData | undefined;
      if (!data?.workOrder || typeof data.workOrder.id !== 'number') return;
      const result = applyLiveWorkOrder(listRef.current, data, belongsRef.current, Date.now());
      commit(result.list);
      if (result.refetch || pendingDuringLoad) refetch(data.workOrder.id);
    });

    void load();
    return () => {
      stopped = true;
      controller.abort();
      unsubscribe();
    };
  }, [key, generation, live, commit]);

  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  const put = useCallback((wo: WorkOrder) => commit(upsertWorkOrder(listRef.current, wo, belongsRef.current)), [commit]);

  return { workOrders, loading, error, truncated, reload, put };
}
