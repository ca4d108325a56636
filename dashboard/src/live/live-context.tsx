import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { readToken } from '../auth/session-store.ts';
import { LiveClient, type LiveConnectionState } from './live-client.ts';

const LiveContext = createContext<LiveClient | null>(null);

/** One live connection per signed-in session, shared by every view that wants events. */
export function LiveProvider({ children }: { children: ReactNode }) {
  const [client] = useState(() => new LiveClient({ getToken: readToken }));
  useEffect(() => {
    client.start();
    return () => client.stop();
  }, [client]);
  return <LiveContext.Provider value={client}>{children}</LiveContext.Provider>;
}

export function useLiveClient(): LiveClient {
  const client = useContext(LiveContext);
  if (!client) throw new Error('useLiveClient used outside <LiveProvider>');
  return client;
}

export function useLiveState(): LiveConnectionState {
  const client = useLiveClient();
  return useSyncExternalStore(
    (onChange) => client.onState(onChange),
    () => client.state,
  );
}
