import { useEffect, useMemo, useState } from 'react';
import { type WorkOrderStatus } from '../api/hub-api.ts';
import { useNow } from '../devices/use-now.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { PageHeader } from '../pages/page-header.tsx';
import { navigate } from '../router/hash-router.ts';
import { ErrorBanner } from '../shell/error-text.tsx';
import { compareUrgency } from './board.ts';
import { activeStatuses, finishedStatuses } from './lifecycle.ts';
import { type Belongs } from './live-patch.ts';
import { isBreached } from './sla.ts';
import { useBuildingNames } from './use-building-names.ts';
import { useWorkOrderList } from './use-work-order-list.ts';
import { WorkOrderDetailPanel } from './work-order-detail.tsx';
import { WorkOrderRow } from './work-order-row.tsx';

type View = 'active' | 'done';

const viewStatuses: Record<View, readonly WorkOrderStatus[]> = { active: activeStatuses, done: finishedStatuses };
const belongsTo: Record<View, Belongs> = {
  active: (wo) => activeStatuses.includes(wo.status),
  done: (wo) => finishedStatuses.includes(wo.status),
};

/**
 * A technician's work: their work orders and the unassigned ones of their trades (the
 * hub scopes the list), most urgent first, with SLA countdowns; the selected one
 * (`#/my-work-orders/42`) opens beside the list with its actions, readings and timeline.
 */
export function MyWorkOrdersPage({ workOrderId }: { workOrderId: number | null }) {
  const t = useT();
  const [view, setView] = useState<View>('active');
  const list = useWorkOrderList(`mine:${view}`, { status: viewStatuses[view] }, belongsTo[view]);
  const { label: buildingLabel } = useBuildingNames();
  // Sorting needs no second-by-second clock; the countdowns tick on their own.
  const now = useNow(30_000);
  const sorted = useMemo(() => [...list.workOrders].sort(compareUrgency(now)), [list.workOrders, now]);
  const breached = sorted.filter((wo) => isBreached(wo, now)).length;

  const open = (id: number) => navigate(['my-work-orders', id]);
  const close = () => navigate(['my-work-orders']);

  useEffect(() => {
    if (workOrderId === null) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') navigate(['my-work-orders']);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [workOrderId]);

  return (
    <>
      <PageHeader
        title={t('section.myWorkOrders')}
        subtitle={
          list.loading ? (
            t('sectionAbout.myWorkOrders')
          ) : (
            <span data-testid="wo-summary">
              {view === 'active' ? t('wo.mine.summary', { n: sorted.length }) : t('wo.mine.summaryDone', { n: sorted.length })}
              {breached > 0 && view === 'active' ? <span className="wo-summary__breached"> · {t('wo.mine.breached', { n: breached })}</span> : null}
            </span>
          )
        }
      />
      <div className={`wo-page${workOrderId !== null ? ' wo-page--with-detail' : ''}`}>
        <section className="wo-page__list" aria-label={t('section.myWorkOrders')}>
          <div className="segmented" role="tablist" aria-label={t('wo.mine.viewLabel')}>
            {(['active', 'done'] as const).map((v) => (
              <button key={v} type="button" role="tab" aria-selected={view === v} className="segmented__item" data-testid={`wo-view-${v}`} onClick={() => setView(v)}>
                {t(`wo.mine.view.${v}`)}
              </button>
            ))}
          </div>
          <ErrorBanner error={list.error} onRetry={list.reload} />
          {list.loading && sorted.length === 0 ? <p className="muted">{t('common.loading')}</p> : null}
          {!list.loading && !list.error && sorted.length === 0 ? (
            <p className="card empty-note" data-testid="wo-empty">
              {view === 'active' ? t('wo.mine.empty') : t('wo.mine.emptyDone')}
            </p>
          ) : null}
          <ul className="wo-list" data-testid="wo-list" aria-busy={list.loading}>
            {sorted.map((wo) => (
              <WorkOrderRow key={wo.id} wo={wo} selected={wo.id === workOrderId} building={buildingLabel(wo.buildingId)} onOpen={() => open(wo.id)} />
            ))}
          </ul>
          {list.truncated ? <p className="muted small">{t('wo.truncated')}</p> : null}
        </section>
        {workOrderId !== null ? <WorkOrderDetailPanel key={workOrderId} id={workOrderId} mode="worker" onClose={close} onChanged={list.put} /> : null}
      </div>
    </>
  );
}
