import { memo, useMemo } from 'react';
import { listZones, type AlarmPriority, type Device, type ZoneView } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { priorityLabel } from '../alarms/alarm-labels.ts';
import { priorityRank } from '../alarms/alarm-store.ts';
import { type FloorGroup } from '../devices/device-groups.ts';
import { deviceTypeLabel, floorLabel } from '../devices/device-labels.ts';
import { useT, type Translate } from '../i18n/i18n-context.tsx';
import { useUser } from '../auth/auth-context.tsx';
import { DoorControls } from './door-controls.tsx';
import { useDoors } from './use-doors.ts';
import { sameDeviceStatus, type OnlineOf } from './estate-status.ts';
import { useEstateLayout, useOnlineOf } from './use-estate-devices.ts';

/** What a click in the overview narrows the alarm list to. */
export type EstatePick =
  | { kind: 'building'; building: string | null }
  | { kind: 'floor'; building: string | null; floor: string | null }
  | { kind: 'device'; deviceId: number };

export function pickKey(pick: EstatePick | null): string {
  if (!pick) return '';
  return pick.kind === 'device' ? `d:${pick.deviceId}` : pick.kind === 'floor' ? `f:${pick.building ?? ''}:${pick.floor ?? ''}` : `b:${pick.building ?? ''}`;
}

/** The devices a pick covers; null for "all". */
export function pickedDevices(pick: EstatePick | null, devices: readonly Device[]): Set<number> | null {
  if (!pick) return null;
  if (pick.kind === 'device') return new Set([pick.deviceId]);
  return new Set(devices.filter((d) => d.building === pick.building && (pick.kind === 'building' || d.floor === pick.floor)).map((d) => d.id));
}

function worst(a: AlarmPriority | undefined, b: AlarmPriority | undefined): AlarmPriority | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return priorityRank[a] <= priorityRank[b] ? a : b;
}

interface EstateOverviewProps {
  devices: readonly Device[] | undefined;
  buildingNames: ReadonlyMap<string, string>;
  /** Device id → its most urgent standing alarm. */
  alarmed: ReadonlyMap<number, AlarmPriority>;
  pick: EstatePick | null;
  onPick: (pick: EstatePick | null) => void;
}

/**
 * Buildings → floors → devices at a glance: one small tile per device, coloured by its
 * most urgent standing alarm, grey when offline. Built for thousands of devices (issue 6:
 * 2000 devices, 500 standing alarms, `npm run bench:console`):
 * - the arrangement is computed once per poll, and kept while nothing moved
 *   (useEstateLayout), so a poll every 15 s costs nothing when the estate is unchanged;
 * - live online/offline changes arrive as patches once per frame;
 * - each floor is a memoised component that re-renders only when the status of one of
 *   its own devices changed (a plain loop over its devices, no elements built), so a
 *   device going offline renders its floor, not 2000 tiles;
 * - buildings off screen are skipped by the browser's layout and paint
 *   (`content-visibility: auto`), a windowing that keeps every tile findable.
 */
