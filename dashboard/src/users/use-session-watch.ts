import { useEffect } from 'react';
import { fetchMe } from '../api/hub-api.ts';
import { useLiveClient } from '../live/live-context.tsx';

/**
 * Asks the hub whether the session still stands whenever the live stream drops.
 * The hub closes a deactivated (or reset) user's stream the moment an administrator
 * acts; the 401 that answers this check ends the session through the API client, so an
 * open page leaves for the login screen at once instead of at its next request.
 * Any other failure (hub unreachable) leaves the page as it is: the stream retries.
 */
export function useSessionWatch(): void {
  const live = useLiveClient();
  useEffect(() => {
    let previous = live.state;
    const controller = new AbortController();
    const unsubscribe = live.onState((state) => {
      if (state === 'reconnecting' && previous === 'connected') fetchMe(controller.signal).catch(() => {});
      previous = state;
    });
    return () => {
      unsubscribe();
      controller.abort();
    };
  }, [live]);
}
