import { useEffect, useState, type ReactNode } from 'react';
import { ApiError, CLIENT_ERR_NETWORK, isAbortError } from '../api/client.ts';
import { priorityLabel, stateLabel, workOrderStatusText } from '../alarms/alarm-labels.ts';
import { formatDateTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { getHandover, type Handover, type HandoverAlarm, type HandoverSnapshot } from './handover-api.ts';
import './handover.css';

interface HandoverSheetProps {
  handoverId: number;
  /** The newest version known live (accepted meanwhile, flagged overdue): shown over the loaded one. */
  latest?: Handover;
  buildingName: (id: string | null) => string;
  onClose: () => void;
}

/**
 * One handover as a printable sheet: who handed over to whom and when, the notes, and the
 * snapshot the hub froze when it was started. Read-only: a handover is a record.
 */
export function HandoverSheet({ handoverId, latest, buildingName, onClose }: HandoverSheetProps) {
  const t = useT();
  const { locale } = useLocale();
  const [loaded, setLoaded] = useState<Handover | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    getHandover(handoverId, controller.signal).then(setLoaded, (cause: unknown) => {
      if (!isAbortError(cause)) setError(cause instanceof ApiError ? cause : new ApiError(0, CLIENT_ERR_NETWORK, String(cause)));
    });
    return () => controller.abort();
  }, [handoverId]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  // Never back from accepted to pending: the console's copy may lag the one just loaded.
  const newer = loaded && latest && latest.id === loaded.id && !(loaded.status === 'accepted' && latest.status === 'pending');
  const handover = newer ? { ...loaded, ...latest, snapshot: loaded.snapshot } : loaded;
  const time = (iso: string | null) => (iso ? formatDateTime(locale, iso) : '—');

  return (
    <div className="handover-overlay" role="presentation" onClick={onClose}>
      <article
        className="handover-sheet"
        role="dialog"
        aria-modal="true"
        aria-label={t('handover.sheetTitle', { id: handoverId })}
        data-testid="handover-sheet"
        data-handover-id={handoverId}
        data-status={handover?.status}
        onClick={(event) => event.stopPropagation()}
      >
        <header className="handover-sheet__head">
          <h2>{t('handover.sheetTitle', { id: handoverId })}</h2>
          <div className="handover-sheet__actions">
            <button type="button" className="button button--small" data-testid="handover-print" onClick={() => window.print()} disabled={!handover}>
              {t('handover.print')}
            </button>
            <button type="button" className="button button--small" data-testid="handover-sheet-close" onClick={onClose}>
              {t('common.close')}
            </button>
          </div>
        </header>
        {error ? <ErrorText error={error} /> : null}
        {!handover && !error ? <p className="muted">{t('common.loading')}</p> : null}
        {handover ? (
          <>
            <dl className="handover-sheet__facts">
              <dt>{t('handover.building')}</dt>
              <dd>{buildingName(handover.buildingId)}</dd>
              <dt>{t('handover.outgoing')}</dt>
              <dd>{handover.outgoingName}</dd>
              <dt>{t('handover.startedAt')}</dt>
              <dd>{time(handover.startedAt)}</dd>
              <dt>{t('handover.period')}</dt>
              <dd>
                {time(handover.periodStart)} – {time(handover.startedAt)}
              </dd>
              <dt>{t('handover.incoming')}</dt>
              <dd data-testid="handover-sheet-incoming">{handover.status === 'accepted' ? `${handover.incomingName ?? ''} · ${time(handover.acceptedAt)}` : t('handover.notYet')}</dd>
              {handover.acceptRemark ? (
                <>
                  <dt>{t('handover.remarkLabel')}</dt>
                  <dd>{handover.acceptRemark}</dd>
                </>
              ) : null}
            </dl>
            {handover.overdueAt ? <p className="warning-text">{t('handover.overdue')}</p> : null}
            <section className="handover-sheet__notes">
              <h3>{t('handover.notes')}</h3>
              <p data-testid="handover-sheet-notes">{handover.notes || t('handover.noNotes')}</p>
            </section>
            {handover.snapshot ? <SnapshotView snapshot={handover.snapshot} buildingName={buildingName} /> : null}
          </>
        ) : null}
      </article>
    </div>
  );
}

