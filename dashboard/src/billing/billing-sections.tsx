import { lazy, Suspense, type ReactNode } from 'react';
import { useT } from '../i18n/i18n-context.tsx';

/**
 * The billing sections as the app shell mounts them: loaded on first visit, so their
 * code (and the stylesheet) stays out of the bundle every guard and technician loads.
 */
const BillingPage = lazy(() => import('./billing-page.tsx').then((m) => ({ default: m.BillingPage })));
const MyBillsPage = lazy(() => import('./my-bills-page.tsx').then((m) => ({ default: m.MyBillsPage })));

function Loading({ children }: { children: ReactNode }) {
  const t = useT();
  return <Suspense fallback={<p className="muted">{t('common.loading')}</p>}>{children}</Suspense>;
}

export function BillingSection({ rest }: { rest: string[] }) {
  return (
    <Loading>
      <BillingPage rest={rest} />
    </Loading>
  );
}

export function MyBillsSection({ rest }: { rest: string[] }) {
  return (
    <Loading>
      <MyBillsPage rest={rest} />
    </Loading>
  );
}
