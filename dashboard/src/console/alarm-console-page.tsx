/*
 * The guard alarm console (section "alarms"). Test ids for end-to-end tests are listed
 * in dashboard/src/alarms/README.md.
 */
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { alarmCategories, alarmPriorities, fetchEstate, type AlarmCategory, type AlarmPriority } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { AlarmDetailPanel } from '../alarms/alarm-detail.tsx';
import { categoryLabel, priorityLabel } from '../alarms/alarm-labels.ts';
import { AlarmList } from '../alarms/alarm-list.tsx';
import { consoleViews, countAlarms, devicePriorities, selectAlarms, type AlarmFilter, type ConsoleView } from '../alarms/alarm-store.ts';
import { useAlarmFeed, useAlarmState, useFeedStatus } from '../alarms/use-alarm-feed.ts';
import { useAlarmSound } from '../alarms/use-alarm-sound.ts';
import { useNow } from '../devices/use-now.ts';
import { floorLabel } from '../devices/device-labels.ts';
import { type MessageKey } from '../i18n/en.ts';
import { formatTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { useLiveState } from '../live/live-context.tsx';
import { replaceRoute } from '../router/hash-router.ts';
import { ErrorText } from '../shell/error-text.tsx';
import { EstateOverview, pickedDevices, type EstatePick } from './estate-overview.tsx';
import { ShiftLogPanel } from './shift-log-panel.tsx';
import { useEstateDevices } from './use-estate-devices.ts';

const tabLabel: Record<ConsoleView, MessageKey> = {
  standing: 'alarms.tab.standing',
  shelved: 'alarms.tab.shelved',
  suppressed: 'alarms.tab.suppressed',
};

const emptyLabel: Record<ConsoleView, MessageKey> = {
  standing: 'alarms.empty.standing',
  shelved: 'alarms.empty.shelved',
  suppressed: 'alarms.empty.suppressed',
};

function isCategory(value: string): value is AlarmCategory {
  return (alarmCategories as readonly string[]).includes(value);
}

export function AlarmConsolePage({ alarmId }: { alarmId: number | null }) {
  const t = useT();
  const { locale } = useLocale();
  const feed = useAlarmFeed();
  const state = useAlarmState(feed);
  const status = useFeedStatus(feed);
  const liveState = useLiveState();
  const sound = useAlarmSound(feed);
  // Ages and shelve expiry move with the clock; 5 s is finer than anyone reads a list.
  const now = useNow(5_000);
  const devices = useEstateDevices();
  const estate = usePolled('estate', fetchEstate, 300_000);
  const buildingFilterId = useId();
  const categoryFilterId = useId();

  const [view, setView] = useState<ConsoleView>('standing');
  const [building, setBuilding] = useState<string | null>(null);
  const [category, setCategory] = useState<AlarmCategory | null>(null);
  const [pick, setPick] = useState<EstatePick | null>(null);

  const buildings = useMemo(() => (estate.data?.buildings ?? []).map((b) => ({ id: b.id, name: b.name })), [estate.data]);
  const buildingNames = useMemo(() => new Map(buildings.map((b) => [b.id, b.name])), [buildings]);
  const deviceIds = useMemo(() => pickedDevices(pick, devices.data ?? []), [pick, devices.data]);
  const baseFilter = useMemo(() => ({ building, category, deviceIds }), [building, category, deviceIds]);
  const filter = useMemo<AlarmFilter>(() => ({ view, ...baseFilter }), [view, baseFilter]);
  const rows = useMemo(() => selectAlarms(state, filter, now), [state, filter, now]);
  const counts = useMemo(() => countAlarms(state, baseFilter, now), [state, baseFilter, now]);
  const alarmedRef = useRef<ReadonlyMap<number, AlarmPriority> | undefined>(undefined);
  const alarmed = useMemo(() => devicePriorities(state, now, alarmedRef.current), [state, now]);
  useEffect(() => {
    alarmedRef.current = alarmed;
  }, [alarmed]);

  const select = useCallback((id: number) => replaceRoute(['alarms', id]), []);
  const close = useCallback(() => replaceRoute(['alarms']), []);

  useEffect(() => {
    if (alarmId === null) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && !(event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement)) close();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [alarmId, close]);

  const pickText = (() => {
    if (!pick) return null;
    if (pick.kind === 'device') return devices.data?.find((d) => d.id === pick.deviceId)?.name ?? `#${pick.deviceId}`;
    const name = pick.building === null ? t('alarms.siteWide') : (buildingNames.get(pick.building) ?? pick.building);
    return pick.kind === 'floor' ? `${name} · ${floorLabel(t, pick.floor)}` : name;
  })();
  const unackTotal = alarmPriorities.reduce((n, p) => n + counts.unackByPriority[p], 0);
  const filtered = building !== null || category !== null || pick !== null;

  return (
    <div className="alarm-console" data-testid="alarm-console" data-loading={status.loading} data-live={liveState}>
      <header className="console-bar">
        <div className="console-bar__title">
          <h1 data-testid="page-title">{t('section.alarms')}</h1>
          <span className="console-bar__subtitle" data-testid="alarm-summary">
            {t('alarms.summary', { standing: counts.standing, unack: unackTotal })}
          </span>
        </div>
        <div className="console-bar__counters" aria-label={t('alarms.summary.unackByPriority')}>
          {alarmPriorities.map((p) => (
            <span
              key={p}
              className={`console-counter console-counter--${p}${counts.unackByPriority[p] ? ' is-active' : ''}`}
              data-testid={`alarm-count-${p}`}
              data-count={counts.unackByPriority[p]}
            >
              <span className="console-counter__value">{counts.unackByPriority[p]}</span>
              <span className="console-counter__label">{t(priorityLabel[p])}</span>
            </span>
          ))}
        </div>
        <div className="console-bar__tools">
          {liveState !== 'connected' ? (
            <span className="console-bar__degraded" role="status">
              {t('alarms.liveDown')}
            </span>
          ) : null}
          {status.loadedAt ? <span className="console-bar__updated">{t('common.updated', { time: formatTime(locale, status.loadedAt) })}</span> : null}
          <button
            type="button"
            className={`button button--small console-sound${sound.muted ? ' is-muted' : ''}`}
            data-testid="alarm-sound-toggle"
            data-muted={sound.muted}
            aria-pressed={!sound.muted}
            title={sound.unavailable ? t('alarms.sound.unavailable') : undefined}
            onClick={sound.toggle}
          >
            <SpeakerIcon muted={sound.muted} />
            {sound.muted ? t('alarms.sound.muted') : t('alarms.sound.on')}
          </button>
        </div>
      </header>

      {status.error ? (
        <div className="console-banner" role="alert">
          {status.loadedAt ? t('common.staleData', { message: status.error.message }) : <ErrorText error={status.error} />}
          <button type="button" className="button button--small" onClick={() => feed.reload()}>
            {t('common.retry')}
          </button>
        </div>
      ) : null}

      <div className={`console-grid${alarmId !== null ? ' has-detail' : ''}`}>
        <div className="console-side">
          <EstateOverview devices={devices.data} buildingNames={buildingNames} alarmed={alarmed} pick={pick} onPick={setPick} />
          <ShiftLogPanel buildings={buildings} building={building} selectedAlarmId={alarmId} now={now} />
        </div>

        <section className="console-panel console-alarms" aria-label={t('alarms.list.label')}>
          <div className="console-toolbar">
            <div className="console-tabs" role="tablist" aria-label={t('alarms.tabs.label')}>
              {consoleViews.map((v) => (
                <button
                  key={v}
                  type="button"
                  role="tab"
                  aria-selected={view === v}
                  className={`console-tab${view === v ? ' is-active' : ''}`}
                  data-testid={`alarm-tab-${v}`}
                  data-count={counts[v]}
                  onClick={() => setView(v)}
                >
                  {t(tabLabel[v])}
                  <span className="console-tab__count">{counts[v]}</span>
                </button>
              ))}
            </div>
            <div className="console-filters">
              <label className="visually-hidden" htmlFor={buildingFilterId}>
                {t('alarms.filter.building')}
              </label>
              <select id={buildingFilterId} data-testid="alarm-filter-building" value={building ?? ''} onChange={(e) => setBuilding(e.target.value || null)}>
                <option value="">{t('alarms.filter.allBuildings')}</option>
                {buildings.map((b) => (
                  <option key={b.id} value={b.id}>
                    {b.name}
                  </option>
                ))}
              </select>
              <label className="visually-hidden" htmlFor={categoryFilterId}>
                {t('alarms.filter.category')}
              </label>
              <select
                id={categoryFilterId}
                data-testid="alarm-filter-category"
                value={category ?? ''}
                onChange={(e) => setCategory(isCategory(e.target.value) ? e.target.value : null)}
              >
                <option value="">{t('alarms.filter.allCategories')}</option>
                {alarmCategories.map((c) => (
                  <option key={c} value={c}>
                    {t(categoryLabel[c])}
                  </option>
                ))}
              </select>
              {pickText ? (
                <span className="console-pick" data-testid="alarm-filter-estate">
                  {t('alarms.filter.estate', { what: pickText })}
                  <button type="button" className="console-pick__clear" aria-label={t('alarms.filter.clear')} onClick={() => setPick(null)}>
                    ×
                  </button>
                </span>
              ) : null}
            </div>
          </div>
          <AlarmList
            rows={rows}
            selectedId={alarmId}
            onSelect={select}
            now={now}
            buildingNames={buildingNames}
            emptyText={status.loading && !status.loadedAt ? t('common.loading') : filtered ? t('alarms.empty.filtered') : t(emptyLabel[view])}
          />
        </section>

        <div className="console-detail">
          {alarmId !== null ? (
            <AlarmDetailPanel
              key={alarmId}
              alarmId={alarmId}
              live={state.alarms.get(alarmId)}
              liveId={state.liveIds.get(alarmId)}
              now={now}
              buildingNames={buildingNames}
              onApplied={(view, liveIdBefore) => feed.applyOwn(view, liveIdBefore)}
              onClose={close}
            />
          ) : (
            <div className="alarm-detail alarm-detail--none" data-testid="alarm-detail-none">
              <p>{t('alarms.detail.selectHint')}</p>
              <p className="muted small">{t('alarms.detail.keysHint')}</p>
            </div>
          )}
        </div>
      </div>
    </div>
  );
}

/** Drawn, not an emoji: control-room PCs often lack an emoji font. */
function SpeakerIcon({ muted }: { muted: boolean }) {
  return (
    <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" strokeLinejoin="round">
      <path d="M2.5 6h2.5l3.5-3v10l-3.5-3h-2.5z" fill="currentColor" />
      {muted ? <path d="M11 6l4 4m0-4l-4 4" /> : <path d="M11 5.5a3.5 3.5 0 0 1 0 5M12.8 3.5a6 6 0 0 1 0 9" />}
    </svg>
  );
}
