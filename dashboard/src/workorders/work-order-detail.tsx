import { useEffect, useRef, useState } from 'react';
import { type WorkOrder, type WorkOrderOutcome } from '../api/hub-api.ts';
import { formatDateTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { formatHash } from '../router/hash-router.ts';
import { ErrorText } from '../shell/error-text.tsx';
import { kindLabel, priorityLabel, statusLabel, tradeLabel, warningText } from './labels.ts';
import { SlaBadge, SlaDeadline } from './sla-badge.tsx';
import { useBuildingNames } from './use-building-names.ts';
import { useWorkOrderDetail } from './use-work-order-detail.ts';
import { CommentForm, WorkOrderActions, type ActionMode } from './work-order-actions.tsx';
import { WorkOrderTimeline } from './work-order-timeline.tsx';
import { WorkOrderTrend } from './work-order-trend.tsx';

/**
 * One work order: what and where, its SLA clocks, the steps the viewer may take, the
 * equipment's readings around the fault, and the timeline. Mounted with `key={id}`.
 */
export function WorkOrderDetailPanel({ id, mode, onClose, onChanged }: { id: number; mode: ActionMode; onClose: () => void; onChanged: (wo: WorkOrder) => void }) {
  const t = useT();
  const { locale } = useLocale();
  const { detail, error, loading, reload } = useWorkOrderDetail(id);
  const { label: buildingLabel } = useBuildingNames();
  const [warnings, setWarnings] = useState<string[]>([]);
  const headingRef = useRef<HTMLHeadingElement>(null);

  // Focus the work order once it shows, so keyboard and screen-reader users land on what they opened.
  const shown = detail !== null;
  useEffect(() => {
    if (shown) headingRef.current?.focus();
  }, [shown]);

  const done = (outcome: WorkOrderOutcome) => {
    setWarnings(outcome.warnings);
    onChanged(outcome.workOrder);
    reload();
  };
  // A comment changes nothing, so a standing warning (e.g. from resolving) stays up.
  const commented = (outcome: WorkOrderOutcome) => {
    onChanged(outcome.workOrder);
    reload();
  };

  if (!detail) {
    return (
      <aside className="wo-detail card" data-testid="wo-detail" data-wo-id={id} aria-busy={loading}>
        <div className="card__head">
          <p className="eyebrow">{t('wo.detail.eyebrow')}</p>
          <button type="button" className="button button--small" data-testid="wo-detail-close" onClick={onClose}>
            {t('common.close')}
          </button>
        </div>
        {loading ? <p className="muted">{t('common.loading')}</p> : null}
        {error ? error.status === 404 ? <p className="empty-note">{t('wo.detail.notFound')}</p> : <ErrorText error={error} /> : null}
      </aside>
    );
  }

  const { workOrder: wo, events, alarm } = detail;
  const episode = alarm?.episodes.find((e) => e.id === wo.alarmEpisodeId) ?? alarm?.episodes.at(-1);
  const place = [buildingLabel(wo.buildingId), wo.location].filter(Boolean).join(' · ');

  return (
    <aside className="wo-detail card" data-testid="wo-detail" data-wo-id={wo.id} data-status={wo.status} aria-labelledby="wo-detail-title">
      <div className="card__head">
        <div>
          <p className="eyebrow">
            {wo.number} · {kindLabel(t, wo.kind)}
          </p>
          <h2 className="card__title" id="wo-detail-title" ref={headingRef} tabIndex={-1}>
            {wo.title}
          </h2>
        </div>
        <button type="button" className="button button--small" data-testid="wo-detail-close" onClick={onClose}>
          {t('common.close')}
        </button>
      </div>

      <div className="wo-detail__status">
        <span className={`pill pill--${wo.priority}`} data-testid="wo-priority">
          {priorityLabel(t, wo.priority)}
        </span>
        <span className={`wo-status wo-status--${wo.status}`} data-testid="wo-status">
          {statusLabel(t, wo.status)}
        </span>
        <SlaBadge workOrder={wo} />
        {wo.escalationLevel > 0 ? <span className="pill pill--critical">{t('wo.escalated', { level: wo.escalationLevel })}</span> : null}
        {wo.reopenCount > 0 ? <span className="pill pill--medium">{t('wo.reopened', { n: wo.reopenCount })}</span> : null}
      </div>

      {warnings.length ? (
        <div className="banner banner--warning" role="alert" data-testid="wo-warning">
          <div>
            {warnings.map((w) => (
              <p key={w}>{warningText(t, w)}</p>
            ))}
          </div>
          <button type="button" className="button button--small" onClick={() => setWarnings([])}>
            {t('wo.warning.dismiss')}
          </button>
        </div>
      ) : null}

      <WorkOrderActions workOrder={wo} mode={mode} onDone={done} onStale={reload} />

      <dl className="facts wo-facts">
        <dt>{t('wo.field.equipment')}</dt>
        <dd>
          {wo.deviceId !== null ? (
            <a href={formatHash(['equipment', wo.deviceId])} data-testid="wo-device-link">
              {wo.deviceName ?? `#${wo.deviceId}`}
            </a>
          ) : (
            <span className="muted">{t('wo.field.none')}</span>
          )}
        </dd>
        <dt>{t('wo.field.location')}</dt>
        <dd>{place || <span className="muted">{t('wo.field.none')}</span>}</dd>
        <dt>{t('wo.field.trade')}</dt>
        <dd>{tradeLabel(t, wo.trade)}</dd>
        <dt>{t('wo.field.assignee')}</dt>
        <dd data-testid="wo-assignee">{wo.assignee ? wo.assignee.name : <span className="muted">{t('wo.unassigned')}</span>}</dd>
        <dt>{t('wo.field.created')}</dt>
        <dd>
          {formatDateTime(locale, wo.createdAt)} · {wo.createdBy === 'system' ? t(`wo.source.${wo.source}`) : wo.createdBy}
        </dd>
        <dt>{t('wo.field.acceptBy')}</dt>
        <dd>
          <SlaDeadline workOrder={wo} phase="accept" />
        </dd>
        <dt>{t('wo.field.resolveBy')}</dt>
        <dd>
          <SlaDeadline workOrder={wo} phase="resolve" />
        </dd>
        {alarm ? (
          <>
            <dt>{t('wo.field.alarm')}</dt>
            <dd data-testid="wo-alarm">
              {alarm.ruleName}{' '}
              <span className={`badge badge--${alarm.active ? 'critical' : 'ok'}`}>{alarm.active ? t('wo.alarm.active') : t('wo.alarm.cleared')}</span>
              {alarm.suppressed ? <span className="badge badge--offline">{t('wo.alarm.suppressed')}</span> : null}
              {episode ? <span className="muted small wo-facts__sub">{episode.message}</span> : null}
            </dd>
          </>
        ) : null}
        {wo.description && wo.description !== wo.title && wo.source !== 'alarm' ? (
          <>
            <dt>{t('wo.field.description')}</dt>
            <dd className="wo-facts__text">{wo.description}</dd>
          </>
        ) : null}
        {wo.resolution ? (
          <>
            <dt>{t('wo.field.resolution')}</dt>
            <dd className="wo-facts__text">
              {wo.resolution}
              {wo.verification ? (
                <span className={`badge badge--${wo.verification === 'abnormal' ? 'critical' : wo.verification === 'normal' ? 'ok' : 'offline'}`} data-testid="wo-verification">
                  {t(`wo.verification.${wo.verification}`)}
                </span>
              ) : null}
            </dd>
          </>
        ) : null}
      </dl>

      <WorkOrderTrend workOrder={wo} alarm={alarm} />

      <section className="wo-section" aria-labelledby="wo-timeline-title">
        <div className="section-head">
          <h3 id="wo-timeline-title">{t('wo.timeline.title')}</h3>
          <span className="muted small">{t('wo.timeline.count', { n: events.length })}</span>
        </div>
        <WorkOrderTimeline events={events} />
        <CommentForm workOrder={wo} onDone={commented} />
      </section>
    </aside>
  );
}
