import { useState } from 'react';
import { usePolled } from '../api/use-polled.ts';
import { useUser } from '../auth/auth-context.tsx';
import { formatDateTime, formatNumber } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { useLiveRefresh } from '../manager/use-live-refresh.ts';
import { PageHeader } from '../pages/page-header.tsx';
import { formatHash } from '../router/hash-router.ts';
import { ErrorText } from '../shell/error-text.tsx';
import { sectionsFor } from '../shell/sections.ts';
import { useBuildingNames } from '../workorders/use-building-names.ts';
import { PlanForm } from './plan-form.tsx';
import { listPmPlans, pmStatuses, pmWriterRoles, type PmPlan, type PmStatus } from './pm-api.ts';
import { dueText, sortPlans, statusCounts } from './pm-schedule.ts';
import { PmStatusPill } from './pm-status-pill.tsx';
import './maintenance.css';

/**
 * Preventive maintenance: every plan (by calendar or by measured usage) with where it
 * stands, overdue ones on top, and the work order each due plan has opened.
 */
export function MaintenancePage() {
  const t = useT();
  const user = useUser();
  const buildings = useBuildingNames();
  const sections = sectionsFor(user.role);
  const [status, setStatus] = useState<PmStatus | ''>('');
  const [planning, setPlanning] = useState(false);
  const plans = usePolled('pm-plans', (signal) => listPmPlans({}, signal), 60_000);
  // A plan falling due opens a work order: its status changes with it.
  useLiveRefresh(['workorder.'], plans.refresh, 5_000);
  const all = plans.data ?? [];
  const counts = statusCounts(all);
  const shown = sortPlans(status ? all.filter((p) => p.status === status) : all);

  return (
    <div className="office-page" data-testid="maintenance-page">
      <PageHeader
        title={t('section.maintenance')}
        subtitle={t('pm.subtitle')}
        actions={
          pmWriterRoles.includes(user.role) && !planning ? (
            <button type="button" className="button button--primary" data-testid="pm-plan-new" onClick={() => setPlanning(true)}>
              {t('pm.form.open')}
            </button>
          ) : null
        }
      />
      {planning ? (
        <PlanForm
          onCreated={() => {
            setPlanning(false);
            plans.refresh();
          }}
          onCancel={() => setPlanning(false)}
        />
      ) : null}
      <div className="pm-counters" role="radiogroup" aria-label={t('pm.filter')}>
        <button type="button" role="radio" className="pm-counter" aria-checked={status === ''} onClick={() => setStatus('')}>
          <span className="pm-counter__value">{all.filter((p) => p.active).length}</span>
          <span className="pm-counter__label">{t('pm.all')}</span>
        </button>
        {pmStatuses.map((s) => (
          <button key={s} type="button" role="radio" className={`pm-counter pm-counter--${s}`} aria-checked={status === s} data-testid={`pm-count-${s}`} data-count={counts[s]} onClick={() => setStatus(s)}>
            <span className="pm-counter__value">{counts[s]}</span>
            <span className="pm-counter__label">{t(`pm.status.${s}`)}</span>
          </button>
        ))}
      </div>
      {plans.error ? <ErrorText error={plans.error} /> : null}
      <div className="card pm-table-card">
        <table className="pm-table" data-testid="pm-table" aria-busy={plans.loading}>
          <thead>
            <tr>
              <th scope="col">{t('pm.col.status')}</th>
              <th scope="col">{t('pm.col.plan')}</th>
              <th scope="col">{t('pm.col.equipment')}</th>
              <th scope="col">{t('pm.col.schedule')}</th>
              <th scope="col">{t('pm.col.when')}</th>
              <th scope="col">{t('pm.col.lastDone')}</th>
              <th scope="col">{t('pm.col.workOrder')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((p) => (
              <PlanRow key={p.id} plan={p} buildingName={buildings.label(p.buildingId)} links={{ ledger: sections.includes('ledger'), workOrders: sections.includes('work-orders') }} />
            ))}
          </tbody>
        </table>
        {plans.loading ? <p className="muted small">{t('common.loading')}</p> : null}
        {plans.data && shown.length === 0 ? <p className="empty-note">{t('pm.empty')}</p> : null}
      </div>
    </div>
  );
}

function PlanRow({ plan: p, buildingName, links }: { plan: PmPlan; buildingName: string | null; links: { ledger: boolean; workOrders: boolean } }) {
  const t = useT();
  const { locale } = useLocale();
  const due = dueText(p);
  return (
    <tr className={`pm-row pm-row--${p.status}${p.active ? '' : ' pm-row--inactive'}`} data-testid="pm-row" data-plan-id={p.id} data-status={p.status}>
      <td>
        <PmStatusPill status={p.status} />
        {p.active ? null : <span className="muted small pm-row__inactive">{t('pm.inactive')}</span>}
      </td>
      <td>
        <strong>{p.title}</strong>
        <span className="muted small pm-row__trade">
          {p.trade} · {t(`pm.priority.${p.priority}`)}
        </span>
      </td>
      <td>
        {links.ledger ? <a href={formatHash(['ledger', p.equipmentId])}>{p.equipmentCode}</a> : p.equipmentCode} {p.equipmentName}
        <span className="muted small pm-row__trade">{buildingName ?? ''}</span>
      </td>
      <td className="small">
        {p.kind === 'calendar' ? t('pm.every.days', { n: p.intervalDays ?? 0 }) : t('pm.every.usage', { n: formatNumber(locale, p.intervalUsage ?? 0), metric: p.metric ?? '' })}
      </td>
      <td className={p.status === 'overdue' ? 'pm-row__late' : undefined}>
        {due.kind === 'overdueDays'
          ? t('pm.due.overdueDays', { n: due.days })
          : due.kind === 'overdueUsage'
            ? t('pm.due.overdueUsage', { n: formatNumber(locale, due.amount), metric: due.metric })
            : due.kind === 'dueOn'
              ? formatDateTime(locale, due.at)
              : due.kind === 'dueAtUsage'
                ? t('pm.due.atUsage', { n: formatNumber(locale, due.amount), metric: due.metric, now: due.now === null ? '—' : formatNumber(locale, due.now) })
                : '—'}
      </td>
      <td className="small">{p.lastDoneAt ? formatDateTime(locale, p.lastDoneAt) : t('pm.never')}</td>
      <td>{p.workOrder ? links.workOrders ? <a href={formatHash(['work-orders', p.workOrder.id])}>{p.workOrder.number}</a> : p.workOrder.number : '—'}</td>
    </tr>
  );
}
