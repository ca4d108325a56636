import { usePolled } from '../api/use-polled.ts';
import { formatDateTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { DetailPanelHead, DetailPanelPending, useTitleFocus } from '../shell/detail-panel.tsx';
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
  const headingRef = useTitleFocus(detail.data !== undefined);

  if (!detail.data) {
    return (
      <DetailPanelPending
        className="records-detail"
        testId="bill-detail"
        eyebrow={t('billing.bill.eyebrow')}
        notFound={t('billing.bill.notFound')}
        loading={detail.loading}
        error={detail.error}
        closeTestId="bill-detail-close"
        onClose={onClose}
      />
    );
  }

  const { bill, entries } = detail.data;
  const overdue = isOverdue(bill, todayIso());
  return (
    <aside className="office-detail records-detail card" data-testid="bill-detail" data-bill-id={bill.id} data-status={bill.status} aria-labelledby="billing-bill-title">
      <DetailPanelHead
        eyebrow={t('billing.bill.unitPeriod', { unit: bill.unitNumber, period: bill.period })}
        title={t('billing.bill.title', { number: bill.number })}
        titleId="billing-bill-title"
        headingRef={headingRef}
        closeTestId="bill-detail-close"
        onClose={onClose}
      />
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

      <section className="office-section" aria-labelledby="billing-lines-title">
        <h3 className="office-section__title" id="billing-lines-title">
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

      <section className="office-section" aria-labelledby="billing-entries-title">
        <h3 className="office-section__title" id="billing-entries-title">
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
