import { useEffect, useMemo, useRef, useState } from 'react';
import { listDevices, type Device } from '../api/hub-api.ts';
import { groupDevices, type BuildingGroup } from '../devices/device-groups.ts';
import { layoutSignature, type OnlineOf } from './estate-status.ts';
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

/**
 * The devices arranged by building and floor, the same arrays from one poll to the next
 * while nothing moved: each poll answers a new list, and without this every floor of a
 * 2000-device overview would compare all its tiles again every 15 s for nothing.
 */
export function useEstateLayout(devices: readonly Device[] | undefined): readonly BuildingGroup[] {
  const previous = useRef<{ signature: string; groups: BuildingGroup[] } | null>(null);
  const layout = useMemo(() => {
    const signature = devices ? layoutSignature(devices) : '';
    if (previous.current?.signature === signature) return previous.current;
    return { signature, groups: groupDevices(devices ?? []) };
  }, [devices]);
  useEffect(() => {
    previous.current = layout;
  }, [layout]);
  return layout.groups;
}

/** The poll's online flags and the live patches as one lookup; a new function whenever either changes. */
export function useOnlineOf(devices: readonly Device[] | undefined): OnlineOf {
  const polled = useMemo(() => new Map((devices ?? []).map((d) => [d.id, d.online])), [devices]);
  const patches = useOnlinePatches(devices);
  return useMemo(() => (deviceId: number) => patches.get(deviceId) ?? polled.get(deviceId) ?? false, [patches, polled]);
}
