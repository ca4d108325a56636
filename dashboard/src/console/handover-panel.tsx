import { memo, useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError, CLIENT_ERR_NETWORK, isAbortError } from '../api/client.ts';
import { formatAge } from '../alarms/alarm-labels.ts';
import { useUser } from '../auth/auth-context.tsx';
import { formatDateTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { useLiveClient } from '../live/live-context.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import {
  acceptHandover,
  handoverCountKeys,
  isHandover,
  listHandovers,
  mergeHandovers,
  previewHandover,
  startHandover,
  type Handover,
  type HandoverSnapshot,
  type HandoverStatusFilter,
} from './handover-api.ts';
import { HandoverSheet, SnapshotView } from './handover-sheet.tsx';
import './handover.css';

const RECENT_SHOWN = 3;
const LOADED = 50;
const liveTypes = new Set(['handover.started', 'handover.accepted', 'handover.overdue']);

const asApiError = (cause: unknown) => (cause instanceof ApiError ? cause : new ApiError(0, CLIENT_ERR_NETWORK, String(cause)));

interface HandoverPanelProps {
  buildings: readonly { id: string; name: string }[];
  /** The console's building filter: the default scope of a new handover. */
  building: string | null;
  now: number;
}

/**
 * The structured handover beside the console: the outgoing guard starts one (the hub
 * freezes a snapshot), the incoming guard sees it pending here, live, and accepts it.
 */
export const HandoverPanel = memo(function HandoverPanel({ buildings, building, now }: HandoverPanelProps) {
  const t = useT();
  const { locale } = useLocale();
  const live = useLiveClient();
  const user = useUser();
  const [handovers, setHandovers] = useState<Handover[] | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [generation, setGeneration] = useState(0);
  const [starting, setStarting] = useState(false);
  const [viewing, setViewing] = useState<number | null>(null);
  const [browsing, setBrowsing] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    Promise.all([listHandovers({ status: 'pending', limit: LOADED }, controller.signal), listHandovers({ status: 'accepted', limit: RECENT_SHOWN }, controller.signal)]).then(
      ([pending, accepted]) => {
        setHandovers((current) => mergeHandovers(current ?? [], [...pending, ...accepted]));
        setLoadError(null);
      },
      (cause: unknown) => {
        if (!isAbortError(cause)) setLoadError(asApiError(cause));
      },
    );
    return () => controller.abort();
  }, [generation]);

  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  const upsert = useCallback((h: Handover) => setHandovers((current) => mergeHandovers(current ?? [], [h])), []);

  useEffect(
    () =>
      live.onMessage((message) => {
        if (message.type === 'live.reset' || message.type === 'live.hello') reload();
        else if (liveTypes.has(message.type) && isHandover(message.data)) upsert(message.data);
      }),
    [live, reload, upsert],
  );

  const buildingName = useCallback((bid: string | null) => (bid === null ? t('shiftLog.wholeEstate') : (buildings.find((b) => b.id === bid)?.name ?? bid)), [buildings, t]);
  const pending = (handovers ?? []).filter((h) => h.status === 'pending');
  const recent = (handovers ?? []).filter((h) => h.status === 'accepted').slice(0, RECENT_SHOWN);
  const me = Number(user.id);

  return (
    <div className="handover-panel" data-testid="handover-panel">
      <div className="handover-panel__head">
        <h3 className="handover-panel__title">{t('handover.title')}</h3>
        <div className="handover-panel__tools">
          <button type="button" className="button button--small" data-testid="handover-browse" onClick={() => setBrowsing(true)}>
            {t('handover.all')}
          </button>
          {starting ? null : (
            <button type="button" className="button button--small button--primary" data-testid="handover-start" onClick={() => setStarting(true)}>
              {t('handover.start')}
            </button>
          )}
        </div>
      </div>
      {starting ? (
        <StartForm
          buildings={buildings}
          building={building}
          buildingName={buildingName}
          onDone={(h) => {
            if (h) upsert(h);
            setStarting(false);
          }}
        />
      ) : null}
      {loadError && !handovers ? <ErrorText error={loadError} /> : null}
      <h4 className="handover-panel__sub">{t('handover.pending')}</h4>
      {handovers && !pending.length ? <p className="muted">{t('handover.noPending')}</p> : null}
      <ol className="handover-list">
        {pending.map((h) => (
          <li key={h.id} className={`handover-card${h.overdueAt ? ' handover-card--overdue' : ''}`} data-testid="handover-pending" data-handover-id={h.id} data-status={h.status}>
            <div className="handover-card__meta">
              <strong>{buildingName(h.buildingId)}</strong>
              <span>{t('handover.by', { name: h.outgoingName, time: formatAge(locale, h.startedAt, now) })}</span>
            </div>
            <Counts handover={h} />
            {h.notes ? <p className="handover-card__notes">{h.notes}</p> : null}
            {h.overdueAt ? <p className="warning-text" data-testid="handover-overdue">{t('handover.overdue')}</p> : null}
            {h.outgoingId === me ? <p className="muted">{t('handover.yours')}</p> : <AcceptForm handover={h} onAccepted={upsert} />}
            <button type="button" className="button button--small" data-testid="handover-view" onClick={() => setViewing(h.id)}>
              {t('handover.view')}
            </button>
          </li>
        ))}
      </ol>
      {recent.length ? (
        <>
          <h4 className="handover-panel__sub">{t('handover.recent')}</h4>
          <ol className="handover-list">
            {recent.map((h) => (
              <li key={h.id} className="handover-card handover-card--accepted" data-testid="handover-accepted" data-handover-id={h.id} data-status={h.status}>
                <div className="handover-card__meta">
                  <strong>{buildingName(h.buildingId)}</strong>
                  <span>{h.outgoingName} → {h.incomingName}</span>
                </div>
                <p className="muted" title={h.acceptedAt ? formatDateTime(locale, h.acceptedAt) : undefined}>
                  {t('handover.acceptedBy', { name: h.incomingName ?? '', time: h.acceptedAt ? formatAge(locale, h.acceptedAt, now) : '' })}
                </p>
                {h.acceptRemark ? <p className="handover-card__notes">{h.acceptRemark}</p> : null}
                <button type="button" className="button button--small" data-testid="handover-view" onClick={() => setViewing(h.id)}>
                  {t('handover.view')}
                </button>
              </li>
            ))}
          </ol>
        </>
      ) : null}
      {browsing ? <HandoverBrowser buildings={buildings} buildingName={buildingName} onView={(id) => setViewing(id)} onClose={() => setBrowsing(false)} /> : null}
      {viewing !== null ? <HandoverSheet handoverId={viewing} latest={handovers?.find((h) => h.id === viewing)} buildingName={buildingName} onClose={() => setViewing(null)} /> : null}
    </div>
  );
});

