import { useState } from 'react';
import { usePolled } from '../api/use-polled.ts';
import { formatDateTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { useLiveRefresh } from '../manager/use-live-refresh.ts';
import { PageHeader } from '../pages/page-header.tsx';
import { navigate } from '../router/hash-router.ts';
import { ErrorBanner } from '../shell/error-text.tsx';
import { useBuildingNames } from '../workorders/use-building-names.ts';
import { ImprovementPlansPanel } from './improvement-plans-panel.tsx';
import { RequestDetailPanel } from './request-detail.tsx';
import { requestStatusTone, requestViews, statusesFor, type RequestView } from './request-flow.ts';
import { RequestIntake } from './request-intake.tsx';
import { categoryLabel, channelLabel, requestStatusLabel, urgencyLabel } from './request-labels.ts';
import { SatisfactionPanel } from './satisfaction-panel.tsx';
import { listServiceRequests, type ServiceRequest } from './service-api.ts';
import './service.css';

const tabs = ['list', 'new', 'satisfaction'] as const;
type Tab = (typeof tabs)[number];

function parseId(segment: string | undefined): number | null {
  return segment !== undefined && /^\d+$/.test(segment) ? Number(segment) : null;
}

/**
 * The service desk: requests from every channel (a list filtered by state and building,
 * the selected one beside it with its timeline, classification and exceptions), phone
 * intake, and the satisfaction report. `#/requests/42` opens request 42.
 */
export function RequestsPage({ rest }: { rest: string[] }) {
  const t = useT();
  const selected = parseId(rest[0]);
  const tab: Tab = selected !== null ? 'list' : (tabs as readonly string[]).includes(rest[0] ?? '') ? (rest[0] as Tab) : 'list';
  return (
    <div className="office-page" data-testid="requests-page">
      <PageHeader title={t('section.requests')} subtitle={t('service.subtitle')} />
      <div className="segmented office-tabs" role="tablist" aria-label={t('section.requests')}>
        {tabs.map((id) => (
          <button key={id} type="button" role="tab" className="segmented__item" aria-selected={tab === id} data-testid={`requests-tab-${id}`} onClick={() => navigate(id === 'list' ? ['requests'] : ['requests', id])}>
            {t(`service.tab.${id}`)}
          </button>
        ))}
      </div>
      {tab === 'list' ? (
        <RequestsList selected={selected} />
      ) : tab === 'new' ? (
        <RequestIntake onCreated={(id) => navigate(['requests', id])} />
      ) : (
        <>
          <SatisfactionPanel />
          <ImprovementPlansPanel />
        </>
      )}
    </div>
  );
}

function RequestsList({ selected }: { selected: number | null }) {
  const t = useT();
  const [view, setView] = useState<RequestView>('open');
  const [building, setBuilding] = useState('');
  const buildings = useBuildingNames();
  const key = `requests:${view}:${building}`;
  const list = usePolled(key, (signal) => listServiceRequests({ status: statusesFor(view), building: building || undefined, limit: 200 }, signal), 30_000);
  // A request taken elsewhere or moved by its work order shows without waiting for the poll.
  useLiveRefresh(['service.', 'workorder.'], list.refresh, 1_000);

  return (
    <div className={`office-layout sr-layout${selected !== null ? ' office-layout--with-detail' : ''}`}>
      <section className="office-main" aria-label={t('service.tab.list')}>
        <div className="toolbar sr-filters" data-testid="request-filters">
          <div className="segmented" role="radiogroup" aria-label={t('service.filter.view')}>
            {requestViews.map((v) => (
              <button key={v} type="button" role="radio" className="segmented__item" aria-checked={view === v} data-testid={`request-view-${v}`} onClick={() => setView(v)}>
                {t(`service.view.${v}`)}
              </button>
            ))}
          </div>
          <label className="field field--inline">
            <span>{t('service.filter.building')}</span>
            <select data-testid="request-filter-building" value={building} onChange={(e) => setBuilding(e.target.value)}>
              <option value="">{t('service.filter.any')}</option>
              {buildings.ids.map((id) => (
                <option key={id} value={id}>
                  {buildings.label(id)}
                </option>
              ))}
            </select>
          </label>
        </div>
        <ErrorBanner error={list.error} onRetry={list.refresh} />
        <div className="card sr-table-card">
          <table className="data-table" data-testid="request-table" aria-busy={list.loading}>
            <thead>
              <tr>
                <th scope="col">{t('service.col.number')}</th>
                <th scope="col">{t('service.col.received')}</th>
                <th scope="col">{t('service.col.where')}</th>
                <th scope="col">{t('service.col.category')}</th>
                <th scope="col">{t('service.col.urgency')}</th>
                <th scope="col">{t('service.col.status')}</th>
                <th scope="col">{t('service.col.workOrder')}</th>
              </tr>
            </thead>
            <tbody>
              {(list.data ?? []).map((r) => (
                <RequestRow key={r.id} request={r} selected={r.id === selected} buildingName={buildings.label(r.buildingId) ?? r.buildingId} />
              ))}
            </tbody>
          </table>
          {list.loading ? <p className="muted small">{t('common.loading')}</p> : null}
          {list.data && list.data.length === 0 ? <p className="empty-note">{t('service.list.empty')}</p> : null}
        </div>
      </section>
      {selected !== null ? <RequestDetailPanel key={selected} id={selected} onClose={() => navigate(['requests'])} onChanged={list.refresh} /> : null}
    </div>
  );
}

function RequestRow({ request: r, selected, buildingName }: { request: ServiceRequest; selected: boolean; buildingName: string }) {
  const t = useT();
  const { locale } = useLocale();
  const open = () => navigate(['requests', r.id]);
  return (
    <tr className={`data-row${selected ? ' is-selected' : ''}`} data-testid="request-row" data-request-id={r.id} data-status={r.status} aria-selected={selected} onClick={open}>
      <td className="sr-row__number">
        <button type="button" className="link-button" onClick={open}>
          {r.number}
        </button>
        <span className="muted small sr-row__channel">{channelLabel(t, r.channel)}</span>
      </td>
      <td className="small">{formatDateTime(locale, r.createdAt)}</td>
      <td>
        {buildingName}
        {r.unit ? ` · ${r.unit.number}` : ''}
      </td>
      <td>{categoryLabel(t, r.category)}</td>
      <td>
        <span className={`pill pill--${r.urgency}`}>{urgencyLabel(t, r.urgency)}</span>
      </td>
      <td>
        <span className={`pill pill--${requestStatusTone(r.status)}`}>{requestStatusLabel(t, r.status)}</span>
      </td>
      <td>{r.workOrder?.number ?? '—'}</td>
    </tr>
  );
}
