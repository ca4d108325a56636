import { useEffect, useId, useMemo, useState } from 'react';
import { type WorkOrder, type WorkOrderKind, type WorkOrderStatus, workOrderKinds } from '../api/hub-api.ts';
import { useNow } from '../devices/use-now.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { PageHeader } from '../pages/page-header.tsx';
import { navigate } from '../router/hash-router.ts';
import { ErrorBanner } from '../shell/error-text.tsx';
import { boardColumns, distinctValues, finishedColumns, groupForBoard, matchesBoardFilter, type BoardFilter } from './board.ts';
import { CreateWorkOrderForm, knownTrades } from './create-work-order-form.tsx';
import { kindLabel, priorityLabel, statusLabel, tradeLabel, warningText } from './labels.ts';
import { isBreached } from './sla.ts';
import { SlaBadge } from './sla-badge.tsx';
import { useBuildingNames } from './use-building-names.ts';
import { useWorkOrderList } from './use-work-order-list.ts';
import { WorkOrderDetailPanel } from './work-order-detail.tsx';

/**
 * The supervisors' board: every work order by status, left to right as work flows,
 * each column most urgent first; filters by building, trade and kind; a card opens the
 * work order beside the board (`#/work-orders/42`) to dispatch, reassign, close, cancel
 * or reopen it. Kept current by the live stream.
 */
