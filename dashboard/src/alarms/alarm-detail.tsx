import { useCallback, useEffect, useState } from 'react';
import { ApiError, CLIENT_ERR_NETWORK, isAbortError } from '../api/client.ts';
import { fetchAlarm, fetchWorkOrderBrief, unshelveAlarm, type AlarmDetail, type AlarmTransition, type AlarmView, type WorkOrderBrief } from '../api/hub-api.ts';
import { useUser } from '../auth/auth-context.tsx';
import { deviceTypeLabel } from '../devices/device-labels.ts';
import { formatDateTime, formatRelative, formatTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { DoorPanel } from '../console/door-controls.tsx';
import { doorsFor, useDoors } from '../console/use-doors.ts';
import { AlarmEvidence } from './alarm-evidence.tsx';
import { AckForm, CommentForm, DispatchForm, ShelveForm } from './alarm-actions.tsx';
import { categoryLabel, dispositionText, formatAge, priorityLabel, stateLabel, transitionText, workOrderStatusText } from './alarm-labels.ts';
import { isShelved } from './alarm-store.ts';

type OpenForm = 'ack' | 'shelve' | 'dispatch' | null;

interface AlarmDetailPanelProps {
  alarmId: number;
  /** The alarm as the live store has it; undefined once it left the console (back to normal). */
  live: AlarmView | undefined;
  /** Newest live event id applied to this alarm: a change refreshes the timeline. */
  liveId: number | undefined;
  now: number;
  buildingNames: ReadonlyMap<string, string>;
  /** The answer to an action, applied to the store; `liveIdBefore` guards against a newer live event. */
  onApplied: (view: AlarmView, liveIdBefore: number | undefined) => void;
  onClose: () => void;
}

function asApiError(cause: unknown): ApiError {
  return cause instanceof ApiError ? cause : new ApiError(0, CLIENT_ERR_NETWORK, String(cause));
}

/**
 * One alarm: what, where, since when, its timeline and its work order, with the
 * operator actions. The row data comes from the live store; the timeline is fetched
 * and fetched again whenever a live event for this alarm arrives.
 */
export function AlarmDetailPanel({ alarmId, live, liveId, now, buildingNames, onApplied, onClose }: AlarmDetailPanelProps) {
  const t = useT();
  const { locale } = useLocale();
  const [detail, setDetail] = useState<{ id: number; data: AlarmDetail } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [refresh, setRefresh] = useState(0);
  const [open, setOpen] = useState<OpenForm>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [workOrder, setWorkOrder] = useState<{ id: number; brief: WorkOrderBrief | null; error: ApiError | null } | null>(null);
  const [unshelving, setUnshelving] = useState(false);

  useEffect(() => {
    setOpen(null);
    setNotice(null);
  }, [alarmId]);

  // Opened: load now. Changed by live events: wait a moment, so a burst of events
  // for this alarm (activate, work order, re-alarm) costs one request, not one each.
  const hasDetail = detail?.id === alarmId;
  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(
      () =>
        fetchAlarm(alarmId, controller.signal).then(
          (data) => {
            setDetail({ id: alarmId, data });
            setError(null);
          },
          (cause: unknown) => {
            if (!isAbortError(cause)) setError(asApiError(cause));
          },
        ),
      hasDetail ? 300 : 0,
    );
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
    // hasDetail only picks the delay; it is deliberately not a dependency (it must not trigger a fetch).
  }, [alarmId, liveId, refresh]);

  const loaded = detail?.id === alarmId ? detail.data : null;
  const alarm = live ?? loaded?.alarm ?? null;
  const user = useUser();
  // Guards see security work orders only (and their own): asking for a maintenance one would be a 404.
  const workOrderVisible = !(user.role === 'guard' && alarm?.category === 'maintenance');
  const workOrderId = workOrderVisible ? (alarm?.workOrderId ?? null) : null;
  const workOrderStatus = alarm?.workOrderStatus ?? null;
  // Doors are security's: other roles would be refused them.
  const doors = useDoors(user.role === 'guard' || user.role === 'manager' || user.role === 'admin');
  // New evidence (or a failure note) for this alarm: the timeline has news too.
  const evidenceArrived = useCallback(() => setRefresh((n) => n + 1), []);

  useEffect(() => {
    if (workOrderId === null) return;
    const controller = new AbortController();
    fetchWorkOrderBrief(workOrderId, controller.signal).then(
      (brief) => setWorkOrder({ id: workOrderId, brief, error: null }),
      (cause: unknown) => {
        if (!isAbortError(cause)) setWorkOrder({ id: workOrderId, brief: null, error: asApiError(cause) });
      },
    );
    return () => controller.abort();
  }, [workOrderId, workOrderStatus, refresh]);

  if (!alarm) {
    return (
      <aside className="alarm-detail alarm-detail--empty" data-testid="alarm-detail" data-alarm-id={alarmId} aria-busy={!error}>
        {error ? <ErrorText error={error} /> : <p className="muted">{t('common.loading')}</p>}
        <button type="button" className="button button--quiet button--small" onClick={onClose}>
          {t('common.close')}
        </button>
      </aside>
    );
  }

  const applied = (view: AlarmView) => {
    onApplied(view, liveId);
    setOpen(null);
    setRefresh((n) => n + 1);
  };
  const shelved = isShelved(alarm, now);
  const canAck = alarm.state === 'unack' || alarm.state === 'rtn_unack';
  const brief = workOrder && workOrder.id === workOrderId ? workOrder : null;
  const building = alarm.buildingId === null ? t('alarms.siteWide') : (buildingNames.get(alarm.buildingId) ?? alarm.buildingId);

  const unshelve = async () => {
    setUnshelving(true);
    try {
      applied(await unshelveAlarm(alarm.alarmId));
    } catch (cause) {
      setError(asApiError(cause));
    } finally {
      setUnshelving(false);
    }
  };

  return (
    <aside
      className={`alarm-detail alarm-detail--${alarm.priority}`}
      data-testid="alarm-detail"
      data-alarm-id={alarm.alarmId}
      data-state={alarm.state}
      data-priority={alarm.priority}
      aria-label={t('alarms.detail.title', { id: alarm.alarmId })}
    >
      <header className="alarm-detail__head">
        <div className="alarm-detail__badges">
          <span className={`pill pill--${alarm.priority}`}>{t(priorityLabel[alarm.priority])}</span>
          <span className={`alarm-state alarm-state--${alarm.state}`} data-testid="alarm-detail-state">
            {t(stateLabel[alarm.state])}
          </span>
          <span className="alarm-detail__category">{t(categoryLabel[alarm.category])}</span>
          <span className="alarm-detail__id">#{alarm.alarmId}</span>
        </div>
        <button type="button" className="alarm-detail__close" aria-label={t('common.close')} data-testid="alarm-detail-close" onClick={onClose}>
          ×
        </button>
      </header>

      <h2 className="alarm-detail__message" data-testid="alarm-detail-message">
        {alarm.message ?? alarm.ruleName}
      </h2>

      <dl className="alarm-facts">
        <dt>{t('alarms.detail.device')}</dt>
        <dd>
          {alarm.deviceName} <span className="muted">· {deviceTypeLabel(t, alarm.deviceType)}</span>
        </dd>
        <dt>{t('alarms.detail.location')}</dt>
        <dd>{alarm.location ? `${building} · ${alarm.location}` : building}</dd>
        <dt>{t('alarms.detail.rule')}</dt>
        <dd>{alarm.ruleName}</dd>
        <dt>{t('alarms.detail.raised')}</dt>
        <dd>{alarm.raisedAt ? `${formatDateTime(locale, alarm.raisedAt)} (${formatAge(locale, alarm.raisedAt, now)})` : '—'}</dd>
        <dt>{t('alarms.detail.acked')}</dt>
        <dd>{alarm.ackedAt ? t('alarms.detail.ackedBy', { time: formatDateTime(locale, alarm.ackedAt), name: alarm.ackedBy ?? '?' }) : t('alarms.detail.notAcked')}</dd>
        {alarm.clearedAt ? (
          <>
            <dt>{t('alarms.detail.cleared')}</dt>
            <dd>{formatDateTime(locale, alarm.clearedAt)}</dd>
          </>
        ) : null}
        <dt>{t('alarms.detail.activations')}</dt>
        <dd>
          {alarm.activations}
          {alarm.realarms ? ` · ${t('alarms.detail.realarms', { count: alarm.realarms })}` : ''}
        </dd>
        {alarm.escalatedAt ? (
          <>
            <dt>{t('alarms.detail.escalated')}</dt>
            <dd className="warning-text">{formatDateTime(locale, alarm.escalatedAt)}</dd>
          </>
        ) : null}
        {shelved && alarm.shelvedUntil ? (
          <>
            <dt>{t('alarms.detail.shelved')}</dt>
            <dd>{t('alarms.detail.shelvedBy', { time: formatTime(locale, alarm.shelvedUntil), name: alarm.shelvedBy ?? '?', reason: alarm.shelveReason ?? '' })}</dd>
          </>
        ) : null}
        {alarm.suppressed || alarm.outOfService ? (
          <>
            <dt>{t('alarms.detail.silenced')}</dt>
            <dd>{alarm.outOfService ? t('alarms.flag.outOfService') : t('alarms.flag.suppressed')}</dd>
          </>
        ) : null}
      </dl>

      <div className="alarm-detail__actions button-row">
        <button
          type="button"
          className="button button--danger"
          data-testid="alarm-ack-button"
          disabled={!canAck}
          aria-expanded={open === 'ack'}
          onClick={() => setOpen(open === 'ack' ? null : 'ack')}
        >
          {t('alarms.action.ackButton')}
        </button>
        {shelved ? (
          <button type="button" className="button" data-testid="alarm-unshelve-button" disabled={unshelving} onClick={() => void unshelve()}>
            {t('alarms.action.unshelveButton')}
          </button>
        ) : (
          <button type="button" className="button" data-testid="alarm-shelve-button" aria-expanded={open === 'shelve'} onClick={() => setOpen(open === 'shelve' ? null : 'shelve')}>
            {t('alarms.action.shelveButton')}
          </button>
        )}
        <button type="button" className="button" data-testid="alarm-dispatch-button" aria-expanded={open === 'dispatch'} onClick={() => setOpen(open === 'dispatch' ? null : 'dispatch')}>
          {t('alarms.action.dispatchButton')}
        </button>
      </div>

      {open === 'ack' ? <AckForm alarm={alarm} onDone={applied} onCancel={() => setOpen(null)} /> : null}
      {open === 'shelve' ? <ShelveForm alarm={alarm} onDone={applied} onCancel={() => setOpen(null)} /> : null}
      {open === 'dispatch' ? (
        <DispatchForm
          alarm={alarm}
          role={user.role}
          workOrder={brief?.brief ?? null}
          onCancel={() => setOpen(null)}
          onDone={(message) => {
            setNotice(message);
            setOpen(null);
            setRefresh((n) => n + 1);
          }}
        />
      ) : null}
      {notice ? (
        <p className="alarm-detail__notice" role="status" data-testid="alarm-dispatch-notice">
          {notice}
        </p>
      ) : null}
      {error && loaded ? <ErrorText error={error} /> : null}

      <section className="alarm-detail__section" data-testid="alarm-work-order" data-work-order-id={alarm.workOrderId ?? ''}>
        <h3>{t('alarms.detail.workOrder')}</h3>
        {alarm.workOrderId === null ? (
          <p className="muted">{t('alarms.detail.noWorkOrder')}</p>
        ) : (
          <div className="alarm-wo">
            <span className="alarm-wo__number">{alarm.workOrderNumber}</span>
            <span className={`alarm-wo__status alarm-wo__status--${alarm.workOrderStatus ?? 'unknown'}`}>
              {alarm.workOrderStatus ? workOrderStatusText(t, alarm.workOrderStatus) : ''}
            </span>
            {brief?.brief ? (
              <span className="alarm-wo__assignee">
                {brief.brief.assignee ? t('alarms.detail.assignee', { name: brief.brief.assignee.name }) : t('alarms.detail.unassigned')}
                {' · '}
                {t('alarms.detail.resolveDue', { time: formatRelative(locale, brief.brief.resolveDueAt, now) })}
              </span>
            ) : !workOrderVisible || brief?.error?.status === 404 ? (
              <span className="alarm-wo__assignee muted">{t('alarms.detail.workOrderElsewhere')}</span>
            ) : null}
          </div>
        )}
      </section>

      <AlarmEvidence alarm={alarm} transitions={loaded?.transitions ?? null} onEvidence={evidenceArrived} />
      <DoorPanel doors={doorsFor(doors, alarm.deviceId)} testId="alarm-doors" />

      <section className="alarm-detail__section">
        <h3>{t('alarms.detail.timeline')}</h3>
        <CommentForm alarm={alarm} onDone={applied} />
        <Timeline transitions={loaded?.transitions ?? null} />
      </section>
    </aside>
  );
}

