import { useT } from '../i18n/i18n-context.tsx';
import { PageHeader } from '../pages/page-header.tsx';
import { navigate } from '../router/hash-router.ts';
import { ArrearsPanel } from './arrears-panel.tsx';
import './billing.css';
import { BillsPanel } from './bills-panel.tsx';
import { PaymentsPanel } from './payments-panel.tsx';
import { ReportsPanel } from './reports-panel.tsx';
import { RunsPanel } from './runs-panel.tsx';

const tabs = ['runs', 'bills', 'payments', 'arrears', 'reports'] as const;
type Tab = (typeof tabs)[number];

export function parseId(segment: string | undefined): number | null {
  return segment !== undefined && /^\d+$/.test(segment) ? Number(segment) : null;
}

/**
 * The property office's money: bill runs (readings checked first), bills, the cashier's
 * payments and receipts, arrears and reports. `#/billing/bills/42` opens bill 42,
 * `#/billing/payments/7` the payment desk for unit 7.
 */
export function BillingPage({ rest }: { rest: string[] }) {
  const t = useT();
  const tab: Tab = (tabs as readonly string[]).includes(rest[0] ?? '') ? (rest[0] as Tab) : 'runs';
  const id = parseId(rest[1]);
  return (
    <div className="records billing" data-testid="billing-page">
      <PageHeader title={t('section.billing')} subtitle={t('billing.subtitle')} />
      <div className="segmented office-tabs" role="tablist" aria-label={t('section.billing')}>
        {tabs.map((name) => (
          <button key={name} type="button" role="tab" className="segmented__item" aria-selected={tab === name} data-testid={`billing-tab-${name}`} onClick={() => navigate(['billing', name])}>
            {t(`billing.tab.${name}`)}
          </button>
        ))}
      </div>
      {tab === 'runs' ? <RunsPanel /> : tab === 'bills' ? <BillsPanel billId={id} /> : tab === 'payments' ? <PaymentsPanel unitId={id} /> : tab === 'arrears' ? <ArrearsPanel /> : <ReportsPanel />}
    </div>
  );
}