function Counts({ handover }: { handover: Handover }) {
  const t = useT();
  return (
    <ul className="handover-counts handover-counts--small">
      {handoverCountKeys.map((key) => (
        <li key={key} className={handover.counts[key] > 0 ? 'handover-counts__item handover-counts__item--some' : 'handover-counts__item'} data-count={key}>
          <strong>{handover.counts[key]}</strong> {t(`handover.count.${key}`)}
        </li>
      ))}
    </ul>
  );
}

function StartForm({ buildings, building, buildingName, onDone }: { buildings: HandoverPanelProps['buildings']; building: string | null; buildingName: (id: string | null) => string; onDone: (h?: Handover) => void }) {
  const t = useT();
  const [scope, setScope] = useState<string>(building ?? '');
  const [notes, setNotes] = useState('');
  const [preview, setPreview] = useState<HandoverSnapshot | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    setPreview(null);
    previewHandover(scope || undefined, controller.signal).then(setPreview, (cause: unknown) => {
      if (!isAbortError(cause)) setError(asApiError(cause));
    });
    return () => controller.abort();
  }, [scope]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      onDone(await startHandover({ buildingId: scope || undefined, notes: notes.trim() }));
    } catch (cause) {
      setError(asApiError(cause));
      setBusy(false);
    }
  };

  return (
    <div className="handover-overlay" role="presentation" onClick={() => onDone()}>
      <form
        className="handover-sheet handover-start"
        role="dialog"
        aria-modal="true"
        aria-label={t('handover.startTitle')}
        data-testid="handover-start-form"
        onClick={(event) => event.stopPropagation()}
        onSubmit={(event) => void submit(event)}
      >
        <header className="handover-sheet__head">
          <h2>{t('handover.startTitle')}</h2>
        </header>
        <label className="handover-start__field">
          {t('handover.building')}
          <select data-testid="handover-building" value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value="">{t('shiftLog.wholeEstate')}</option>
            {buildings.map((b) => (
              <option key={b.id} value={b.id}>
                {b.name}
              </option>
            ))}
          </select>
        </label>
        <label className="handover-start__field">
          {t('handover.notes')}
          <textarea data-testid="handover-notes" rows={3} maxLength={4000} value={notes} placeholder={t('handover.notesPlaceholder')} onChange={(e) => setNotes(e.target.value)} />
        </label>
        {error ? <ErrorText error={error} testId="handover-error" /> : null}
        <div className="handover-start__actions">
          <button type="button" className="button button--small" onClick={() => onDone()}>
            {t('handover.cancel')}
          </button>
          <button type="submit" className="button button--small button--primary" data-testid="handover-submit" disabled={busy}>
            {t('handover.submit')}
          </button>
        </div>
        <h3>{t('handover.preview')}</h3>
        {preview ? <SnapshotView snapshot={preview} buildingName={buildingName} /> : <p className="muted">{t('common.loading')}</p>}
      </form>
    </div>
  );
}

