import { useId, useState } from 'react';
import { usePolled } from '../api/use-polled.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { PageHeader } from '../pages/page-header.tsx';
import { Pager } from '../records/pager.tsx';
import { navigate } from '../router/hash-router.ts';
import { ErrorBanner } from '../shell/error-text.tsx';
import { ownerPaymentMethods, searchBills, type BillStatus } from './billing-api.ts';
import { BILLS_PER_PAGE, billQueryKey, emptyBillFilters, owingBills, toBillQuery, unitsOfBills } from './billing-filters.ts';
import './billing.css';
import { BillDetail } from './bill-detail.tsx';
import { parseId } from './billing-page.tsx';
import { BillTable } from './bills-panel.tsx';
import { Money, Section, useBillingLive } from './billing-parts.tsx';
import { PaymentStep } from './payment-form.tsx';
import { ReceiptsList } from './receipts-list.tsx';

/**
 * The owner's portal: their bills (the hub returns only those of units they hold),
 * what is still owed, recording a payment they made by WeChat, Alipay or bank transfer,
 * and their receipts as PDF. `#/my-bills/42` opens bill 42, `#/my-bills/pay/7` the
 * payment form for unit 7.
 */
export function MyBillsPage({ rest }: { rest: string[] }) {
  const t = useT();
  const statusField = useId();
  const [status, setStatus] = useState<BillStatus | ''>('');
  const [page, setPage] = useState(1);
  const { query } = toBillQuery({ ...emptyBillFilters, status }, page);
  const list = usePolled(`my-bills:${billQueryKey(query)}`, (signal) => searchBills(query, signal), 60_000);
  // Everything owed, whatever the list shows: the summary and the units to pay for.
  const owed = usePolled('my-bills:owed', (signal) => searchBills({ limit: 100 }, signal), 60_000);
  const [payments, setPayments] = useState(0);
  const refresh = () => {
    list.refresh();
    owed.refresh();
  };
  useBillingLive(refresh);

  const paying = rest[0] === 'pay' ? parseId(rest[1]) : null;
  const billId = paying === null ? parseId(rest[0]) : null;
  const allBills = owed.data?.bills ?? [];
  const owing = owingBills(allBills);
  const owingFen = owing.reduce((sum, b) => sum + b.outstandingFen, 0);
  const units = unitsOfBills(allBills);

  return (
    <div className="records billing" data-testid="my-bills-page">
      <PageHeader title={t('section.myBills')} subtitle={t('billing.my.subtitle')} />
      <ErrorBanner error={list.error ?? owed.error} onRetry={refresh} />
      <div className="kpi-tiles billing-tiles">
        <div className={`kpi-tile${owingFen > 0 ? ' kpi-tile--warn' : ' kpi-tile--ok'}`}>
          <span className="kpi-tile__label">{t('billing.my.owed')}</span>
          <span className="kpi-tile__value billing-tile__value">{owed.data ? <Money fen={owingFen} testId="my-bills-owed" /> : '…'}</span>
        </div>
        <div className="kpi-tile">
          <span className="kpi-tile__label">{t('billing.my.openBills')}</span>
          <span className="kpi-tile__value">{owed.data ? owing.length : '…'}</span>
        </div>
        {units.length ? (
          <div className="kpi-tile billing-tile--actions">
            <span className="kpi-tile__label">{t('billing.my.recordPayment')}</span>
            <span className="button-row">
              {units.map((u) => (
                <button key={u.unitId} type="button" className="button button--small" data-testid="my-bills-pay" data-unit-id={u.unitId} onClick={() => navigate(['my-bills', 'pay', u.unitId])}>
                  {t('billing.my.payFor', { unit: u.unitNumber })}
                </button>
              ))}
            </span>
          </div>
        ) : null}
      </div>

      {paying !== null ? (
        <OwnerPayment
          key={paying}
          unitId={paying}
          unitNumber={units.find((u) => u.unitId === paying)?.unitNumber ?? String(paying)}
          suggestedFen={owing.filter((b) => b.unitId === paying).reduce((sum, b) => sum + b.outstandingFen, 0)}
          billNumber={(id) => allBills.find((b) => b.id === id)?.number ?? `#${id}`}
          onRecorded={() => {
            refresh();
            setPayments((n) => n + 1);
          }}
        />
      ) : null}

      <div className={`office-layout records-layout${billId !== null ? ' office-layout--with-detail' : ''}`}>
        <section className="office-main" aria-label={t('billing.tab.bills')}>
          <div className="toolbar records-filters">
            <div className="field">
              <label htmlFor={statusField}>{t('billing.filter.status')}</label>
              <select
                id={statusField}
                data-testid="my-bills-status"
                value={status}
                onChange={(e) => {
                  setStatus(e.target.value as BillStatus | '');
                  setPage(1);
                }}
              >
                <option value="">{t('billing.filter.any')}</option>
                {(['open', 'partial', 'paid'] as const).map((s) => (
                  <option key={s} value={s}>
                    {t(`billing.billStatus.${s}`)}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <div className="card records-table-card">
            <BillTable bills={list.data?.bills ?? []} selected={billId} busy={list.loading} onOpen={(b) => navigate(['my-bills', b.id])} showOwner={false} />
            {list.loading ? <p className="muted small">{t('common.loading')}</p> : null}
            {list.data && list.data.bills.length === 0 ? <p className="empty-note">{t('billing.my.noBills')}</p> : null}
            <Pager page={page} limit={BILLS_PER_PAGE} total={list.data?.total ?? 0} onPage={setPage} testId="my-bills-pager" />
          </div>
        </section>
        {billId !== null ? <BillDetail key={billId} id={billId} onClose={() => navigate(['my-bills'])} onPay={(unitId) => navigate(['my-bills', 'pay', unitId])} /> : null}
      </div>

      <Section title={t('billing.my.receipts')} testId="my-receipts">
        <ReceiptsList canVoid={false} version={payments} />
      </Section>
    </div>
  );
}

function OwnerPayment({ unitId, unitNumber, suggestedFen, billNumber, onRecorded }: { unitId: number; unitNumber: string; suggestedFen: number; billNumber: (id: number) => string; onRecorded: () => void }) {
  const t = useT();
  return (
    <Section title={t('billing.my.payTitle', { unit: unitNumber })} testId="my-payment" actions={<button type="button" className="button button--small" onClick={() => navigate(['my-bills'])}>{t('common.close')}</button>}>
      <p className="muted small">{t('billing.my.payAbout')}</p>
      <PaymentStep unitId={unitId} methods={ownerPaymentMethods} suggestedFen={suggestedFen} billNumber={billNumber} onRecorded={onRecorded} />
    </Section>
  );
}
