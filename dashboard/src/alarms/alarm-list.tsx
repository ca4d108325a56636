import { memo, useCallback, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { type AlarmView } from '../api/hub-api.ts';
import { formatTime } from '../i18n/format.ts';
import { useLocale, useT, type Translate } from '../i18n/i18n-context.tsx';
import { type Locale } from '../i18n/i18n-context.tsx';
import { categoryLabel, formatAge, priorityLabel, stateLabel, workOrderStatusText } from './alarm-labels.ts';
import { isShelved } from './alarm-store.ts';

/** Fixed row height: windowing computes which rows are visible from the scroll offset alone. */
export const ALARM_ROW_HEIGHT = 52;
/** Rows rendered above and below the visible ones, so fast scrolling shows no blank band. */
const OVERSCAN = 6;

interface AlarmListProps {
  rows: readonly AlarmView[];
  selectedId: number | null;
  onSelect: (alarmId: number) => void;
  now: number;
  /** Building id → name, for the location column. */
  buildingNames: ReadonlyMap<string, string>;
  emptyText: string;
}

/**
 * The alarm list, windowed: only the rows in view (plus a few) are in the DOM, so 500
 * standing alarms scroll as smoothly as 5. Rows are memoised on their alarm object,
 * which the store replaces only when that alarm changes.
 */
export function AlarmList({ rows, selectedId, onSelect, now, buildingNames, emptyText }: AlarmListProps) {
  const t = useT();
  const { locale } = useLocale();
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(640);

  useLayoutEffect(() => {
    const element = viewport.current;
    if (!element) return;
    setHeight(element.clientHeight || 640);
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight || 640));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const revealIndex = useCallback(
    (index: number) => {
      const element = viewport.current;
      if (!element) return;
      const top = index * ALARM_ROW_HEIGHT;
      if (top < element.scrollTop) element.scrollTop = top;
      else if (top + ALARM_ROW_HEIGHT > element.scrollTop + element.clientHeight) element.scrollTop = top + ALARM_ROW_HEIGHT - element.clientHeight;
    },
    [],
  );

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (!rows.length || (event.key !== 'ArrowDown' && event.key !== 'ArrowUp' && event.key !== 'Home' && event.key !== 'End')) return;
    event.preventDefault();
    const current = selectedId === null ? -1 : rows.findIndex((row) => row.alarmId === selectedId);
    const next =
      event.key === 'Home' ? 0 : event.key === 'End' ? rows.length - 1 : event.key === 'ArrowDown' ? Math.min(rows.length - 1, current + 1) : Math.max(0, current - 1);
    onSelect(rows[next].alarmId);
    revealIndex(next);
  };

  const first = Math.max(0, Math.floor(scrollTop / ALARM_ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ALARM_ROW_HEIGHT) + OVERSCAN);
  const visible = rows.slice(first, last);

  return (
    <div className="alarm-list" data-testid="alarm-list" data-count={rows.length}>
      <div className="alarm-list__head" aria-hidden="true">
        <span>{t('alarms.column.priority')}</span>
        <span>{t('alarms.column.state')}</span>
        <span>{t('alarms.column.raised')}</span>
        <span>{t('alarms.column.alarm')}</span>
        <span>{t('alarms.column.location')}</span>
        <span>{t('alarms.column.workOrder')}</span>
        <span className="alarm-list__count-head">{t('alarms.column.activations')}</span>
      </div>
      <div
        ref={viewport}
        className="alarm-list__viewport"
        role="listbox"
        aria-label={t('alarms.list.label')}
        aria-activedescendant={selectedId !== null && rows.some((r) => r.alarmId === selectedId) ? `alarm-row-${selectedId}` : undefined}
        tabIndex={0}
        onKeyDown={onKeyDown}
        onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
      >
        {rows.length === 0 ? (
          <p className="alarm-list__empty" data-testid="alarm-list-empty">
            {emptyText}
          </p>
        ) : (
          <div className="alarm-list__canvas" style={{ height: rows.length * ALARM_ROW_HEIGHT }}>
            {visible.map((alarm, i) => (
              <AlarmRow
                key={alarm.alarmId}
                alarm={alarm}
                top={(first + i) * ALARM_ROW_HEIGHT}
                selected={alarm.alarmId === selectedId}
                onSelect={onSelect}
                now={now}
                t={t}
                locale={locale}
                buildingName={alarm.buildingId === null ? null : (buildingNames.get(alarm.buildingId) ?? alarm.buildingId)}
              />
            ))}
          </div>
        )}
      </div>
    </div>
  );
}

