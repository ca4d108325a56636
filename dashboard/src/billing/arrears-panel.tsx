import { lazy, Suspense, useId, useState, type FormEvent } from 'react';
import { isApiError, type ApiError } from '../api/client.ts';
import { usePolled } from '../api/use-polled.ts';
import { formatDateTime, formatNumber } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { navigate } from '../router/hash-router.ts';
import { ErrorBanner, ErrorText } from '../shell/error-text.tsx';
import { acknowledgeWarning, ageingBuckets, completeArrearsAction, fetchArrears, letterPdfUrl, listArrearsActions, listArrearsWarnings, logArrearsCall, type ArrearsAction, type ArrearsRow } from './billing-api.ts';
import { ageingRows } from './billing-filters.ts';
import { BuildingSelect, Money, Section, useBillingLive, useBuildings } from './billing-parts.tsx';
import { actionLabel, formatDate, warningReasonLabel } from './labels.ts';
import { ReasonForm } from './receipts-list.tsx';

const AgeingChart = lazy(() => import('./billing-charts.tsx').then((m) => ({ default: m.AgeingChart })));

/**
 * Arrears: how old the debt is (ageing buckets), who owes, what is due next on the
 * escalation ladder (the work list), and the warnings raised for managers.
 */
export function ArrearsPanel() {
  const t = useT();
  const { locale } = useLocale();
  const buildingField = useId();
  const [building, setBuilding] = useState('');
  const arrears = usePolled(`billing-arrears:${building}`, (signal) => fetchArrears({ building: building || undefined }, signal), 60_000);
  useBillingLive(arrears.refresh);
  const { nameOf } = useBuildings();
  const [calling, setCalling] = useState<number | null>(null);
  const data = arrears.data;
  const totalFen = data ? ageingBuckets.reduce((sum, b) => sum + (data.buckets[b] ?? 0), 0) : 0;

  return (
    <div className="billing-stack" data-testid="billing-arrears">
      <div className="toolbar records-filters">
        <div className="field">
          <label htmlFor={buildingField}>{t('billing.filter.building')}</label>
          <BuildingSelect id={buildingField} testId="arrears-building" value={building} onChange={setBuilding} />
        </div>
        {data ? <p className="muted small">{t('billing.arrears.asOf', { time: formatDate(locale, data.asOf) })}</p> : null}
      </div>
      <ErrorBanner error={arrears.error} onRetry={arrears.refresh} />
      <div className="billing-columns">
        <Section title={t('billing.arrears.ageing')} testId="arrears-ageing" actions={data ? <Money fen={totalFen} strong testId="arrears-total" /> : null}>
          {data ? (
            <Suspense fallback={<p className="muted chart-placeholder">{t('device.chartLoading')}</p>}>
              <AgeingChart rows={ageingRows(data.buckets, ageingBuckets).map((r) => ({ label: t(`billing.bucket.${r.bucket}`), fen: r.fen }))} valueName={t('billing.arrears.owed')} />
            </Suspense>
          ) : (
            <p className="muted">{t('common.loading')}</p>
          )}
        </Section>
        <WarningsCard />
      </div>
      <WorkList />
      <Section title={t('billing.arrears.units')} testId="arrears-units">
        {data && data.units.length === 0 ? <p className="empty-note">{t('billing.arrears.noneOwing')}</p> : null}
        {data?.units.length ? (
          <table className="data-table" data-testid="arrears-table">
            <thead>
              <tr>
                <th scope="col">{t('billing.col.unit')}</th>
                <th scope="col">{t('billing.col.owner')}</th>
                <th scope="col" className="num">
                  {t('billing.arrears.age')}
                </th>
                <th scope="col" className="num">
                  {t('billing.arrears.owed')}
                </th>
                <th scope="col">
                  <span className="visually-hidden">{t('billing.col.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.units.map((u) => (
                <ArrearsUnitRow key={u.unitId} row={u} building={nameOf(u.buildingId)} days={formatNumber(locale, u.ageDays)} calling={calling === u.unitId} onCall={() => setCalling(calling === u.unitId ? null : u.unitId)} onLogged={() => setCalling(null)} />
              ))}
            </tbody>
          </table>
        ) : null}
      </Section>
    </div>
  );
}