export const EstateOverview = memo(function EstateOverview({ devices, buildingNames, alarmed, pick, onPick }: EstateOverviewProps) {
  const t = useT();
  const groups = useEstateLayout(devices);
  const onlineOf = useOnlineOf(devices);
  const picked = pickKey(pick);
  const zonesByBuilding = useZonesByBuilding();

  return (
    <section className="console-panel estate-overview" data-testid="estate-overview" data-device-count={devices?.length ?? 0} aria-label={t('console.estate.title')}>
      <header className="console-panel__head">
        <h2 className="console-panel__title">{t('console.estate.title')}</h2>
        <span className="estate-legend" aria-hidden="true">
          <span className="estate-legend__item">
            <span className="estate-tile estate-tile--ok" /> {t('console.estate.online')}
          </span>
          <span className="estate-legend__item">
            <span className="estate-tile estate-tile--offline" /> {t('console.estate.offline')}
          </span>
          <span className="estate-legend__item">
            <span className="estate-tile estate-tile--critical" /> {t('console.estate.alarm')}
          </span>
        </span>
      </header>
      <div className="console-panel__body estate-overview__body">
        {devices === undefined ? <p className="muted">{t('common.loading')}</p> : null}
        {devices && devices.length === 0 ? <p className="muted">{t('console.estate.none')}</p> : null}
        {pick?.kind === 'device' ? <EstateDoor deviceId={pick.deviceId} /> : null}
        {groups.map((group) => {
          let buildingWorst: AlarmPriority | undefined;
          let alarmedCount = 0;
          let online = 0;
          for (const floor of group.floors) {
            for (const d of floor.devices) {
              const p = alarmed.get(d.id);
              if (p) alarmedCount += 1;
              if (onlineOf(d.id)) online += 1;
              buildingWorst = worst(buildingWorst, p);
            }
          }
          const name = group.building === null ? t('alarms.siteWide') : (buildingNames.get(group.building) ?? group.building);
          const buildingPick: EstatePick = { kind: 'building', building: group.building };
          return (
            <div
              key={group.key}
              className="estate-building"
              data-testid="estate-building"
              data-building={group.building ?? ''}
              // About 14 tiles a row: the height a building takes, so the scroll bar is right before it is laid out.
              style={{ contentVisibility: 'auto', containIntrinsicSize: `auto ${24 + (group.building !== null && zonesByBuilding.has(group.building) ? 22 : 0) + group.floors.reduce((h, f) => h + 17 * Math.ceil(f.devices.length / 14) + 4, 0)}px` }}
            >
              <button
                type="button"
                className={`estate-building__head${picked === pickKey(buildingPick) ? ' is-picked' : ''}`}
                aria-pressed={picked === pickKey(buildingPick)}
                onClick={() => onPick(picked === pickKey(buildingPick) ? null : buildingPick)}
              >
                <span className={`estate-building__mark estate-tile estate-tile--${buildingWorst ?? (online === group.total ? 'ok' : 'offline')}`} aria-hidden="true" />
                <span className="estate-building__name">{name}</span>
                <span className="estate-building__stats">
                  {alarmedCount ? (
                    <span className={`estate-building__alarms estate-building__alarms--${buildingWorst}`}>{t('console.estate.alarmed', { count: alarmedCount })}</span>
                  ) : null}
                  <span className={online === group.total ? 'estate-building__online' : 'estate-building__online estate-building__online--partial'}>
                    {t('devices.groupCount', { online, total: group.total })}
                  </span>
                </span>
              </button>
              {group.building !== null && zonesByBuilding.get(group.building) ? <EstateZones zones={zonesByBuilding.get(group.building) ?? []} t={t} /> : null}
              {group.floors.map((floor) => (
                <EstateFloor key={floor.floor ?? ''} building={group.building} floor={floor} onlineOf={onlineOf} alarmed={alarmed} picked={picked} onPick={onPick} t={t} />
              ))}
            </div>
          );
        })}
      </div>
    </section>
  );
});

interface EstateFloorProps {
  building: string | null;
  floor: FloorGroup;
  onlineOf: OnlineOf;
  alarmed: ReadonlyMap<number, AlarmPriority>;
  picked: string;
  onPick: (pick: EstatePick | null) => void;
  t: Translate;
}

/** Equal when nothing this floor shows changed: the lookups are new objects on every change anywhere in the estate. */
function sameFloor(a: EstateFloorProps, b: EstateFloorProps): boolean {
  if (a.floor !== b.floor || a.building !== b.building || a.picked !== b.picked || a.onPick !== b.onPick || a.t !== b.t) return false;
  return sameDeviceStatus(a.floor.devices, a, b);
}

const EstateFloor = memo(function EstateFloor({ building, floor, onlineOf, alarmed, picked, onPick, t }: EstateFloorProps) {
  const floorPick: EstatePick = { kind: 'floor', building, floor: floor.floor };
  const isPicked = picked === pickKey(floorPick);
  return (
    <div className="estate-floor" data-testid="estate-floor" data-floor={floor.floor ?? ''}>
      <button type="button" className={`estate-floor__label${isPicked ? ' is-picked' : ''}`} aria-pressed={isPicked} onClick={() => onPick(isPicked ? null : floorPick)}>
        {floorLabel(t, floor.floor)}
      </button>
      <div className="estate-floor__tiles">
        {floor.devices.map((d) => (
          <DeviceTile
            key={d.id}
            id={d.id}
            name={d.name}
            code={d.code}
            type={d.type}
            online={onlineOf(d.id)}
            priority={alarmed.get(d.id) ?? null}
            picked={picked === `d:${d.id}`}
            onPick={onPick}
            t={t}
          />
        ))}
      </div>
    </div>
  );
}, sameFloor);

