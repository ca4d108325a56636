import { useEffect, useId, useMemo, useState } from 'react';
import { fetchEstate, listDevices, type Device } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { formatRelative } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { PageHeader } from '../pages/page-header.tsx';
import { navigate } from '../router/hash-router.ts';
import { ErrorText } from '../shell/error-text.tsx';
import { sections, type SectionId } from '../shell/sections.ts';
import { useOnlinePatches } from '../console/use-estate-devices.ts';
import { DeviceDetail } from './device-detail.tsx';
import { groupDevices, matchesFilter, withOnlinePatches, type BuildingGroup, type StatusFilter } from './device-groups.ts';
import { deviceTypeLabel, floorLabel } from './device-labels.ts';
import { useNow } from './use-now.ts';

// Names and places change rarely; online/offline arrives live (`device.online`) between polls.
const DEVICES_REFRESH_MS = 30_000;

function isStatusFilter(value: string): value is StatusFilter {
  return value === 'all' || value === 'online' || value === 'offline';
}

/**
 * Estate (guards) and Equipment (technicians, managers): every registered device by
 * building and floor, online state, and a detail panel with live readings and history.
 * The selected device is part of the address (`#/estate/42`) so it can be linked to.
 */
export function EstatePage({ section, deviceId }: { section: Extract<SectionId, 'estate' | 'equipment'>; deviceId: number | null }) {
  const t = useT();
  const now = useNow(15_000);
  const filterId = useId();
  const statusId = useId();
  const [text, setText] = useState('');
  const [status, setStatus] = useState<StatusFilter>('all');
  const devices = usePolled('devices', listDevices, DEVICES_REFRESH_MS);
  // Buildings by name, as the console shows them (the devices carry the building's id).
  const estate = usePolled('estate', fetchEstate, 300_000);
  const buildingNames = useMemo(() => new Map((estate.data?.buildings ?? []).map((b) => [b.id, b.name])), [estate.data]);

  // The console's live patches (one render per frame however many change), over the last poll.
  const onlinePatches = useOnlinePatches(devices.data);
  const all = useMemo(() => withOnlinePatches(devices.data ?? [], onlinePatches), [devices.data, onlinePatches]);
  const visible = useMemo(() => all.filter((d) => matchesFilter(d, text, status)), [all, text, status]);
  const groups = useMemo(() => groupDevices(visible), [visible]);
  const multiSite = useMemo(() => new Set(all.map((d) => d.site)).size > 1, [all]);
  const online = all.filter((d) => d.online).length;
  const selected = deviceId === null ? null : (all.find((d) => d.id === deviceId) ?? null);

  const open = (id: number) => navigate([section, id]);
  const close = () => navigate([section]);

  useEffect(() => {
    if (deviceId === null) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') navigate([section]);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [deviceId, section]);

  const buildingTitle = (group: BuildingGroup) => {
    const name = group.building === null ? t('devices.noBuilding') : (buildingNames.get(group.building) ?? group.building);
    return multiSite ? `${group.site} · ${name}` : name;
  };

  return (
    <>
      <PageHeader
        title={t(sections[section].title)}
        subtitle={
          devices.data ? (
            <span data-testid="device-summary">{t('devices.subtitle', { total: all.length, online, offline: all.length - online })}</span>
          ) : (
            t(sections[section].about)
          )
        }
      />

      <div className="toolbar" role="search">
        <div className="field field--inline field--grow">
          <label htmlFor={filterId}>{t('devices.filter')}</label>
          <input
            id={filterId}
            type="search"
            data-testid="device-filter"
            placeholder={t('devices.filterPlaceholder')}
            value={text}
            onChange={(event) => setText(event.target.value)}
          />
        </div>
        <div className="field field--inline">
          <label htmlFor={statusId}>{t('devices.statusFilter')}</label>
          <select
            id={statusId}
            data-testid="device-status-filter"
            value={status}
            onChange={(event) => {
              if (isStatusFilter(event.target.value)) setStatus(event.target.value);
            }}
          >
            <option value="all">{t('devices.statusAll')}</option>
            <option value="online">{t('devices.statusOnline')}</option>
            <option value="offline">{t('devices.statusOffline')}</option>
          </select>
        </div>
      </div>

      {devices.error ? (
        <div className="banner banner--error">
          {devices.data ? t('common.staleData', { message: devices.error.message }) : <ErrorText error={devices.error} />}
          <button type="button" className="button button--small" onClick={devices.refresh}>
            {t('common.retry')}
          </button>
        </div>
      ) : null}

      <div className={`estate${deviceId !== null ? ' estate--with-detail' : ''}`}>
        <div className="estate__list" data-testid="device-list" aria-busy={devices.loading}>
          {devices.loading ? <p className="card muted">{t('common.loading')}</p> : null}
          {devices.data && all.length === 0 ? (
            <p className="card empty-note" data-testid="devices-empty">
              {t('devices.none')}
            </p>
          ) : null}
          {devices.data && all.length > 0 && visible.length === 0 ? (
            <div className="card empty-note" data-testid="devices-no-match">
              <p>{t('devices.noMatch')}</p>
              <button
                type="button"
                className="button button--small"
                onClick={() => {
                  setText('');
                  setStatus('all');
                }}
              >
                {t('devices.clearFilter')}
              </button>
            </div>
          ) : null}
          {groups.map((group) => (
            <section key={group.key} className="card building" data-testid="device-building" data-building={group.building ?? ''} aria-label={buildingTitle(group)}>
              <header className="building__head">
                <h2 className="building__title">{buildingTitle(group)}</h2>
                <span className={`pill pill--${group.online === group.total ? 'ok' : group.online === 0 ? 'critical' : 'medium'}`}>
                  {t('devices.groupCount', { online: group.online, total: group.total })}
                </span>
              </header>
              {group.floors.map((floor) => (
                <div key={floor.floor ?? ''} className="floor" data-testid="device-floor" data-floor={floor.floor ?? ''}>
                  <h3 className="floor__title">{floorLabel(t, floor.floor)}</h3>
                  <ul className="device-rows">
                    {floor.devices.map((device) => (
                      <li key={device.id}>
                        <DeviceRow device={device} selected={device.id === deviceId} now={now} onOpen={open} />
                      </li>
                    ))}
                  </ul>
                </div>
              ))}
            </section>
          ))}
        </div>

        {deviceId !== null ? (
          selected ? (
            <DeviceDetail key={selected.id} device={selected} onClose={close} />
          ) : devices.data ? (
            <aside className="device-detail card" data-testid="device-detail-missing">
              <p>{t('device.notFound')}</p>
              <button type="button" className="button button--small" data-testid="device-detail-close" onClick={close}>
                {t('common.close')}
              </button>
            </aside>
          ) : null
        ) : null}
      </div>
    </>
  );
}

function DeviceRow({ device, selected, now, onOpen }: { device: Device; selected: boolean; now: number; onOpen: (id: number) => void }) {
  const t = useT();
  const { locale } = useLocale();
  return (
    <button
      type="button"
      className={`device-row${selected ? ' is-selected' : ''}`}
      data-testid="device-row"
      data-device-id={device.id}
      data-device-code={device.code}
      data-online={device.online}
      aria-pressed={selected}
      onClick={() => onOpen(device.id)}
    >
      <span className={`status-dot status-dot--${device.online ? 'ok' : 'offline'}`} aria-hidden="true" />
      <span className="device-row__name">
        <span className="device-row__title">{device.name}</span>
        <code className="device-row__code">{device.code}</code>
      </span>
      <span className="device-row__type">{deviceTypeLabel(t, device.type)}</span>
      <span className={`badge badge--${device.online ? 'ok' : 'offline'}`}>{device.online ? t('devices.online') : t('devices.offline')}</span>
      <span className="device-row__seen muted">{device.lastSeenAt ? formatRelative(locale, device.lastSeenAt, now) : t('common.never')}</span>
    </button>
  );
}