function ArrearsUnitRow({ row, building, days, calling, onCall, onLogged }: { row: ArrearsRow; building: string; days: string; calling: boolean; onCall: () => void; onLogged: () => void }) {
  const t = useT();
  return (
    <>
      <tr data-testid="arrears-row" data-unit-id={row.unitId}>
        <td>
          {building} · {row.unitNumber}
        </td>
        <td>{row.ownerName ?? '—'}</td>
        <td className="num">{t('billing.arrears.days', { days })}</td>
        <td className="num">
          <Money fen={row.totalFen} strong testId="arrears-row-total" />
        </td>
        <td className="billing-row__actions">
          <button type="button" className="button button--small" data-testid="arrears-call" aria-expanded={calling} onClick={onCall}>
            {t('billing.arrears.logCall')}
          </button>
          <button type="button" className="button button--small" onClick={() => navigate(['billing', 'payments', row.unitId])}>
            {t('billing.bill.pay')}
          </button>
        </td>
      </tr>
      {calling ? (
        <tr className="billing-row--form">
          <td colSpan={5}>
            <CallForm unitId={row.unitId} onDone={onLogged} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

/** A phone call to the owner: what came of it (required) and a note. */
function CallForm({ unitId, onDone }: { unitId: number; onDone: () => void }) {
  const t = useT();
  const ids = { outcome: useId(), note: useId() };
  const [outcome, setOutcome] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!outcome.trim() || busy) return;
    setBusy(true);
    setError(null);
    try {
      await logArrearsCall({ unitId, outcome: outcome.trim(), note: note.trim() || undefined });
      onDone();
    } catch (cause) {
      if (isApiError(cause)) setError(cause);
      setBusy(false);
    }
  };
  return (
    <form className="records-form__row" data-testid="arrears-call-form" onSubmit={submit}>
      <div className="field field--grow">
        <label htmlFor={ids.outcome}>{t('billing.arrears.callOutcome')}</label>
        <input id={ids.outcome} data-testid="arrears-call-outcome" value={outcome} required maxLength={200} placeholder={t('billing.arrears.callOutcomeHint')} onChange={(e) => setOutcome(e.target.value)} />
      </div>
      <div className="field field--grow">
        <label htmlFor={ids.note}>{t('billing.pay.note')}</label>
        <input id={ids.note} value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} />
      </div>
      <button type="submit" className="button button--small button--primary" data-testid="arrears-call-submit" disabled={busy || !outcome.trim()}>
        {t('billing.arrears.logCall')}
      </button>
      {error ? <ErrorText error={error} /> : null}
    </form>
  );
}

/** The escalation steps due now: reminders, calls, visits, lawyer's letters. */
function WorkList() {
  const t = useT();
  const { locale } = useLocale();
  const actions = usePolled('billing-arrears-actions', (signal) => listArrearsActions('due', signal), 60_000);
  useBillingLive(actions.refresh);
  const [open, setOpen] = useState<number | null>(null);
  return (
    <Section title={t('billing.arrears.workList')} testId="arrears-work-list">
      <ErrorBanner error={actions.error} onRetry={actions.refresh} />
      {actions.data && actions.data.length === 0 ? <p className="empty-note">{t('billing.arrears.nothingDue')}</p> : null}
      {actions.data?.length ? (
        <table className="data-table" data-testid="arrears-actions">
          <thead>
            <tr>
              <th scope="col">{t('billing.arrears.action')}</th>
              <th scope="col">{t('billing.col.unit')}</th>
              <th scope="col" className="num">
                {t('billing.arrears.age')}
              </th>
              <th scope="col" className="num">
                {t('billing.arrears.owed')}
              </th>
              <th scope="col">{t('billing.arrears.dueSince')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('billing.col.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {actions.data.map((a: ArrearsAction) => (
              <WorkRow key={a.id} action={a} due={formatDateTime(locale, a.dueAt)} days={formatNumber(locale, a.ageDays)} open={open === a.id} onOpen={() => setOpen(open === a.id ? null : a.id)} onDone={() => { setOpen(null); actions.refresh(); }} />
            ))}
          </tbody>
        </table>
      ) : null}
    </Section>
  );
}

