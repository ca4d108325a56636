import { useId, useState } from 'react';
import { fetchUnit, searchUnits } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { navigate } from '../router/hash-router.ts';
import { ErrorBanner } from '../shell/error-text.tsx';
import { fetchUnitAccount, paymentMethods, searchBills } from './billing-api.ts';
import { isOverdue, owingBills, todayIso } from './billing-filters.ts';
import { BillStatusPill, Money, Section, useBillingLive } from './billing-parts.tsx';
import { formatDate } from './labels.ts';
import { PaymentStep } from './payment-form.tsx';
import { ReceiptsList } from './receipts-list.tsx';
import { SearchPicker } from './search-picker.tsx';

/**
 * The cashier's desk: find a unit, see what it owes and its credit, record a payment
 * (allocated by the hub to the oldest bills, the rest kept as credit), hand over the
 * receipt. `#/billing/payments/42` opens unit 42.
 */
export function PaymentsPanel({ unitId }: { unitId: number | null }) {
  const t = useT();
  // Counts the payments recorded here, so the receipts list shows the new one even without the live stream.
  const [payments, setPayments] = useState(0);
  return (
    <div className="billing-columns">
      <div className="billing-stack">
        <UnitPicker />
        {unitId !== null ? <UnitPayments key={unitId} unitId={unitId} onRecorded={() => setPayments((n) => n + 1)} /> : <p className="empty-note">{t('billing.pay.pickUnit')}</p>}
      </div>
      <Section title={unitId !== null ? t('billing.receipt.ofUnit') : t('billing.receipt.latest')} testId="billing-receipts">
        <ReceiptsList unitId={unitId ?? undefined} canVoid version={payments} />
      </Section>
    </div>
  );
}

/** Units by number or occupant, labelled with who lives there, so the right one is picked. */
const searchPayingUnits = async (q: string, signal: AbortSignal) =>
  (await searchUnits({ q, limit: 8 }, signal)).units.map((u) => ({ id: u.id, label: `${u.buildingName} · ${u.number}${u.occupants.length ? ` (${u.occupants.map((o) => o.name).join(', ')})` : ''}` }));

function UnitPicker() {
  const t = useT();
  const id = useId();
  return (
    <div className="card billing-card" role="search">
      <div className="field">
        <label htmlFor={id}>{t('billing.pay.findUnit')}</label>
        <SearchPicker id={id} kind="paying-unit" testId="payment-unit-search" value={null} onChange={(unit) => unit && navigate(['billing', 'payments', unit.id])} search={searchPayingUnits} />
      </div>
    </div>
  );
}

function UnitPayments({ unitId, onRecorded }: { unitId: number; onRecorded: () => void }) {
  const t = useT();
  const { locale } = useLocale();
  const unit = usePolled(`unit:${unitId}`, (signal) => fetchUnit(unitId, signal), 0);
  const account = usePolled(`billing-account:${unitId}`, (signal) => fetchUnitAccount(unitId, signal), 60_000);
  const bills = usePolled(`billing-unit-bills:${unitId}`, (signal) => searchBills({ unit: unitId, limit: 100 }, signal), 60_000);
  const refresh = () => {
    account.refresh();
    bills.refresh();
  };
  useBillingLive(refresh);

  const owing = owingBills(bills.data?.bills ?? []);
  const today = todayIso();
  const numberOf = (billId: number) => bills.data?.bills.find((b) => b.id === billId)?.number ?? `#${billId}`;
  const u = unit.data?.unit;

  return (
    <Section title={u ? t('billing.pay.unitTitle', { building: u.buildingName, unit: u.number }) : t('billing.pay.unitTitle', { building: '…', unit: String(unitId) })} testId="payment-unit" actions={<button type="button" className="button button--small" onClick={() => navigate(['billing', 'payments'])}>{t('common.close')}</button>}>
      <ErrorBanner error={account.error ?? bills.error} onRetry={refresh} />
      <dl className="facts billing-facts" data-testid="payment-account">
        <dt>{t('billing.account.balance')}</dt>
        <dd className="num">{account.data ? <Money fen={account.data.balanceFen} strong testId="account-balance" /> : '…'}</dd>
        <dt>{t('billing.account.credit')}</dt>
        <dd className="num">{account.data ? <Money fen={account.data.creditFen} testId="account-credit" /> : '…'}</dd>
      </dl>
      <h3 className="office-section__title">{t('billing.pay.owing')}</h3>
      {bills.data && owing.length === 0 ? <p className="empty-note small">{t('billing.pay.nothingOwed')}</p> : null}
      {owing.length ? (
        <table className="data-table" data-testid="payment-owing">
          <thead>
            <tr>
              <th scope="col">{t('billing.col.number')}</th>
              <th scope="col">{t('billing.col.period')}</th>
              <th scope="col">{t('billing.col.due')}</th>
              <th scope="col">{t('billing.col.status')}</th>
              <th scope="col" className="num">
                {t('billing.col.outstanding')}
              </th>
            </tr>
          </thead>
          <tbody>
            {owing.map((b) => (
              <tr key={b.id} data-testid="payment-owing-row" data-bill-id={b.id}>
                <td>
                  <button type="button" className="link-button" onClick={() => navigate(['billing', 'bills', b.id])}>
                    {b.number}
                  </button>
                </td>
                <td>{b.period}</td>
                <td>{formatDate(locale, b.dueOn)}</td>
                <td>
                  <BillStatusPill status={b.status} overdue={isOverdue(b, today)} />
                </td>
                <td className="num">
                  <Money fen={b.outstandingFen} testId="payment-owing-outstanding" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <h3 className="office-section__title">{t('billing.pay.title')}</h3>
      <PaymentStep
        unitId={unitId}
        methods={paymentMethods}
        billNumber={numberOf}
        onRecorded={() => {
          refresh();
          onRecorded();
        }}
      />
    </Section>
  );
}