interface AlarmRowProps {
  alarm: AlarmView;
  top: number;
  selected: boolean;
  onSelect: (alarmId: number) => void;
  now: number;
  t: Translate;
  locale: Locale;
  buildingName: string | null;
}

const AlarmRow = memo(function AlarmRow({ alarm, top, selected, onSelect, now, t, locale, buildingName }: AlarmRowProps) {
  const shelved = isShelved(alarm, now);
  const flags: string[] = [];
  if (alarm.escalatedAt) flags.push(t('alarms.flag.escalated'));
  if (shelved && alarm.shelvedUntil) flags.push(t('alarms.flag.shelvedUntil', { time: formatTime(locale, alarm.shelvedUntil) }));
  if (alarm.suppressed) flags.push(t('alarms.flag.suppressed'));
  if (alarm.outOfService) flags.push(t('alarms.flag.outOfService'));
  return (
    <div
      id={`alarm-row-${alarm.alarmId}`}
      role="option"
      aria-selected={selected}
      className={`alarm-row alarm-row--${alarm.priority} alarm-row--${alarm.state}${selected ? ' is-selected' : ''}`}
      style={{ top, height: ALARM_ROW_HEIGHT }}
      data-testid="alarm-row"
      data-alarm-id={alarm.alarmId}
      data-state={alarm.state}
      data-priority={alarm.priority}
      data-device-id={alarm.deviceId}
      onClick={() => onSelect(alarm.alarmId)}
    >
      <span className={`pill pill--${alarm.priority} alarm-row__priority`}>{t(priorityLabel[alarm.priority])}</span>
      <span className={`alarm-state alarm-state--${alarm.state}`}>{t(stateLabel[alarm.state])}</span>
      <span className="alarm-row__time">
        <span className="alarm-row__clock">{alarm.raisedAt ? formatTime(locale, alarm.raisedAt) : '—'}</span>
        <span className="alarm-row__sub">{alarm.raisedAt ? formatAge(locale, alarm.raisedAt, now) : ''}</span>
      </span>
      <span className="alarm-row__main">
        <span className="alarm-row__message">{alarm.message ?? alarm.ruleName}</span>
        <span className="alarm-row__sub">
          {alarm.deviceName}
          {flags.length ? <span className="alarm-row__flags"> · {flags.join(' · ')}</span> : null}
        </span>
      </span>
      <span className="alarm-row__where">
        <span className="alarm-row__building">{buildingName ?? t('alarms.siteWide')}</span>
        <span className="alarm-row__sub">{alarm.location ?? t(categoryLabel[alarm.category])}</span>
      </span>
      <span className="alarm-row__wo">
        {alarm.workOrderNumber ? (
          <>
            <span className="alarm-row__wo-number">{alarm.workOrderNumber}</span>
            <span className="alarm-row__sub">{alarm.workOrderStatus ? workOrderStatusText(t, alarm.workOrderStatus) : ''}</span>
          </>
        ) : (
          <span className="alarm-row__sub">—</span>
        )}
      </span>
      <span className="alarm-row__count" title={t('alarms.detail.activations')}>
        {alarm.activations > 1 ? `×${alarm.activations}` : ''}
        {alarm.realarms > 0 ? <span className="alarm-row__sub">↻{alarm.realarms}</span> : null}
      </span>
    </div>
  );
});