function Timeline({ transitions }: { transitions: AlarmTransition[] | null }) {
  const t = useT();
  const { locale } = useLocale();
  if (transitions === null || !transitions.length) {
    return (
      <div className="alarm-timeline" data-testid="alarm-transitions" aria-busy={transitions === null}>
        <p className="muted">{transitions === null ? t('common.loading') : t('alarms.detail.noTransitions')}</p>
      </div>
    );
  }
  return (
    <ol className="alarm-timeline" data-testid="alarm-transitions">
      {transitions.map((tr) => {
        const details = (typeof tr.details === 'object' && tr.details !== null ? tr.details : {}) as { disposition?: unknown; until?: unknown };
        return (
          <li key={tr.id} className={`alarm-timeline__item alarm-timeline__item--${tr.action}`} data-testid="alarm-transition" data-action={tr.action}>
            <span className="alarm-timeline__time" title={formatDateTime(locale, tr.at)}>
              {formatTime(locale, tr.at)}
            </span>
            <span className="alarm-timeline__body">
              <span className="alarm-timeline__what">
                {transitionText(t, tr.action)}
                {tr.from !== tr.to ? <span className="muted"> · {t(stateLabel[tr.from])} → {t(stateLabel[tr.to])}</span> : null}
              </span>
              <span className="alarm-timeline__who">{t('alarms.detail.by', { actor: tr.actor })}</span>
              {typeof details.disposition === 'string' ? (
                <span className="alarm-timeline__tag">{t('alarms.detail.disposition', { value: dispositionText(t, details.disposition) })}</span>
              ) : null}
              {typeof details.until === 'string' ? (
                <span className="alarm-timeline__tag">{t('alarms.detail.until', { time: formatDateTime(locale, details.until) })}</span>
              ) : null}
              {tr.note ? <span className="alarm-timeline__note">{tr.note}</span> : null}
            </span>
          </li>
        );
      })}
    </ol>
  );
}
