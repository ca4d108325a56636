import { useEffect, useState, useSyncExternalStore } from 'react';
import { listAlarms, type AlarmView } from '../api/hub-api.ts';
import { useLiveClient } from '../live/live-context.tsx';
import { AlarmFeed, type FeedStatus } from './alarm-feed.ts';
import { type AlarmStoreState } from './alarm-store.ts';

/** The hub caps a list at 2000 rows; a console with more standing alarms than that is in a flood beyond reading anyway. */
const LIST_LIMIT = 2000;

/** Everything the console may show: the hub's three list views, merged by alarm id in the store. */
export async function loadConsoleAlarms(signal: AbortSignal): Promise<AlarmView[]> {
  const lists = await Promise.all(
    (['standing', 'shelved', 'suppressed'] as const).map((view) => listAlarms({ view, limit: LIST_LIMIT }, signal)),
  );
  return lists.flat();
}

/** One alarm feed per mounted console, on the session's shared live connection. */
export function useAlarmFeed(): AlarmFeed {
  const live = useLiveClient();
  const [feed] = useState(() => new AlarmFeed({ live, load: loadConsoleAlarms }));
  useEffect(() => {
    feed.start();
    return () => feed.stop();
  }, [feed]);
  return feed;
}

export function useAlarmState(feed: AlarmFeed): AlarmStoreState {
  return useSyncExternalStore(feed.subscribe, () => feed.state);
}

export function useFeedStatus(feed: AlarmFeed): FeedStatus {
  return useSyncExternalStore(feed.subscribe, () => feed.status);
}