/** The frozen picture: counts, then one table per list. Also used for the preview before starting. */
export function SnapshotView({ snapshot, buildingName }: { snapshot: HandoverSnapshot; buildingName: (id: string | null) => string }) {
  const t = useT();
  const { locale } = useLocale();
  const time = (iso: string | null) => (iso ? formatDateTime(locale, iso) : '—');
  const priority = (p: HandoverAlarm['priority']) => (p ? <span className={`badge badge--${p}`}>{t(priorityLabel[p])}</span> : null);
  const counts: [string, number][] = [
    [t('handover.alarmsInPeriod'), snapshot.alarmCount.total],
    [t('handover.count.unacknowledged'), snapshot.unacknowledged.length],
    [t('handover.count.standing'), snapshot.standing.length],
    [t('handover.count.shelved'), snapshot.shelved.length],
    [t('handover.count.workOrders'), snapshot.workOrders.length],
    [t('handover.count.incidents'), snapshot.incidents.length],
    [t('handover.count.doors'), snapshot.doors.length],
  ];
  const alarmTable = (alarms: HandoverAlarm[], shelved: boolean) => (
    <table className="handover-table">
      <thead>
        <tr>
          <th>{t('handover.col.priority')}</th>
          <th>{t('handover.col.alarm')}</th>
          <th>{t('handover.col.device')}</th>
          <th>{shelved ? t('handover.col.until') : t('handover.col.since')}</th>
          <th>{shelved ? t('handover.col.reason') : t('handover.col.state')}</th>
        </tr>
      </thead>
      <tbody>
        {alarms.map((a) => (
          <tr key={a.id} data-testid="handover-alarm" data-alarm-id={a.id}>
            <td>{priority(a.priority)}</td>
            <td>
              <a href={`#/alarms/${a.id}`}>#{a.id}</a> {a.message ?? ''}
            </td>
            <td>
              {a.device} · {buildingName(a.buildingId)}
            </td>
            <td>{shelved ? time(a.shelvedUntil) : time(a.raisedAt)}</td>
            <td>{shelved ? `${a.shelveReason ?? ''}${a.shelvedBy ? ` (${a.shelvedBy})` : ''}` : t(stateLabel[a.state])}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );

  return (
    <div className="handover-snapshot" data-testid="handover-snapshot">
      <p className="muted">{t('handover.snapshotAt', { time: time(snapshot.takenAt) })}</p>
      <ul className="handover-counts">
        {counts.map(([label, n]) => (
          <li key={label} className={n > 0 ? 'handover-counts__item handover-counts__item--some' : 'handover-counts__item'}>
            <strong>{n}</strong> {label}
          </li>
        ))}
      </ul>
      <Section title={t('handover.count.unacknowledged')} empty={!snapshot.unacknowledged.length}>
        {alarmTable(snapshot.unacknowledged, false)}
      </Section>
      <Section title={t('handover.count.standing')} empty={!snapshot.standing.length}>
        {alarmTable(snapshot.standing, false)}
      </Section>
      <Section title={t('handover.count.shelved')} empty={!snapshot.shelved.length}>
        {alarmTable(snapshot.shelved, true)}
      </Section>
      <Section title={t('handover.count.workOrders')} empty={!snapshot.workOrders.length}>
        <table className="handover-table">
          <thead>
            <tr>
              <th>{t('handover.col.priority')}</th>
              <th>{t('handover.col.number')}</th>
              <th>{t('handover.col.title')}</th>
              <th>{t('handover.col.status')}</th>
              <th>{t('handover.col.assignee')}</th>
            </tr>
          </thead>
          <tbody>
            {snapshot.workOrders.map((w) => (
              <tr key={w.id}>
                <td>{priority(w.priority)}</td>
                <td>{w.number}</td>
                <td>
                  {w.title} · {buildingName(w.buildingId)}
                </td>
                <td>{workOrderStatusText(t, w.status)}</td>
                <td>{w.assignee ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title={t('handover.count.incidents')} empty={!snapshot.incidents.length}>
        <table className="handover-table">
          <thead>
            <tr>
              <th>{t('handover.col.priority')}</th>
              <th>{t('handover.col.title')}</th>
              <th>{t('handover.col.since')}</th>
              <th>{t('handover.col.number')}</th>
            </tr>
          </thead>
          <tbody>
            {snapshot.incidents.map((i) => (
              <tr key={i.id}>
                <td>{priority(i.priority)}</td>
                <td>
                  {i.title} · {buildingName(i.buildingId)}
                  {i.zone ? ` · ${i.zone}` : ''}
                </td>
                <td>{time(i.openedAt)}</td>
                <td>{i.workOrderNumber ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title={t('handover.count.doors')} empty={!snapshot.doors.length}>
        <table className="handover-table">
          <thead>
            <tr>
              <th>{t('handover.col.door')}</th>
              <th>{t('handover.col.state')}</th>
              <th>{t('handover.col.since')}</th>
            </tr>
          </thead>
          <tbody>
            {snapshot.doors.map((d) => (
              <tr key={d.id}>
                <td>
                  {d.name} · {buildingName(d.buildingId)}
                  {d.location ? ` · ${d.location}` : ''}
                </td>
                <td>{[d.open ? t('handover.door.open') : null, d.locked === false ? t('handover.door.unlocked') : null].filter(Boolean).join(', ')}</td>
                <td>{time(d.since)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      {snapshot.truncated ? <p className="warning-text">{t('handover.truncated')}</p> : null}
    </div>
  );
}

function Section({ title, empty, children }: { title: string; empty: boolean; children: ReactNode }) {
  const t = useT();
  return (
    <section className="handover-snapshot__section">
      <h3>{title}</h3>
      {empty ? <p className="muted">{t('handover.empty')}</p> : children}
    </section>
  );
}
