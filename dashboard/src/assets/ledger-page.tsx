import { useState } from 'react';
import { usePolled } from '../api/use-polled.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { PageHeader } from '../pages/page-header.tsx';
import { Pager } from '../records/pager.tsx';
import { useDebounced } from '../records/use-debounced.ts';
import { navigate } from '../router/hash-router.ts';
import { ErrorText } from '../shell/error-text.tsx';
import { useBuildingNames } from '../workorders/use-building-names.ts';
import { searchEquipment, type Equipment } from './assets-api.ts';
import { EquipmentDetailPanel } from './equipment-detail.tsx';
import { localDate, warrantyState } from './stock-view.ts';
import './assets.css';

const PER_PAGE = 25;

function parseId(segment: string | undefined): number | null {
  return segment !== undefined && /^\d+$/.test(segment) ? Number(segment) : null;
}

/**
 * The equipment ledger: every recorded piece of equipment (found by building, type or
 * text, or by a warranty about to end), and the selected one beside the list with its
 * full maintenance history. `#/ledger/7` opens equipment 7.
 */
export function LedgerPage({ rest }: { rest: string[] }) {
  const t = useT();
  const selected = parseId(rest[0]);
  const buildings = useBuildingNames();
  const [building, setBuilding] = useState('');
  const [text, setText] = useState('');
  const [warrantySoon, setWarrantySoon] = useState(false);
  const [page, setPage] = useState(1);
  const q = useDebounced(text.trim(), 300);
  const query = { building: building || undefined, q: q || undefined, warrantyWithinDays: warrantySoon ? 90 : undefined, page, limit: PER_PAGE };
  const list = usePolled(`equipment:${JSON.stringify(query)}`, (signal) => searchEquipment(query, signal), 60_000);
  const filter = (change: () => void) => {
    change();
    setPage(1);
  };

  return (
    <div className="office-page" data-testid="ledger-page">
      <PageHeader title={t('section.ledger')} subtitle={t('assets.ledger.subtitle')} />
      <div className={`office-layout assets-layout${selected !== null ? ' office-layout--with-detail' : ''}`}>
        <section className="office-main" aria-label={t('section.ledger')}>
          <div className="toolbar assets-filters" role="search">
            <label className="field">
              <span>{t('assets.filter.search')}</span>
              <input type="search" data-testid="equipment-search" value={text} placeholder={t('assets.filter.searchHint')} onChange={(e) => filter(() => setText(e.target.value))} />
            </label>
            <label className="field">
              <span>{t('assets.filter.building')}</span>
              <select data-testid="equipment-filter-building" value={building} onChange={(e) => filter(() => setBuilding(e.target.value))}>
                <option value="">{t('assets.filter.any')}</option>
                {buildings.ids.map((id) => (
                  <option key={id} value={id}>
                    {buildings.label(id)}
                  </option>
                ))}
              </select>
            </label>
            <label className="checkbox">
              <input type="checkbox" checked={warrantySoon} onChange={(e) => filter(() => setWarrantySoon(e.target.checked))} />
              {t('assets.filter.warrantySoon')}
            </label>
          </div>
          {list.error ? <ErrorText error={list.error} /> : null}
          <div className="card assets-table-card">
            <table className="data-table" data-testid="equipment-table" aria-busy={list.loading}>
              <thead>
                <tr>
                  <th scope="col">{t('assets.col.code')}</th>
                  <th scope="col">{t('assets.col.name')}</th>
                  <th scope="col">{t('assets.col.type')}</th>
                  <th scope="col">{t('assets.col.where')}</th>
                  <th scope="col">{t('assets.col.warranty')}</th>
                </tr>
              </thead>
              <tbody>
                {(list.data?.equipment ?? []).map((e) => (
                  <EquipmentRow key={e.id} equipment={e} selected={e.id === selected} buildingName={buildings.label(e.buildingId)} />
                ))}
              </tbody>
            </table>
            {list.loading ? <p className="muted small">{t('common.loading')}</p> : null}
            {list.data && list.data.equipment.length === 0 ? <p className="empty-note">{t('assets.ledger.empty')}</p> : null}
            <Pager page={page} limit={PER_PAGE} total={list.data?.total ?? 0} onPage={setPage} testId="equipment-pager" />
          </div>
        </section>
        {selected !== null ? <EquipmentDetailPanel key={selected} id={selected} onClose={() => navigate(['ledger'])} /> : null}
      </div>
    </div>
  );
}

function EquipmentRow({ equipment: e, selected, buildingName }: { equipment: Equipment; selected: boolean; buildingName: string | null }) {
  const t = useT();
  const open = () => navigate(['ledger', e.id]);
  const warranty = warrantyState(e.warrantyUntil, localDate(new Date()));
  return (
    <tr className={`data-row${selected ? ' is-selected' : ''}`} data-testid="equipment-row" data-equipment-id={e.id} aria-selected={selected} onClick={open}>
      <td className="assets-row__code">
        <button type="button" className="link-button" onClick={open}>
          {e.code}
        </button>
      </td>
      <td>{e.name}</td>
      <td>{e.type}</td>
      <td>{[buildingName, e.floor, e.location].filter(Boolean).join(' · ') || '—'}</td>
      <td>
        {e.warrantyUntil ?? '—'}
        {warranty === 'expired' || warranty === 'soon' ? <span className={`pill pill--${warranty === 'expired' ? 'unknown' : 'medium'} assets-row__pill`}>{t(`assets.warranty.${warranty}`)}</span> : null}
      </td>
    </tr>
  );
}
