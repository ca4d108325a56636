import { useEffect, useId, useState, type FormEvent } from 'react';
import { isApiError, type ApiError } from '../api/client.ts';
import { usePolled } from '../api/use-polled.ts';
import { formatDateTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { ErrorBanner, ErrorText } from '../shell/error-text.tsx';
import { listReceipts, receiptPdfUrl, voidReceipt, type Receipt } from './billing-api.ts';
import { Money, useBillingLive } from './billing-parts.tsx';
import { methodLabel } from './labels.ts';

/**
 * Receipts (of one unit, or the latest of everything the user may see), each with its
 * PDF; staff may void one with a reason (the number stays taken: receipts are gap-free).
 * `version` changes when a payment was just recorded on this page: owners get no live
 * money events, so the page says when to look again.
 */
export function ReceiptsList({ unitId, canVoid, version = 0 }: { unitId?: number; canVoid: boolean; version?: number }) {
  const t = useT();
  const { locale } = useLocale();
  const list = usePolled(`receipts:${unitId ?? 'all'}`, (signal) => listReceipts({ unit: unitId }, signal), 60_000);
  useBillingLive(list.refresh);
  const { refresh } = list;
  useEffect(() => {
    if (version > 0) refresh();
  }, [version, refresh]);
  const [voiding, setVoiding] = useState<number | null>(null);
  const receipts = list.data ?? [];

  return (
    <div className="billing-receipts" data-testid="receipts-list">
      <ErrorBanner error={list.error} onRetry={list.refresh} />
      {list.loading ? <p className="muted small">{t('common.loading')}</p> : null}
      {list.data && receipts.length === 0 ? <p className="empty-note">{t('billing.receipt.none')}</p> : null}
      {receipts.length ? (
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">{t('billing.col.receipt')}</th>
              <th scope="col">{t('billing.col.issuedAt')}</th>
              {unitId === undefined ? <th scope="col">{t('billing.col.unit')}</th> : null}
              <th scope="col">{t('billing.pay.method')}</th>
              <th scope="col" className="num">
                {t('billing.col.amount')}
              </th>
              <th scope="col">
                <span className="visually-hidden">{t('billing.col.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {receipts.map((r) => (
              <ReceiptRow key={r.id} receipt={r} showUnit={unitId === undefined} canVoid={canVoid} voiding={voiding === r.id} onVoid={() => setVoiding(voiding === r.id ? null : r.id)} onVoided={() => { setVoiding(null); list.refresh(); }} issued={formatDateTime(locale, r.issuedAt)} />
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

function ReceiptRow({ receipt: r, showUnit, canVoid, voiding, onVoid, onVoided, issued }: { receipt: Receipt; showUnit: boolean; canVoid: boolean; voiding: boolean; onVoid: () => void; onVoided: () => void; issued: string }) {
  const t = useT();
  const voided = r.voidedAt !== null;
  return (
    <>
      <tr data-testid="receipt-row" data-receipt-id={r.id} data-voided={voided} className={voided ? 'billing-row--void' : undefined}>
        <td>
          <span className="billing-number">{r.number}</span>
          {voided ? <span className="pill pill--unknown billing-pill-gap">{t('billing.receipt.voided')}</span> : null}
          {voided && r.voidReason ? <span className="muted small billing-block">{r.voidReason}</span> : null}
        </td>
        <td>{issued}</td>
        {showUnit ? <td>{r.unitNumber ?? (r.unitId ? `#${r.unitId}` : '—')}</td> : null}
        <td>{r.method ? methodLabel(t, r.method) : '—'}</td>
        <td className="num">{r.amountFen === undefined ? '—' : <Money fen={r.amountFen} />}</td>
        <td className="billing-row__actions">
          <a className="button button--small" href={receiptPdfUrl(r.id)} target="_blank" rel="noopener" data-testid="receipt-pdf">
            PDF
          </a>
          {canVoid && !voided ? (
            <button type="button" className="button button--small" data-testid="receipt-void" aria-expanded={voiding} onClick={onVoid}>
              {t('billing.receipt.void')}
            </button>
          ) : null}
        </td>
      </tr>
      {voiding ? (
        <tr className="billing-row--form">
          <td colSpan={showUnit ? 6 : 5}>
            <ReasonForm testId="receipt-void-form" label={t('billing.receipt.voidReason')} submitLabel={t('billing.receipt.voidSubmit')} onSubmit={(reason) => voidReceipt(r.id, reason)} onDone={onVoided} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

/**
 * A one-field form for an action that needs a reason (void, confirm, an outcome): the
 * reason is required, the hub's refusal is shown next to it.
 */
export function ReasonForm({ label, submitLabel, testId, onSubmit, onDone }: { label: string; submitLabel: string; testId: string; onSubmit: (reason: string) => Promise<unknown>; onDone: () => void }) {
  const t = useT();
  const id = useId();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!reason.trim() || busy) return;
    setBusy(true);
    setError(null);
    try {
      await onSubmit(reason.trim());
      onDone();
    } catch (cause) {
      if (isApiError(cause)) setError(cause);
      setBusy(false);
    }
  };
  return (
    <form className="records-form__row billing-reason-form" data-testid={testId} onSubmit={submit}>
      <div className="field field--grow">
        <label htmlFor={id}>{label}</label>
        <input id={id} data-testid={`${testId}-reason`} value={reason} required maxLength={500} onChange={(e) => setReason(e.target.value)} />
      </div>
      <button type="submit" className="button button--small button--primary" data-testid={`${testId}-submit`} disabled={busy || !reason.trim()}>
        {busy ? t('common.loading') : submitLabel}
      </button>
      {error ? <ErrorText error={error} /> : null}
    </form>
  );
}
