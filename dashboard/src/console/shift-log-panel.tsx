import { memo, useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { ApiError, CLIENT_ERR_NETWORK, isAbortError } from '../api/client.ts';
import { addShiftLogEntry, listShiftLog, shiftLogKinds, type ShiftLogEntry, type ShiftLogKind } from '../api/hub-api.ts';
import { formatAge, shiftLogKindLabel } from '../alarms/alarm-labels.ts';
import { formatDateTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { useLiveClient } from '../live/live-context.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { HandoverPanel } from './handover-panel.tsx';

const SHOWN = 50;

function isEntry(data: unknown): data is ShiftLogEntry {
  if (typeof data !== 'object' || data === null) return false;
  const { id, text, kind } = data as Record<string, unknown>;
  return typeof id === 'number' && typeof text === 'string' && typeof kind === 'string';
}

/** Newest first, one entry per id: a live echo of our own post, or a replay, is not shown twice. */
export function mergeEntries(current: readonly ShiftLogEntry[], incoming: readonly ShiftLogEntry[]): ShiftLogEntry[] {
  const byId = new Map<number, ShiftLogEntry>();
  for (const entry of [...incoming, ...current]) if (!byId.has(entry.id)) byId.set(entry.id, entry);
  return [...byId.values()].sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || b.id - a.id).slice(0, SHOWN);
}

interface ShiftLogPanelProps {
  buildings: readonly { id: string; name: string }[];
  /** The console's building filter: the default building of a new entry. */
  building: string | null;
  /** The alarm open in the console, offered as a mention. */
  selectedAlarmId: number | null;
  now: number;
}

/** The shift log beside the console: the structured handover, then free notes and patrols, live across consoles. */
export const ShiftLogPanel = memo(function ShiftLogPanel({ buildings, building, selectedAlarmId, now }: ShiftLogPanelProps) {
  const t = useT();
  const { locale } = useLocale();
  const live = useLiveClient();
  const id = useId();
  const [entries, setEntries] = useState<ShiftLogEntry[] | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [generation, setGeneration] = useState(0);
  const [kind, setKind] = useState<ShiftLogKind>('note');
  const [text, setText] = useState('');
  const [entryBuilding, setEntryBuilding] = useState<string>(building ?? '');
  const [mention, setMention] = useState(true);
  const [busy, setBusy] = useState(false);
  const [postError, setPostError] = useState<ApiError | null>(null);

  useEffect(() => setEntryBuilding(building ?? ''), [building]);

  useEffect(() => {
    const controller = new AbortController();
    listShiftLog({ limit: SHOWN }, controller.signal).then(
      (loaded) => {
        setEntries((current) => mergeEntries(current ?? [], loaded));
        setLoadError(null);
      },
      (cause: unknown) => {
        if (!isAbortError(cause)) setLoadError(cause instanceof ApiError ? cause : new ApiError(0, CLIENT_ERR_NETWORK, String(cause)));
      },
    );
    return () => controller.abort();
  }, [generation]);

  const reload = useCallback(() => setGeneration((n) => n + 1), []);

  useEffect(
    () =>
      live.onMessage((message) => {
        if (message.type === 'live.reset' || message.type === 'live.hello') reload();
        else if (message.type === 'shiftlog.created' && isEntry(message.data)) {
          const entry = message.data;
          setEntries((current) => mergeEntries(current ?? [], [entry]));
        }
      }),
    [live, reload],
  );

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = text.trim();
    if (!body || busy) return;
    setBusy(true);
    setPostError(null);
    try {
      const entry = await addShiftLogEntry({
        kind,
        text: body,
        buildingId: entryBuilding || undefined,
        alarmIds: mention && selectedAlarmId !== null ? [selectedAlarmId] : undefined,
      });
      setEntries((current) => mergeEntries(current ?? [], [entry]));
      setText('');
    } catch (cause) {
      setPostError(cause instanceof ApiError ? cause : new ApiError(0, CLIENT_ERR_NETWORK, String(cause)));
    } finally {
      setBusy(false);
    }
  };

  const buildingName = (bid: string | null) => (bid === null ? t('shiftLog.wholeEstate') : (buildings.find((b) => b.id === bid)?.name ?? bid));

  return (
    <section className="console-panel shift-log" data-testid="shift-log" aria-label={t('shiftLog.title')}>
      <header className="console-panel__head">
        <h2 className="console-panel__title">{t('shiftLog.title')}</h2>
      </header>
      <HandoverPanel buildings={buildings} building={building} now={now} />
      <form className="shift-log__form" onSubmit={(event) => void submit(event)}>
        <div className="shift-log__row">
          <select aria-label={t('shiftLog.kind')} data-testid="shift-log-kind" value={kind} onChange={(e) => setKind(e.target.value as ShiftLogKind)}>
            {shiftLogKinds.map((k) => (
              <option key={k} value={k}>
                {t(shiftLogKindLabel[k])}
              </option>
            ))}
          </select>
          <select aria-label={t('shiftLog.building')} data-testid="shift-log-building" value={entryBuilding} onChange={(e) => setEntryBuilding(e.target.value)}>
            <option value="">{t('shiftLog.wholeEstate')}</option>
            {buildings.map((b) => (
              <option key={b.id} value={b.id}>
                {b.name}
              </option>
            ))}
          </select>
        </div>
        <textarea
          id={`${id}-text`}
          aria-label={t('shiftLog.text')}
          data-testid="shift-log-input"
          rows={2}
          maxLength={4000}
          value={text}
          placeholder={kind === 'handover' ? t('shiftLog.placeholderHandover') : t('shiftLog.placeholder')}
          onChange={(e) => setText(e.target.value)}
        />
        <div className="shift-log__row">
          {selectedAlarmId !== null ? (
            <label className="shift-log__mention">
              <input type="checkbox" data-testid="shift-log-mention" checked={mention} onChange={(e) => setMention(e.target.checked)} />
              {t('shiftLog.mention', { id: selectedAlarmId })}
            </label>
          ) : (
            <span />
          )}
          <button type="submit" className="button button--small button--primary" data-testid="shift-log-submit" disabled={busy || !text.trim()}>
            {t('shiftLog.submit')}
          </button>
        </div>
        {postError ? <ErrorText error={postError} testId="shift-log-error" /> : null}
      </form>
      <div className="console-panel__body shift-log__entries">
        {loadError && !entries ? <ErrorText error={loadError} /> : null}
        {entries === null && !loadError ? <p className="muted">{t('common.loading')}</p> : null}
        {entries && entries.length === 0 ? <p className="muted">{t('shiftLog.empty')}</p> : null}
        {entries?.length ? (
          <ol className="shift-log__list">
            {entries.map((entry) => (
              <li key={entry.id} className={`shift-log__entry shift-log__entry--${entry.kind}`} data-testid="shift-log-entry" data-entry-id={entry.id} data-kind={entry.kind}>
                <div className="shift-log__meta">
                  <span className={`shift-log__kind shift-log__kind--${entry.kind}`}>{t(shiftLogKindLabel[entry.kind])}</span>
                  <span className="shift-log__author">{entry.authorName}</span>
                  <span className="shift-log__where">{buildingName(entry.buildingId)}</span>
                  <time className="shift-log__time" dateTime={entry.at} title={formatDateTime(locale, entry.at)}>
                    {formatAge(locale, entry.at, now)}
                  </time>
                </div>
                <p className="shift-log__text">{entry.text}</p>
                {entry.alarmIds.length ? (
                  <p className="shift-log__mentions">
                    {t('shiftLog.mentions')}{' '}
                    {entry.alarmIds.map((alarmId) => (
                      <a key={alarmId} href={`#/alarms/${alarmId}`} className="shift-log__alarm-link">
                        #{alarmId}
                      </a>
                    ))}
                  </p>
                ) : null}
              </li>
            ))}
          </ol>
        ) : null}
      </div>
    </section>
  );
});
