import { workOrderStatuses, type WorkOrderStatus } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { useUser } from '../auth/auth-context.tsx';
import { formatDateTime, formatNumber } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { listPmPlans } from '../maintenance/pm-api.ts';
import { PmStatusPill } from '../maintenance/pm-status-pill.tsx';
import { formatHash } from '../router/hash-router.ts';
import { DetailPanelHead, DetailPanelPending, useTitleFocus } from '../shell/detail-panel.tsx';
import { sectionsFor } from '../shell/sections.ts';
import { statusLabel } from '../workorders/labels.ts';
import { useBuildingNames } from '../workorders/use-building-names.ts';
import { fetchEquipmentHistory, type EquipmentWorkOrder } from './assets-api.ts';
import { localDate, warrantyState } from './stock-view.ts';

const isWorkOrderStatus = (status: string): status is WorkOrderStatus => (workOrderStatuses as readonly string[]).includes(status);

/** A technical parameter as written: numbers in the reader's locale, anything else as JSON. */
function parameterText(value: unknown, locale: ReturnType<typeof useLocale>['locale']): string {
  if (typeof value === 'number') return formatNumber(locale, value);
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/**
 * One piece of equipment: its facts and technical parameters, the monitored device it
 * is (its live readings one click away), its maintenance plans, and every work order on
 * it with the parts used and the readings when it was opened. Mounted with `key={id}`.
 */
export function EquipmentDetailPanel({ id, onClose }: { id: number; onClose: () => void }) {
  const t = useT();
  const { locale } = useLocale();
  const user = useUser();
  const buildings = useBuildingNames();
  const history = usePolled(`equipment-history:${id}`, (signal) => fetchEquipmentHistory(id, signal), 30_000);
  const plans = usePolled(`equipment-plans:${id}`, (signal) => listPmPlans({ equipmentId: id }, signal), 60_000);
  const headingRef = useTitleFocus(history.data !== undefined);

  if (!history.data) {
    return (
      <DetailPanelPending
        className="assets-detail"
        testId="equipment-detail"
        eyebrow={t('assets.equipment.eyebrow')}
        notFound={t('assets.equipment.notFound')}
        loading={history.loading}
        error={history.error}
        onClose={onClose}
      />
    );
  }

  const { equipment: e, workOrders } = history.data;
  const sections = sectionsFor(user.role);
  const warranty = warrantyState(e.warrantyUntil, localDate(new Date()));
  const parameters = Object.entries(e.parameters);
  return (
    <aside className="office-detail assets-detail card" data-testid="equipment-detail" data-equipment-id={e.id} aria-labelledby="assets-equipment-title">
      <DetailPanelHead
        eyebrow={
          <>
            {e.code} · {e.type}
          </>
        }
        title={e.name}
        titleId="assets-equipment-title"
        headingRef={headingRef}
        closeTestId="equipment-detail-close"
        onClose={onClose}
      />
      <dl className="facts assets-facts">
        <dt>{t('assets.equipment.model')}</dt>
        <dd>{[e.manufacturer, e.model].filter(Boolean).join(' ') || '—'}</dd>
        <dt>{t('assets.equipment.serial')}</dt>
        <dd>{e.serial ?? '—'}</dd>
        <dt>{t('assets.col.where')}</dt>
        <dd>{[buildings.label(e.buildingId), e.floor, e.location].filter(Boolean).join(' · ') || '—'}</dd>
        <dt>{t('assets.equipment.installed')}</dt>
        <dd>{e.installDate ?? '—'}</dd>
        <dt>{t('assets.col.warranty')}</dt>
        <dd>
          {e.warrantyUntil ?? '—'} {warranty !== 'unknown' ? <span className={`pill pill--${warranty === 'ok' ? 'ok' : warranty === 'soon' ? 'medium' : 'unknown'}`}>{t(`assets.warranty.${warranty}`)}</span> : null}
        </dd>
        <dt>{t('assets.equipment.device')}</dt>
        <dd>{e.deviceId === null ? t('assets.equipment.noDevice') : sections.includes('equipment') ? <a href={formatHash(['equipment', e.deviceId])}>{t('assets.equipment.liveReadings')}</a> : `#${e.deviceId}`}</dd>
      </dl>

      {parameters.length ? (
        <section className="office-section">
          <h3 className="office-section__title">{t('assets.equipment.parameters')}</h3>
          <dl className="facts assets-parameters" data-testid="equipment-parameters">
            {parameters.map(([name, value]) => (
              <div key={name} className="assets-parameters__item">
                <dt>{name}</dt>
                <dd>{parameterText(value, locale)}</dd>
              </div>
            ))}
          </dl>
        </section>
      ) : null}

      <section className="office-section">
        <h3 className="office-section__title">{t('assets.equipment.plans')}</h3>
        {plans.data && plans.data.length === 0 ? <p className="muted small">{t('assets.equipment.noPlans')}</p> : null}
        <ul className="assets-plans">
          {(plans.data ?? []).map((p) => (
            <li key={p.id}>
              <PmStatusPill status={p.status} /> {p.title}
              {p.nextDueAt ? <span className="muted small"> · {t('assets.equipment.nextDue', { when: formatDateTime(locale, p.nextDueAt) })}</span> : null}
            </li>
          ))}
        </ul>
      </section>

      <section className="office-section">
        <h3 className="office-section__title">{t('assets.equipment.history')}</h3>
        {workOrders.length === 0 ? <p className="empty-note small">{t('assets.equipment.noHistory')}</p> : null}
        <ol className="assets-history" data-testid="equipment-history">
          {workOrders.map((wo) => (
            <HistoryItem key={wo.id} workOrder={wo} linkable={sections.includes('work-orders')} />
          ))}
        </ol>
      </section>
    </aside>
  );
}

function HistoryItem({ workOrder: wo, linkable }: { workOrder: EquipmentWorkOrder; linkable: boolean }) {
  const t = useT();
  const { locale } = useLocale();
  return (
    <li className="assets-history__item" data-testid="equipment-history-item" data-wo-id={wo.id} data-status={wo.status}>
      <div className="assets-history__head">
        <strong>{linkable ? <a href={formatHash(['work-orders', wo.id])}>{wo.number}</a> : wo.number}</strong>
        <span>{wo.title}</span>
        <span className={`wo-status wo-status--${wo.status}`}>{isWorkOrderStatus(wo.status) ? statusLabel(t, wo.status) : wo.status}</span>
      </div>
      <p className="muted small">
        {t('assets.equipment.opened', { when: formatDateTime(locale, wo.createdAt) })}
        {wo.resolvedAt ? ` · ${t('assets.equipment.resolved', { when: formatDateTime(locale, wo.resolvedAt) })}` : ''}
      </p>
      {wo.resolution ? <p className="assets-history__resolution">{wo.resolution}</p> : null}
      {wo.parts.length ? (
        <p className="small" data-testid="equipment-history-parts">
          {t('assets.equipment.partsUsed')}: {wo.parts.map((p) => `${p.partName} (${p.partCode}) × ${formatNumber(locale, p.qty)} ${p.unit}`).join(', ')}
        </p>
      ) : null}
      {wo.readings.length ? (
        <p className="small muted">
          {t('assets.equipment.readingsThen')}: {wo.readings.map((r) => `${r.metric} ${r.value === null ? (r.valueText ?? '—') : formatNumber(locale, r.value)}${r.unit ? ` ${r.unit}` : ''}`).join(' · ')}
        </p>
      ) : null}
    </li>
  );
}
