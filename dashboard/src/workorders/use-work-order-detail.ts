import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, CLIENT_ERR_NETWORK, isAbortError } from '../api/client.ts';
import { fetchWorkOrder, type AlarmEventData, type WorkOrderDetail, type WorkOrderLiveData } from '../api/hub-api.ts';
import { useLiveClient } from '../live/live-context.tsx';
import { isWorkOrderEvent } from './use-work-order-list.ts';

export interface WorkOrderDetailState {
  detail: WorkOrderDetail | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/**
 * One work order with its timeline and alarm, fetched again whenever a live event
 * concerns it (any step, comment or escalation by anyone) or its alarm changes
 * (cleared, acknowledged, suppressed while the work is in progress).
 */
export function useWorkOrderDetail(id: number): WorkOrderDetailState {
  const live = useLiveClient();
  const [state, setState] = useState<{ id: number; detail: WorkOrderDetail | null; error: ApiError | null }>({ id, detail: null, error: null });
  const [generation, setGeneration] = useState(0);
  const alarmIdRef = useRef<number | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    fetchWorkOrder(id, controller.signal)
      .then((detail) => {
        alarmIdRef.current = detail.alarm?.id ?? null;
        setState({ id, detail, error: null });
      })
      .catch((cause: unknown) => {
        if (isAbortError(cause)) return;
        const error = cause instanceof ApiError ? cause : new ApiError(0, CLIENT_ERR_NETWORK, String(cause));
        setState((previous) => (previous.id === id ? { ...previous, error } : { id, detail: null, error }));
      });
    return () => controller.abort();
  }, [id, generation]);

  useEffect(() => {
    return live.onMessage((message) => {
      if (message.type === 'live.reset') {
        setGeneration((n) => n + 1);
        return;
      }
      if (isWorkOrderEvent(message.type)) {
        if ((message.data as WorkOrderLiveData | undefined)?.workOrder?.id === id) setGeneration((n) => n + 1);
        return;
      }
      if (message.type.startsWith('alarm.') && alarmIdRef.current !== null) {
        if ((message.data as AlarmEventData | undefined)?.alarmId === alarmIdRef.current) setGeneration((n) => n + 1);
      }
    });
  }, [id, live]);

  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  const current = state.id === id ? state : { detail: null, error: null };
  return { detail: current.detail, error: current.error, loading: current.detail === null && current.error === null, reload };
}