/**
 * The security zones of each building (GET /api/zones, security roles only), polled
 * slowly: a schedule changes rarely, and whether a zone is armed turns at its window's
 * edges. A failed poll shows nothing rather than stale arming.
 */
function useZonesByBuilding(): ReadonlyMap<string, ZoneView[]> {
  const user = useUser();
  const security = user.role === 'guard' || user.role === 'manager' || user.role === 'admin';
  const zones = usePolled(security ? 'estate-zones' : null, listZones, 60_000);
  const data = zones.error ? undefined : zones.data;
  return useMemo(() => {
    const byBuilding = new Map<string, ZoneView[]>();
    for (const z of data ?? []) {
      const list = byBuilding.get(z.building) ?? [];
      list.push(z);
      byBuilding.set(z.building, list);
    }
    return byBuilding;
  }, [data]);
}

/** One chip per zone: armed or not now, and whether its own schedule or the estate's default decides it. */
function EstateZones({ zones, t }: { zones: ZoneView[]; t: Translate }) {
  return (
    <ul className="estate-zones" aria-label={t('console.zones.title')}>
      {zones.map((z) => {
        const state = z.armedNow === null ? t('console.zones.never') : z.armedNow ? t('console.zones.armed') : t('console.zones.disarmed');
        const source = z.source === 'zone' ? t('console.zones.ownSchedule') : z.source === 'default' ? t('console.zones.defaultSchedule') : t('console.zones.noSchedule');
        return (
          <li
            key={z.zone}
            className={`estate-zone estate-zone--${z.armedNow === null ? 'never' : z.armedNow ? 'armed' : 'disarmed'}`}
            data-testid="estate-zone"
            data-zone={z.zone}
            data-armed={z.armedNow === null ? 'never' : String(z.armedNow)}
            data-source={z.source ?? 'none'}
            title={`${z.zone} · ${state} · ${source}`}
          >
            <span className="estate-zone__name">{z.zone}</span> <span className="estate-zone__state">{state}</span>{' '}
            <span className="estate-zone__source">{source}</span>
          </li>
        );
      })}
    </ul>
  );
}

/** A picked door's controls, above the tiles (security roles only; nothing for other devices). */
function EstateDoor({ deviceId }: { deviceId: number }) {
  const t = useT();
  const user = useUser();
  const doors = useDoors(user.role === 'guard' || user.role === 'manager' || user.role === 'admin');
  const door = doors?.find((d) => d.id === deviceId);
  if (!door) return null;
  return (
    <section className="estate-doors" data-testid="estate-door" aria-label={t('security.door.estateTitle', { name: door.name })}>
      <DoorControls door={door} />
    </section>
  );
}

interface DeviceTileProps {
  id: number;
  name: string;
  code: string;
  type: string;
  online: boolean;
  priority: AlarmPriority | null;
  picked: boolean;
  onPick: (pick: EstatePick | null) => void;
  t: Translate;
}

const DeviceTile = memo(function DeviceTile({ id, name, code, type, online, priority, picked, onPick, t }: DeviceTileProps) {
  const status = online ? t('console.estate.online') : t('console.estate.offline');
  const alarm = priority ? ` · ${t('console.estate.tileAlarm', { priority: t(priorityLabel[priority]) })}` : '';
  const label = `${name} (${code}) · ${deviceTypeLabel(t, type)} · ${status}${alarm}`;
  return (
    <button
      type="button"
      className={`estate-tile estate-tile--${priority ?? (online ? 'ok' : 'offline')}${online ? '' : ' is-offline'}${picked ? ' is-picked' : ''}`}
      data-testid="estate-device"
      data-device-id={id}
      data-online={online}
      data-alarm-priority={priority ?? 'none'}
      title={label}
      aria-label={label}
      aria-pressed={picked}
      onClick={() => onPick(picked ? null : { kind: 'device', deviceId: id })}
    />
  );
});
