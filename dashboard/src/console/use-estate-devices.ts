import { useEffect, useState } from 'react';
import { listDevices, type Device } from '../api/hub-api.ts';
import { usePolled, type Polled } from '../api/use-polled.ts';
import { nextFrame } from '../alarms/alarm-feed.ts';
import { useLiveClient } from '../live/live-context.tsx';

/** The device list (names, places) changes rarely; online/offline is patched live in between. */
const DEVICES_REFRESH_MS = 15_000;

/** The estate's devices as last polled; identity changes only when a poll answers. */
export function useEstateDevices(): Polled<Device[]> {
  return usePolled('console-devices', listDevices, DEVICES_REFRESH_MS);
}

interface DeviceOnlineEvent {
  deviceId: number;
  online: boolean;
}

function isDeviceOnlineEvent(data: unknown): data is DeviceOnlineEvent {
  if (typeof data !== 'object' || data === null) return false;
  const { deviceId, online } = data as Record<string, unknown>;
  return typeof deviceId === 'number' && typeof online === 'boolean';
}

/**
 * Online/offline changes since the last poll, from live `device.online` events (when
 * the hub streams them). Queued and applied once per frame, so thousands of devices
 * changing every second cost one render of the overview per frame, and nothing else
 * on the page re-renders. A new poll (`base`) starts afresh.
 */
export function useOnlinePatches(base: readonly Device[] | undefined): ReadonlyMap<number, boolean> {
  const live = useLiveClient();
  const [patches, setPatches] = useState<{ base: readonly Device[] | undefined; online: ReadonlyMap<number, boolean> }>({ base, online: new Map() });

  useEffect(() => {
    let queued = new Map<number, boolean>();
    let cancel: (() => void) | null = null;
    const flush = () => {
      cancel = null;
      const batch = queued;
      queued = new Map();
      setPatches((previous) => {
        const online = new Map(previous.base === base ? previous.online : []);
        for (const [id, value] of batch) online.set(id, value);
        return { base, online };
      });
    };
    const off = live.onMessage((message) => {
      if (message.type !== 'device.online' || !isDeviceOnlineEvent(message.data)) return;
      queued.set(message.data.deviceId, message.data.online);
      cancel ??= nextFrame(flush);
    });
    return () => {
      off();
      cancel?.();
    };
  }, [live, base]);

  return patches.base === base ? patches.online : emptyPatches;
}

const emptyPatches: ReadonlyMap<number, boolean> = new Map();
