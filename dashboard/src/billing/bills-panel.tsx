import { useId, useMemo, useState } from 'react';
import { usePolled } from '../api/use-polled.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { Pager } from '../records/pager.tsx';
import { pageRange } from '../records/unit-filters.ts';
import { navigate } from '../router/hash-router.ts';
import { ErrorBanner } from '../shell/error-text.tsx';
import { billStatuses, searchBills, type Bill, type BillStatus } from './billing-api.ts';
import { BILLS_PER_PAGE, billQueryKey, emptyBillFilters, isOverdue, todayIso, toBillQuery, type BillFilters } from './billing-filters.ts';
import { BillDetail } from './bill-detail.tsx';
import { BillStatusPill, BuildingSelect, Money, useBillingLive, useBuildings } from './billing-parts.tsx';
import { formatDate } from './labels.ts';
import { searchOwnerPicks, searchUnitPicks, SearchPicker } from './search-picker.tsx';

/** Bills: search by building, period, status and owner, one page at a time, the selected bill beside. */
export function BillsPanel({ billId }: { billId: number | null }) {
  const t = useT();
  const ids = { building: useId(), period: useId(), status: useId(), unit: useId(), owner: useId() };
  const [filters, setFilters] = useState<BillFilters>(emptyBillFilters);
  const [page, setPage] = useState(1);
  const { query, invalid } = useMemo(() => toBillQuery(filters, page), [filters, page]);
  const list = usePolled(`bills:${billQueryKey(query)}`, (signal) => searchBills(query, signal), 60_000);
  useBillingLive(list.refresh);
  const { nameOf } = useBuildings();

  const set = (change: Partial<BillFilters>) => {
    setFilters((f) => ({ ...f, ...change }));
    setPage(1);
  };
  const total = list.data?.total ?? 0;
  const { first, last } = pageRange(page, BILLS_PER_PAGE, total);

  return (
    <div className={`office-layout records-layout${billId !== null ? ' office-layout--with-detail' : ''}`}>
      <section className="office-main" aria-label={t('billing.tab.bills')}>
        <div className="toolbar records-filters" role="search" data-testid="bill-filters">
          <div className="field">
            <label htmlFor={ids.building}>{t('billing.filter.building')}</label>
            <BuildingSelect id={ids.building} testId="bill-filter-building" value={filters.building} onChange={(building) => set({ building })} />
          </div>
          <div className="field">
            <label htmlFor={ids.period}>{t('billing.filter.period')}</label>
            <input id={ids.period} type="month" data-testid="bill-filter-period" value={filters.period} aria-invalid={invalid.includes('period')} onChange={(e) => set({ period: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor={ids.status}>{t('billing.filter.status')}</label>
            <select id={ids.status} data-testid="bill-filter-status" value={filters.status} onChange={(e) => set({ status: e.target.value as BillStatus | '' })}>
              <option value="">{t('billing.filter.any')}</option>
              {billStatuses.map((s) => (
                <option key={s} value={s}>
                  {t(`billing.billStatus.${s}`)}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.unit}>{t('billing.filter.unit')}</label>
            <SearchPicker id={ids.unit} kind="unit" testId="bill-filter-unit" value={filters.unit} onChange={(unit) => set({ unit })} search={searchUnitPicks} />
          </div>
          <div className="field">
            <label htmlFor={ids.owner}>{t('billing.filter.owner')}</label>
            <SearchPicker id={ids.owner} kind="owner" testId="bill-filter-owner" value={filters.owner} onChange={(owner) => set({ owner })} search={searchOwnerPicks} />
          </div>
          <button type="button" className="link-button small records-filters__clear" onClick={() => set(emptyBillFilters)}>
            {t('billing.filter.clear')}
          </button>
        </div>
        <ErrorBanner error={list.error} onRetry={list.refresh} />
        <div className="card records-table-card">
          <p className="muted small" data-testid="bill-summary" aria-live="polite">
            {list.loading ? t('common.loading') : t('billing.bills.summary', { first, last, total })}
          </p>
          <BillTable bills={list.data?.bills ?? []} selected={billId} busy={list.loading} buildingName={nameOf} onOpen={(b) => navigate(['billing', 'bills', b.id])} showOwner />
          {list.data && list.data.bills.length === 0 ? <p className="empty-note">{t('billing.bills.empty')}</p> : null}
          <Pager page={page} limit={BILLS_PER_PAGE} total={total} onPage={setPage} testId="bill-pager" />
        </div>
      </section>
      {billId !== null ? <BillDetail key={billId} id={billId} onClose={() => navigate(['billing', 'bills'])} onPay={(unitId) => navigate(['billing', 'payments', unitId])} /> : null}
    </div>
  );
}

/** A table of bills, shared by the office's search and the owner's own list. */
export function BillTable({ bills, selected, busy, buildingName, onOpen, showOwner }: { bills: readonly Bill[]; selected: number | null; busy: boolean; buildingName?: (id: string) => string; onOpen: (bill: Bill) => void; showOwner: boolean }) {
  const t = useT();
  const { locale } = useLocale();
  const today = todayIso();
  return (
    <table className="data-table" data-testid="bill-table" aria-busy={busy}>
      <thead>
        <tr>
          <th scope="col">{t('billing.col.number')}</th>
          <th scope="col">{t('billing.col.unit')}</th>
          {showOwner ? <th scope="col">{t('billing.col.owner')}</th> : null}
          <th scope="col">{t('billing.col.period')}</th>
          <th scope="col">{t('billing.col.due')}</th>
          <th scope="col" className="num">
            {t('billing.col.total')}
          </th>
          <th scope="col" className="num">
            {t('billing.col.paid')}
          </th>
          <th scope="col" className="num">
            {t('billing.col.outstanding')}
          </th>
          <th scope="col">{t('billing.col.status')}</th>
        </tr>
      </thead>
      <tbody>
        {bills.map((b) => (
          <tr key={b.id} className={`data-row${b.id === selected ? ' is-selected' : ''}`} data-testid="bill-row" data-bill-id={b.id} data-unit-id={b.unitId} data-status={b.status} aria-selected={b.id === selected} onClick={() => onOpen(b)}>
            <td>
              <button type="button" className="link-button billing-number" onClick={() => onOpen(b)}>
                {b.number}
              </button>
            </td>
            <td className="billing-nowrap">{buildingName ? `${buildingName(b.buildingId)} · ${b.unitNumber}` : b.unitNumber}</td>
            {showOwner ? <td>{b.ownerName ?? '—'}</td> : null}
            <td className="billing-nowrap">{b.period}</td>
            <td className="billing-nowrap">{formatDate(locale, b.dueOn)}</td>
            <td className="num">
              <Money fen={b.totalFen} />
            </td>
            <td className="num">
              <Money fen={b.paidFen} />
            </td>
            <td className="num">
              <Money fen={b.outstandingFen} strong testId="bill-outstanding" />
            </td>
            <td>
              <BillStatusPill status={b.status} overdue={isOverdue(b, today)} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
