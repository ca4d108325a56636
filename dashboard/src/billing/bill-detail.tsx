import { useEffect, useRef } from 'react';
import { usePolled } from '../api/use-polled.ts';
import { formatDateTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { fetchBill } from './billing-api.ts';
import { isOverdue, todayIso } from './billing-filters.ts';
import { BillStatusPill, Money, useBillingLive } from './billing-parts.tsx';
import { formatDate, ledgerKindLabel } from './labels.ts';

/**
 * One bill: its facts, its lines, and the ledger entries that make up what is still
 * owed (charges, payments, credit applied, late fees). Mounted with `key={id}`.
 * `onPay` offers the payment form for the bill's unit.
 */
export function BillDetail({ id, onClose, onPay }: { id: number; onClose: () => void; onPay?: (unitId: number) => void }) {
  const t = useT();
  const { locale } = useLocale();
  const detail = usePolled(`bill:${id}`, (signal) => fetchBill(id, signal), 60_000);
  useBillingLive(detail.refresh);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const shown = detail.data !== undefined;
  useEffect(() => {
    if (shown) headingRef.current?.focus();
  }, [shown]);

  const close = (
    <button type="button" className="button button--small" data-testid="bill-detail-close" onClick={onClose}>
      {t('common.close')}
    </button>
  );

  if (!detail.data) {
    return (
      <aside className="records-detail card" data-testid="bill-detail" aria-busy={detail.loading}>
        <div className="card__head">
          <p className="eyebrow">{t('billing.bill.eyebrow')}</p>
          {close}
        </div>
        {detail.loading ? <p className="muted">{t('common.loading')}</p> : null}
        {detail.error ? detail.error.status === 404 ? <p className="empty-note">{t('billing.bill.notFound')}</p> : <ErrorText error={detail.error} /> : null}
      </aside>
    );
  }

  const { bill, entries } = detail.data;
  const overdue = isOverdue(bill, todayIso());
  return (
    <aside className="records-detail card" data-testid="bill-detail" data-bill-id={bill.id} data-status={bill.status} aria-labelledby="billing-bill-title">
      <div className="card__head">
        <div>
          <p className="eyebrow">{t('billing.bill.unitPeriod', { unit: bill.unitNumber, period: bill.period })}</p>
          <h2 className="card__title" id="billing-bill-title" tabIndex={-1} ref={headingRef}>
            {t('billing.bill.title', { number: bill.number })}
          </h2>
        </div>
        {close}
      </div>
      <dl className="facts billing-facts">
        <dt>{t('billing.col.status')}</dt>
        <dd>
          <BillStatusPill status={bill.status} overdue={overdue} />
        </dd>
        <dt>{t('billing.col.owner')}</dt>
        <dd>{bill.ownerName ?? '—'}</dd>
        <dt>{t('billing.col.issued')}</dt>
        <dd>{formatDate(locale, bill.issuedOn)}</dd>
        <dt>{t('billing.col.due')}</dt>
        <dd>{formatDate(locale, bill.dueOn)}</dd>
        <dt>{t('billing.col.total')}</dt>
        <dd className="num">
          <Money fen={bill.totalFen} />
        </dd>
        <dt>{t('billing.col.paid')}</dt>
        <dd className="num">
          <Money fen={bill.paidFen} />
        </dd>
        {bill.lateFeesFen ? (
          <>
            <dt>{t('billing.col.lateFees')}</dt>
            <dd className="num">
              <Money fen={bill.lateFeesFen} />
            </dd>
          </>
        ) : null}
        <dt>{t('billing.col.outstanding')}</dt>
        <dd className="num">
          <Money fen={bill.outstandingFen} strong testId="bill-detail-outstanding" />
        </dd>
      </dl>
      {onPay && bill.status !== 'void' && bill.outstandingFen > 0 ? (
        <button type="button" className="button button--primary" data-testid="bill-pay" onClick={() => onPay(bill.unitId)}>
          {t('billing.bill.pay')}
        </button>
      ) : null}

      <section className="records-section" aria-labelledby="billing-lines-title">
        <h3 className="records-section__title" id="billing-lines-title">
          {t('billing.bill.lines')}
        </h3>
        <table className="data-table billing-lines" data-testid="bill-lines">
          <thead>
            <tr>
              <th scope="col">{t('billing.col.item')}</th>
              <th scope="col" className="num">
                {t('billing.col.quantity')}
              </th>
              <th scope="col" className="num">
                {t('billing.col.amount')}
              </th>
            </tr>
          </thead>
          <tbody>
            {(bill.lines ?? []).map((line) => (
              <tr key={line.id ?? line.lineNo} data-testid="bill-line">
                <td>{line.description}</td>
                <td className="num">{line.quantity}</td>
                <td className="num">
                  <Money fen={line.amountFen} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section className="records-section" aria-labelledby="billing-entries-title">
        <h3 className="records-section__title" id="billing-entries-title">
          {t('billing.bill.entries')}
        </h3>
        {entries.length === 0 ? <p className="empty-note small">{t('billing.bill.noEntries')}</p> : null}
        <ol className="records-history" data-testid="bill-entries">
          {entries.map((e) => (
            <li key={e.id} className={`records-history__item billing-entry billing-entry--${e.amountFen < 0 ? 'credit' : 'debit'}`} data-testid="bill-entry" data-kind={e.kind}>
              <span className="billing-entry__line">
                <span>{ledgerKindLabel(t, e.kind)}</span>
                <Money fen={e.amountFen} />
              </span>
              <span className="muted small">
                {formatDateTime(locale, e.at)}
                {e.memo ? ` · ${e.memo}` : ''}
              </span>
            </li>
          ))}
        </ol>
      </section>
    </aside>
  );
}
