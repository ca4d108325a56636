import { useEffect, useState } from 'react';
import { listDoors, type Door } from '../api/hub-api.ts';
import { useLiveClient } from '../live/live-context.tsx';

/** Door state comes with telemetry; between door commands a slow poll keeps open/locked current. */
const DOORS_REFRESH_MS = 5_000;

/**
 * The doors the user may see, with open/locked and the cameras covering each: polled,
 * and fetched again shortly after every `door.command` live event. Roles without
 * security access get an empty list (the hub answers 403), never an error on screen.
 */
export function useDoors(enabled = true): Door[] | undefined {
  const live = useLiveClient();
  const [doors, setDoors] = useState<Door[] | undefined>(undefined);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    listDoors(controller.signal).then(setDoors, () => {
      if (!controller.signal.aborted) setDoors((previous) => previous ?? []);
    });
    const timer = setTimeout(() => setTick((n) => n + 1), DOORS_REFRESH_MS);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [enabled, tick]);

  useEffect(() => {
    if (!enabled) return;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const off = live.onMessage((message) => {
      if (message.type !== 'door.command') return;
      // The controller's new state reaches the hub as telemetry just after its acknowledgement.
      timers.push(setTimeout(() => setTick((n) => n + 1), 300), setTimeout(() => setTick((n) => n + 1), 1_500));
    });
    return () => {
      off();
      timers.forEach(clearTimeout);
    };
  }, [live, enabled]);

  return enabled ? doors : undefined;
}

/** Doors that matter to a device: the door itself, or the doors a camera covers / that cover it. */
export function doorsFor(doors: readonly Door[] | undefined, deviceId: number): Door[] {
  if (!doors) return [];
  return doors.filter((d) => d.id === deviceId || d.coveredBy.some((c) => c.id === deviceId));
}