function AcceptForm({ handover, onAccepted }: { handover: Handover; onAccepted: (h: Handover) => void }) {
  const t = useT();
  const [open, setOpen] = useState(false);
  const [remark, setRemark] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  if (!open) {
    return (
      <button type="button" className="button button--small button--primary" data-testid="handover-accept" onClick={() => setOpen(true)}>
        {t('handover.accept')}
      </button>
    );
  }
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      onAccepted(await acceptHandover(handover.id, remark.trim() || undefined));
    } catch (cause) {
      setError(asApiError(cause));
      setBusy(false);
    }
  };
  return (
    <form className="handover-accept" onSubmit={(event) => void submit(event)}>
      <input type="text" data-testid="handover-remark" aria-label={t('handover.remark')} placeholder={t('handover.remark')} maxLength={2000} value={remark} onChange={(e) => setRemark(e.target.value)} />
      <button type="submit" className="button button--small button--primary" data-testid="handover-accept-confirm" disabled={busy}>
        {t('handover.confirmAccept')}
      </button>
      {error ? <ErrorText error={error} testId="handover-accept-error" /> : null}
    </form>
  );
}

/** Every handover the user may see, filtered by status and building; each opens as a sheet. */
function HandoverBrowser({ buildings, buildingName, onView, onClose }: { buildings: HandoverPanelProps['buildings']; buildingName: (id: string | null) => string; onView: (id: number) => void; onClose: () => void }) {
  const t = useT();
  const { locale } = useLocale();
  const [status, setStatus] = useState<HandoverStatusFilter>('all');
  const [scope, setScope] = useState('');
  const [rows, setRows] = useState<Handover[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    setRows(null);
    listHandovers({ status, building: scope || undefined, limit: 200 }, controller.signal).then(setRows, (cause: unknown) => {
      if (!isAbortError(cause)) setError(asApiError(cause));
    });
    return () => controller.abort();
  }, [status, scope]);

  return (
    <div className="handover-overlay" role="presentation" onClick={onClose}>
      <section className="handover-sheet" role="dialog" aria-modal="true" aria-label={t('handover.all')} data-testid="handover-browser" onClick={(event) => event.stopPropagation()}>
        <header className="handover-sheet__head">
          <h2>{t('handover.all')}</h2>
          <div className="handover-sheet__actions">
            <select aria-label={t('handover.status')} data-testid="handover-filter-status" value={status} onChange={(e) => setStatus(e.target.value as HandoverStatusFilter)}>
              {(['all', 'pending', 'accepted'] as const).map((s) => (
                <option key={s} value={s}>
                  {t(`handover.status.${s}`)}
                </option>
              ))}
            </select>
            <select aria-label={t('handover.building')} data-testid="handover-filter-building" value={scope} onChange={(e) => setScope(e.target.value)}>
              <option value="">{t('handover.allBuildings')}</option>
              {buildings.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
            </select>
            <button type="button" className="button button--small" onClick={onClose}>
              {t('common.close')}
            </button>
          </div>
        </header>
        {error ? <ErrorText error={error} /> : null}
        {rows === null && !error ? <p className="muted">{t('common.loading')}</p> : null}
        {rows && !rows.length ? <p className="muted">{t('handover.none')}</p> : null}
        {rows?.length ? (
          <table className="handover-table">
            <thead>
              <tr>
                <th>#</th>
                <th>{t('handover.building')}</th>
                <th>{t('handover.outgoing')}</th>
                <th>{t('handover.startedAt')}</th>
                <th>{t('handover.incoming')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((h) => (
                <tr key={h.id} data-testid="handover-row" data-handover-id={h.id} data-status={h.status}>
                  <td>{h.id}</td>
                  <td>{buildingName(h.buildingId)}</td>
                  <td>{h.outgoingName}</td>
                  <td>{formatDateTime(locale, h.startedAt)}</td>
                  <td>{h.status === 'accepted' ? `${h.incomingName ?? ''} · ${h.acceptedAt ? formatDateTime(locale, h.acceptedAt) : ''}` : t('handover.notYet')}</td>
                  <td>
                    <button type="button" className="button button--small" onClick={() => onView(h.id)}>
                      {t('handover.view')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </div>
  );
}
