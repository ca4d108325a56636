import { useCallback, useMemo, type ReactNode } from 'react';
import { fetchEstate } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { useLiveRefresh } from '../manager/use-live-refresh.ts';
import { type BillStatus } from './billing-api.ts';
import { billStatusTone } from './billing-filters.ts';
import { formatFen } from './money.ts';

/** Small pieces every billing panel uses: amounts, status pills, the building list. */

export function Money({ fen, testId, strong = false }: { fen: number; testId?: string; strong?: boolean }) {
  return (
    <span className={`money${fen < 0 ? ' money--negative' : ''}${strong ? ' money--strong' : ''}`} data-testid={testId} data-fen={fen}>
      {formatFen(fen)}
    </span>
  );
}

export function BillStatusPill({ status, overdue }: { status: BillStatus; overdue: boolean }) {
  const t = useT();
  return (
    <span className={`pill pill--${billStatusTone(status, overdue)}`} data-testid="bill-status" data-status={status}>
      {t(`billing.billStatus.${status}`)}
      {overdue ? ` · ${t('billing.overdue')}` : ''}
    </span>
  );
}

/** The estate's buildings (id → name) for filters and tables; loaded once per page. */
export function useBuildings() {
  const estate = usePolled('estate', fetchEstate, 0);
  const buildings = useMemo(() => estate.data?.buildings ?? [], [estate.data]);
  const nameOf = useCallback((id: string | null | undefined) => (id ? (buildings.find((b) => b.id === id)?.name ?? id) : '—'), [buildings]);
  return { buildings, nameOf };
}

export function BuildingSelect({ id, value, onChange, testId, anyLabel }: { id: string; value: string; onChange: (value: string) => void; testId: string; anyLabel?: string }) {
  const t = useT();
  const { buildings } = useBuildings();
  return (
    <select id={id} data-testid={testId} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">{anyLabel ?? t('billing.filter.allBuildings')}</option>
      {buildings.map((b) => (
        <option key={b.id} value={b.id}>
          {b.name}
        </option>
      ))}
    </select>
  );
}

/** Billing pages follow the hub's money events; a burst of payments refreshes once a second at most. */
export function useBillingLive(refresh: () => void): void {
  useLiveRefresh(['billing.'], refresh, 1_000);
}

export function Section({ title, children, testId, actions }: { title: string; children: ReactNode; testId?: string; actions?: ReactNode }) {
  return (
    <section className="card billing-card" data-testid={testId}>
      <div className="billing-card__head">
        <h2 className="card__title">{title}</h2>
        {actions ? <div className="billing-card__actions">{actions}</div> : null}
      </div>
      {children}
    </section>
  );
}