export function WorkOrderBoardPage({ workOrderId }: { workOrderId: number | null }) {
  const t = useT();
  const ids = { building: useId(), trade: useId(), kind: useId(), finished: useId() };
  const [filter, setFilter] = useState<BoardFilter>({ building: null, trade: null, kind: null });
  const [showFinished, setShowFinished] = useState(false);
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const buildings = useBuildingNames();
  const now = useNow(30_000);

  const columns: readonly WorkOrderStatus[] = useMemo(() => (showFinished ? [...boardColumns, ...finishedColumns] : boardColumns), [showFinished]);
  const belongs = useMemo(() => (wo: Pick<WorkOrder, 'status' | 'kind' | 'trade' | 'buildingId'>) => columns.includes(wo.status) && matchesBoardFilter(wo, filter), [columns, filter]);
  const list = useWorkOrderList(
    `board:${filter.building ?? ''}:${filter.trade ?? ''}:${filter.kind ?? ''}:${showFinished}`,
    { status: columns, building: filter.building ?? undefined, trade: filter.trade ?? undefined, kind: filter.kind ?? undefined },
    belongs,
  );
  const groups = useMemo(() => groupForBoard(list.workOrders, columns, now), [list.workOrders, columns, now]);
  const trades = useMemo(() => distinctValues([...knownTrades, 'security', ...list.workOrders.map((wo) => wo.trade), filter.trade]), [list.workOrders, filter.trade]);
  const running = list.workOrders.filter((wo) => !['resolved', 'closed', 'cancelled'].includes(wo.status));
  const unassigned = list.workOrders.filter((wo) => wo.status === 'open').length;
  const breached = running.filter((wo) => isBreached(wo, now)).length;

  useEffect(() => {
    if (workOrderId === null) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') navigate(['work-orders']);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [workOrderId]);

  const set = (change: Partial<BoardFilter>) => setFilter((f) => ({ ...f, ...change }));

  return (
    <>
      <PageHeader
        title={t('section.workOrders')}
        subtitle={
          list.loading ? (
            t('sectionAbout.workOrders')
          ) : (
            <span data-testid="wo-board-summary">
              {t('wo.board.summary', { open: running.length, unassigned })}
              {breached > 0 ? <span className="wo-summary__breached"> · {t('wo.mine.breached', { n: breached })}</span> : null}
            </span>
          )
        }
        actions={
          <button type="button" className="button button--primary" data-testid="wo-create" aria-expanded={creating} onClick={() => setCreating((c) => !c)}>
            + {t('wo.create.open')}
          </button>
        }
      />

      {creating ? (
        <CreateWorkOrderForm
          buildings={buildings.ids.map((id) => ({ id, name: buildings.names.get(id) ?? id }))}
          onCancel={() => setCreating(false)}
          onCreated={(wo, warnings) => {
            setCreating(false);
            list.put(wo);
            setNotice(warnings.length ? warnings.map((w) => warningText(t, w)).join(' ') : t('wo.create.done', { number: wo.number }));
            navigate(['work-orders', wo.id]);
          }}
        />
      ) : null}
      {notice ? (
        <div className="notice wo-notice" role="status" data-testid="wo-notice">
          {notice}
          <button type="button" className="link-button small" onClick={() => setNotice(null)}>
            {t('wo.warning.dismiss')}
          </button>
        </div>
      ) : null}

      <div className="toolbar" role="search" data-testid="wo-board-filters">
        <div className="field field--inline">
          <label htmlFor={ids.building}>{t('wo.field.building')}</label>
          <select id={ids.building} data-testid="wo-filter-building" value={filter.building ?? ''} onChange={(e) => set({ building: e.target.value || null })}>
            <option value="">{t('wo.filter.all')}</option>
            {buildings.ids.map((id) => (
              <option key={id} value={id}>
                {buildings.names.get(id) ?? id}
              </option>
            ))}
          </select>
        </div>
        <div className="field field--inline">
          <label htmlFor={ids.trade}>{t('wo.field.trade')}</label>
          <select id={ids.trade} data-testid="wo-filter-trade" value={filter.trade ?? ''} onChange={(e) => set({ trade: e.target.value || null })}>
            <option value="">{t('wo.filter.all')}</option>
            {trades.map((trade) => (
              <option key={trade} value={trade}>
                {tradeLabel(t, trade)}
              </option>
            ))}
          </select>
        </div>
        <div className="field field--inline">
          <label htmlFor={ids.kind}>{t('wo.field.kind')}</label>
          <select id={ids.kind} data-testid="wo-filter-kind" value={filter.kind ?? ''} onChange={(e) => set({ kind: (e.target.value || null) as WorkOrderKind | null })}>
            <option value="">{t('wo.filter.all')}</option>
            {workOrderKinds.map((k) => (
              <option key={k} value={k}>
                {kindLabel(t, k)}
              </option>
            ))}
          </select>
        </div>
        <label className="checkbox" htmlFor={ids.finished}>
          <input id={ids.finished} type="checkbox" data-testid="wo-filter-finished" checked={showFinished} onChange={(e) => setShowFinished(e.target.checked)} />
          {t('wo.filter.finished')}
        </label>
      </div>

      <ErrorBanner error={list.error} onRetry={list.reload} />
      {list.truncated ? <p className="muted small">{t('wo.truncated')}</p> : null}

      <div className={`wo-board-layout${workOrderId !== null ? ' wo-board-layout--with-detail' : ''}`}>
        <div className="wo-board" data-testid="wo-board" aria-busy={list.loading} style={{ gridTemplateColumns: `repeat(${columns.length}, minmax(176px, 1fr))` }}>
          {groups.map(({ status, items }) => (
            <section key={status} className={`wo-column wo-column--${status}`} data-testid="wo-board-column" data-status={status} aria-labelledby={`wo-col-${status}`}>
              <h2 className="wo-column__head" id={`wo-col-${status}`}>
                <span>{statusLabel(t, status)}</span>
                <span className="wo-column__count" data-testid="wo-board-count">
                  {items.length}
                </span>
              </h2>
              <ul className="wo-column__items">
                {items.map((wo) => (
                  <WorkOrderCard key={wo.id} wo={wo} selected={wo.id === workOrderId} building={buildings.label(wo.buildingId)} />
                ))}
              </ul>
              {items.length === 0 && !list.loading ? <p className="wo-column__empty muted small">{t('wo.board.emptyColumn')}</p> : null}
            </section>
          ))}
        </div>
        {workOrderId !== null ? (
          <WorkOrderDetailPanel key={workOrderId} id={workOrderId} mode="supervisor" onClose={() => navigate(['work-orders'])} onChanged={list.put} />
        ) : null}
      </div>
    </>
  );
}

function WorkOrderCard({ wo, selected, building }: { wo: WorkOrder; selected: boolean; building: string | null }) {
  const t = useT();
  return (
    <li>
      <button
        type="button"
        className={`wo-card wo-card--${wo.priority}${selected ? ' is-selected' : ''}`}
        data-testid="wo-row"
        data-wo-id={wo.id}
        data-status={wo.status}
        data-number={wo.number}
        aria-current={selected ? 'true' : undefined}
        onClick={() => navigate(['work-orders', wo.id])}
      >
        <span className="wo-card__top">
          <code>{wo.number}</code>
          <span className={`pill pill--${wo.priority}`}>{priorityLabel(t, wo.priority)}</span>
          {wo.kind === 'security' ? <span className="pill pill--unknown">{kindLabel(t, wo.kind)}</span> : null}
        </span>
        <span className="wo-card__title">{wo.title}</span>
        <span className="wo-card__meta muted small">{[tradeLabel(t, wo.trade), building].filter(Boolean).join(' · ')}</span>
        <span className="wo-card__foot">
          <span className={`wo-card__assignee small${wo.assignee ? '' : ' is-unassigned'}`}>{wo.assignee ? wo.assignee.name || t('wo.assigneePending') : t('wo.unassigned')}</span>
          <SlaBadge workOrder={wo} compact />
        </span>
      </button>
    </li>
  );
}