function WorkRow({ action: a, due, days, open, onOpen, onDone }: { action: ArrearsAction; due: string; days: string; open: boolean; onOpen: () => void; onDone: () => void }) {
  const t = useT();
  const { locale } = useLocale();
  // The hub words each step for notices in both languages; it is the row's explanation.
  const summary = a.summary[locale];
  return (
    <>
      <tr data-testid="arrears-action-row" data-action-id={a.id} data-action={a.action}>
        <td>
          <span className={`pill pill--${a.action === 'lawyer_letter' ? 'critical' : a.action === 'visit' ? 'high' : 'medium'}`}>{actionLabel(t, a.action)}</span>
        </td>
        <td title={summary}>
          {a.unitNumber}
          <span className="muted small billing-block">{a.billNumber}</span>
        </td>
        <td className="num">{t('billing.arrears.days', { days })}</td>
        <td className="num">
          <Money fen={a.amountFen} />
        </td>
        <td>{due}</td>
        <td className="billing-row__actions">
          {a.action === 'lawyer_letter' ? (
            <a className="button button--small" href={letterPdfUrl(a.id)} target="_blank" rel="noopener" data-testid="arrears-letter">
              {t('billing.arrears.letter')}
            </a>
          ) : null}
          <button type="button" className="button button--small" data-testid="arrears-action-done" aria-expanded={open} onClick={onOpen}>
            {t('billing.arrears.markDone')}
          </button>
        </td>
      </tr>
      {open ? (
        <tr className="billing-row--form">
          <td colSpan={6}>
            <ReasonForm testId="arrears-done-form" label={t('billing.arrears.outcome')} submitLabel={t('billing.arrears.markDone')} onSubmit={(outcome) => completeArrearsAction(a.id, outcome)} onDone={onDone} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

/** Units over the warning thresholds, until someone acknowledges them (they clear when paid). */
function WarningsCard() {
  const t = useT();
  const { locale } = useLocale();
  const warnings = usePolled('billing-arrears-warnings', listArrearsWarnings, 60_000);
  useBillingLive(warnings.refresh);
  const [error, setError] = useState<ApiError | null>(null);
  const open = (warnings.data ?? []).filter((w) => w.acknowledgedAt === null);
  const ack = async (id: number) => {
    setError(null);
    try {
      await acknowledgeWarning(id);
      warnings.refresh();
    } catch (cause) {
      if (isApiError(cause)) setError(cause);
    }
  };
  return (
    <Section title={t('billing.arrears.warnings')} testId="arrears-warnings" actions={open.length ? <span className="pill pill--high">{open.length}</span> : null}>
      <ErrorBanner error={warnings.error ?? error} onRetry={warnings.refresh} />
      {warnings.data && warnings.data.length === 0 ? <p className="empty-note">{t('billing.arrears.noWarnings')}</p> : null}
      <ul className="records-history" data-testid="arrears-warning-list">
        {(warnings.data ?? []).map((w) => (
          <li key={w.id} className={`records-history__item billing-warning${w.acknowledgedAt ? '' : ' billing-warning--open'}`} data-testid="arrears-warning" data-warning-id={w.id}>
            <span className="billing-entry__line">
              <strong>{w.unitNumber}</strong>
              <Money fen={w.amountFen} strong />
            </span>
            <span className="small">
              {warningReasonLabel(t, w.reason)} · {t('billing.arrears.days', { days: formatNumber(locale, w.ageDays) })} · {formatDateTime(locale, w.raisedAt)}
            </span>
            {w.acknowledgedAt ? (
              <span className="muted small">{t('billing.arrears.acknowledgedBy', { who: w.acknowledgedBy ?? '—' })}</span>
            ) : (
              <button type="button" className="button button--small billing-warning__ack" data-testid="arrears-warning-ack" onClick={() => void ack(w.id)}>
                {t('billing.arrears.acknowledge')}
              </button>
            )}
          </li>
        ))}
      </ul>
    </Section>
  );
}
