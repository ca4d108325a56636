import { useId, useMemo, useState } from 'react';
import { fetchEstate, searchUnits, unitSorts, unitStatuses, type Unit } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { formatNumber } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { navigate } from '../router/hash-router.ts';
import { ErrorBanner } from '../shell/error-text.tsx';
import { associationRoleLabel, sortLabel, unitStatusLabel, unitStatusTone } from './labels.ts';
import { Pager } from './pager.tsx';
import { emptyUnitFilters, pageRange, toUnitQuery, unitQueryKey, UNITS_PER_PAGE, type UnitFilters } from './unit-filters.ts';
import { UnitDetailPanel } from './unit-detail.tsx';
import { useDebounced } from './use-debounced.ts';

/** Units: the search filters, one page of results, and the selected unit beside them. */
export function UnitsPanel({ unitId }: { unitId: number | null }) {
  const t = useT();
  const { locale } = useLocale();
  const ids = { building: useId(), floor: useId(), status: useId(), min: useId(), max: useId(), owner: useId(), q: useId(), sort: useId() };
  const [filters, setFilters] = useState<UnitFilters>(emptyUnitFilters);
  const [page, setPage] = useState(1);
  const estate = usePolled('estate', fetchEstate, 0);
  // Typing settles before it searches; choices from lists apply at once.
  const typed = useDebounced({ minArea: filters.minArea, maxArea: filters.maxArea, owner: filters.owner, q: filters.q }, 300);
  const { query, invalid } = useMemo(() => toUnitQuery({ ...filters, ...typed }, page), [filters, typed, page]);
  const list = usePolled(`units:${unitQueryKey(query)}`, (signal) => searchUnits(query, signal), 30_000);

  const buildings = estate.data?.buildings ?? [];
  const floors = buildings.find((b) => b.id === filters.building)?.floors ?? [];
  const set = (change: Partial<UnitFilters>) => {
    setFilters((f) => ({ ...f, ...change }));
    setPage(1);
  };
  const total = list.data?.total ?? 0;
  const { first, last } = pageRange(page, UNITS_PER_PAGE, total);

  return (
    <div className={`office-layout records-layout${unitId !== null ? ' office-layout--with-detail' : ''}`}>
      <section className="office-main" aria-labelledby="records-units-title">
        <h2 className="visually-hidden" id="records-units-title">
          {t('records.tab.units')}
        </h2>
        <div className="toolbar records-filters" role="search" data-testid="unit-filters">
          <div className="field">
            <label htmlFor={ids.q}>{t('records.filter.search')}</label>
            <input id={ids.q} type="search" data-testid="unit-search" value={filters.q} placeholder={t('records.filter.searchPlaceholder')} onChange={(e) => set({ q: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor={ids.building}>{t('records.filter.building')}</label>
            <select id={ids.building} data-testid="unit-filter-building" value={filters.building} onChange={(e) => set({ building: e.target.value, floor: '' })}>
              <option value="">{t('records.filter.any')}</option>
              {buildings.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.floor}>{t('records.filter.floor')}</label>
            <select id={ids.floor} data-testid="unit-filter-floor" value={filters.floor} disabled={!filters.building} onChange={(e) => set({ floor: e.target.value })}>
              <option value="">{t('records.filter.any')}</option>
              {floors.map((f) => (
                <option key={f.id} value={f.code}>
                  {f.code}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.status}>{t('records.filter.status')}</label>
            <select id={ids.status} data-testid="unit-filter-status" value={filters.status} onChange={(e) => set({ status: e.target.value as UnitFilters['status'] })}>
              <option value="">{t('records.filter.any')}</option>
              {unitStatuses.map((s) => (
                <option key={s} value={s}>
                  {unitStatusLabel(t, s)}
                </option>
              ))}
            </select>
          </div>
          <div className="field records-filters__area">
            <label htmlFor={ids.min}>{t('records.filter.area')}</label>
            <span className="records-filters__range">
              <input id={ids.min} inputMode="decimal" data-testid="unit-filter-min-area" aria-invalid={invalid.includes('minArea')} value={filters.minArea} placeholder={t('records.filter.min')} onChange={(e) => set({ minArea: e.target.value })} />
              <span aria-hidden="true">–</span>
              <input id={ids.max} inputMode="decimal" aria-label={t('records.filter.max')} data-testid="unit-filter-max-area" aria-invalid={invalid.includes('maxArea')} value={filters.maxArea} placeholder={t('records.filter.max')} onChange={(e) => set({ maxArea: e.target.value })} />
            </span>
          </div>
          <div className="field">
            <label htmlFor={ids.owner}>{t('records.filter.owner')}</label>
            <input id={ids.owner} data-testid="unit-filter-owner" value={filters.owner} onChange={(e) => set({ owner: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor={ids.sort}>{t('records.filter.sort')}</label>
            <span className="records-filters__range">
              <select id={ids.sort} data-testid="unit-sort" value={filters.sort} onChange={(e) => set({ sort: e.target.value as UnitFilters['sort'] })}>
                {unitSorts.map((s) => (
                  <option key={s} value={s}>
                    {sortLabel(t, s)}
                  </option>
                ))}
              </select>
              <button type="button" className="button button--small" data-testid="unit-order" aria-label={t(`records.order.${filters.order}`)} title={t(`records.order.${filters.order}`)} onClick={() => set({ order: filters.order === 'asc' ? 'desc' : 'asc' })}>
                {filters.order === 'asc' ? '↑' : '↓'}
              </button>
            </span>
          </div>
          <button type="button" className="link-button small records-filters__clear" onClick={() => set(emptyUnitFilters)}>
            {t('records.filter.clear')}
          </button>
        </div>
        {invalid.length ? (
          <p className="warning-text small" role="status">
            {t('records.filter.invalidArea')}
          </p>
        ) : null}

        <ErrorBanner error={list.error} onRetry={list.refresh} />

        <div className="card records-table-card">
          <p className="muted small" data-testid="unit-summary" aria-live="polite">
            {list.loading ? t('common.loading') : t('records.units.summary', { first, last, total })}
          </p>
          <table className="data-table" data-testid="unit-table" aria-busy={list.loading}>
            <thead>
              <tr>
                <th scope="col">{t('records.col.building')}</th>
                <th scope="col">{t('records.col.number')}</th>
                <th scope="col">{t('records.col.floor')}</th>
                <th scope="col" className="num">
                  {t('records.col.area')}
                </th>
                <th scope="col">{t('records.col.layout')}</th>
                <th scope="col">{t('records.col.status')}</th>
                <th scope="col">{t('records.col.occupants')}</th>
              </tr>
            </thead>
            <tbody>
              {(list.data?.units ?? []).map((u) => (
                <UnitRow key={u.id} unit={u} selected={u.id === unitId} area={u.areaM2 === null ? '—' : formatNumber(locale, u.areaM2)} />
              ))}
            </tbody>
          </table>
          {list.data && list.data.units.length === 0 ? <p className="empty-note">{t('records.units.empty')}</p> : null}
          <Pager page={page} limit={UNITS_PER_PAGE} total={total} onPage={setPage} testId="unit-pager" />
        </div>
      </section>
      {unitId !== null ? <UnitDetailPanel key={unitId} id={unitId} onClose={() => navigate(['records', 'units'])} onChanged={list.refresh} /> : null}
    </div>
  );
}

function UnitRow({ unit, selected, area }: { unit: Unit; selected: boolean; area: string }) {
  const t = useT();
  const open = () => navigate(['records', 'units', unit.id]);
  return (
    <tr className={`data-row${selected ? ' is-selected' : ''}`} data-testid="unit-row" data-unit-id={unit.id} data-status={unit.status} aria-selected={selected} onClick={open}>
      <td>{unit.buildingName}</td>
      <td>
        {/* The row is clickable; the number is the keyboard's way in. */}
        <button type="button" className="link-button" onClick={open}>
          {unit.number}
        </button>
      </td>
      <td>{unit.floor ?? '—'}</td>
      <td className="num">{area}</td>
      <td>{unit.layout ?? '—'}</td>
      <td>
        <span className={`pill pill--${unitStatusTone(unit.status)}`}>{unitStatusLabel(t, unit.status)}</span>
      </td>
      <td className="records-row__occupants">{unit.occupants.length ? unit.occupants.map((o) => `${o.name} (${associationRoleLabel(t, o.role)})`).join(', ') : '—'}</td>
    </tr>
  );
}
