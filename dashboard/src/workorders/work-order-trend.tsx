import { lazy, Suspense, useEffect, useState } from 'react';
import { isApiError } from '../api/client.ts';
import {
  deviceLatest,
  fetchAlarm,
  fetchAlarmRuleMetrics,
  metricHistory,
  type AlarmEventData,
  type HistoryAnswerWithUnit,
  type WorkOrder,
  type WorkOrderAlarmSummary,
} from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { bucketText, spanOf, windowKey, type HistoryWindow } from '../devices/history-range.ts';
import { formatDateTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { useLiveClient } from '../live/live-context.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { chooseTrendMetrics, faultTime, trendSpan, type TrendMetric } from './trend-plan.ts';

const TrendChart = lazy(() => import('./trend-chart.tsx'));

/** Telemetry is not on the live stream (too much of it); the chart re-reads history this often, and at once when the alarm changes. */
const HISTORY_REFRESH_MS = 15_000;

/**
 * The equipment's readings around the fault: from two hours before the alarm was raised
 * until now, for the reading that raised it (or the rule's readings, or the device's),
 * from the bucketed history API. Each chart zooms by dragging, asking the hub again with
 * the bucket that suits the span (history-range.ts, as the equipment page does).
 */
export function WorkOrderTrend({ workOrder, alarm }: { workOrder: WorkOrder; alarm: WorkOrderAlarmSummary | null }) {
  const t = useT();
  const live = useLiveClient();
  const deviceId = workOrder.deviceId;
  const [bump, setBump] = useState(0);

  const plan = usePolled<TrendMetric[]>(
    deviceId === null ? null : `wo-trend-plan:${deviceId}:${alarm?.id ?? '-'}:${alarm?.ruleId ?? '-'}`,
    async (signal) => {
      const [trigger, ruleMetrics, latest] = await Promise.all([
        alarm ? fetchAlarm(alarm.id, signal).catch(() => null) : null,
        alarm ? fetchAlarmRuleMetrics(alarm.ruleId, signal).catch(() => []) : [],
        deviceLatest(deviceId!, signal),
      ]);
      const value = trigger?.alarm.value;
      const metric = typeof value === 'object' && value !== null && typeof (value as { metric?: unknown }).metric === 'string' ? (value as { metric: string }).metric : null;
      return chooseTrendMetrics(metric, ruleMetrics, latest);
    },
    0,
  );

  // An alarm of this device changing (cleared, re-raised) is when the picture changes most.
  useEffect(() => {
    if (deviceId === null) return;
    return live.onMessage((message) => {
      if (message.type.startsWith('alarm.') && (message.data as AlarmEventData | undefined)?.deviceId === deviceId) setBump((n) => n + 1);
    });
  }, [deviceId, live]);

  if (deviceId === null) return null;
  const fault = faultTime(workOrder, alarm);
  const episode = alarm?.episodes.find((e) => e.id === workOrder.alarmEpisodeId) ?? alarm?.episodes.at(-1);
  const cleared = episode?.clearedAt ? Date.parse(episode.clearedAt) : null;

  return (
    <section className="wo-section" data-testid="wo-trend" aria-labelledby="wo-trend-title">
      <div className="section-head">
        <h3 id="wo-trend-title">{t('wo.trend.title')}</h3>
        <span className="muted small">{t('wo.trend.span')}</span>
      </div>
      {plan.loading ? <p className="muted">{t('common.loading')}</p> : null}
      {plan.error ? <ErrorText error={plan.error} /> : null}
      {plan.data && plan.data.length === 0 ? <p className="empty-note">{t('wo.trend.noReadings')}</p> : null}
      <div className="wo-trend__grid">
        {plan.data?.map((m) => <TrendPanel key={m.metric} deviceId={deviceId} metric={m} fault={fault} cleared={cleared} bump={bump} />)}
      </div>
    </section>
  );
}

function TrendPanel({ deviceId, metric, fault, cleared, bump }: { deviceId: number; metric: TrendMetric; fault: number; cleared: number | null; bump: number }) {
  const t = useT();
  const { locale } = useLocale();
  // The spans zoomed into around the fault, by dragging; the last one is shown, none is the whole span.
  const [zooms, setZooms] = useState<{ from: number; to: number }[]>([]);
  const zoomed = zooms.at(-1);
  const historyWindow: HistoryWindow | null = zoomed ? { kind: 'custom', ...zoomed } : null;
  // The span and bucket travel with their answer, so the chart's axis always matches its points.
  const history = usePolled<ShownTrend>(
    `wo-trend:${deviceId}:${metric.metric}:${fault}:${historyWindow ? windowKey(historyWindow) : 'fault'}`,
    async (signal) => {
      // The whole span follows the clock (it ends now); a zoomed one stays put.
      const { from, to, bucket } = spanOf(historyWindow ?? { kind: 'custom', ...trendSpan(fault, Date.now()) }, Date.now());
      const answer = await metricHistory(deviceId, { metric: metric.metric, from: new Date(from).toISOString(), to: new Date(to).toISOString(), bucket }, signal);
      return { answer, from, to, zoomed: historyWindow !== null };
    },
    zoomed ? 0 : HISTORY_REFRESH_MS,
  );
  const { refresh } = history;
  useEffect(() => {
    if (bump > 0) refresh();
  }, [bump, refresh]);
  // While another span loads, the previous chart stays (marked busy) instead of blinking out.
  const [lastShown, setLastShown] = useState<ShownTrend | null>(null);
  if (history.data && history.data !== lastShown) setLastShown(history.data);
  const shown = history.data ?? (history.loading ? lastShown : null);

  const unit = shown?.answer.unit ?? metric.unit;
  const missing = history.error !== null && isApiError(history.error) && history.error.status === 404;
  const zoomTo = (from: number, to: number) => setZooms((list) => [...list, { from, to }]);
  return (
    <figure className="wo-trend" data-testid="wo-trend-chart" data-metric={metric.metric}>
      <figcaption className="wo-trend__caption">
        <strong>{metric.metric}</strong>
        {unit ? <span className="muted small">{unit}</span> : null}
        {metric.trigger ? <span className="pill pill--high">{t('wo.trend.trigger')}</span> : null}
        <span className="muted small wo-trend__fault">{t('wo.trend.faultAt', { time: formatDateTime(locale, new Date(fault).toISOString()) })}</span>
      </figcaption>
      {history.loading && !shown ? <p className="muted chart-placeholder">{t('common.loading')}</p> : null}
      {missing ? <p className="empty-note">{t('device.noHistory')}</p> : null}
      {history.error && !missing && !history.data ? <ErrorText error={history.error} /> : null}
      {shown && !missing ? (
        <div className="history-range" role="toolbar" aria-label={t('wo.trend.zoomLabel')} data-testid="wo-trend-zoom">
          <button type="button" className="button button--small" data-testid="wo-trend-zoom-back" disabled={!zoomed} onClick={() => setZooms((list) => list.slice(0, -1))}>
            {t('device.range.back')}
          </button>
          <button type="button" className="button button--small" data-testid="wo-trend-zoom-reset" disabled={!zoomed} onClick={() => setZooms([])}>
            {t('device.range.reset', { range: t('wo.trend.wholeSpan') })}
          </button>
          <span className="muted small" data-testid="wo-trend-bucket" data-bucket={shown.answer.bucket}>
            {t('device.range.bucket', { bucket: bucketText(t, shown.answer.bucket) })}
          </span>
          {zoomed ? (
            <span className="muted small">
              {t('device.range.span', { from: formatDateTime(locale, new Date(zoomed.from).toISOString()), to: formatDateTime(locale, new Date(zoomed.to).toISOString()) })}
            </span>
          ) : null}
        </div>
      ) : null}
      {shown && !missing ? (
        <div aria-busy={history.loading}>
          {shown.answer.points.length === 0 ? (
            <p className="empty-note">{t('wo.trend.noPoints')}</p>
          ) : (
            <Suspense fallback={<p className="muted chart-placeholder">{t('device.chartLoading')}</p>}>
              <TrendChart
                points={shown.answer.points}
                unit={unit}
                locale={locale}
                from={shown.from}
                to={shown.to}
                fault={fault}
                cleared={cleared}
                threshold={metric.threshold}
                boolean={metric.boolean}
                bucket={shown.answer.bucket}
                zoomed={shown.zoomed}
                onZoom={zoomTo}
                labels={{
                  avg: t('device.chart.avg'),
                  range: t('device.chart.range'),
                  fault: t('wo.trend.fault'),
                  threshold: t('wo.trend.threshold'),
                  on: t('common.yes'),
                  off: t('common.no'),
                  zoomHint: t('device.range.dragHint'),
                }}
              />
            </Suspense>
          )}
        </div>
      ) : null}
    </figure>
  );
}

interface ShownTrend {
  answer: HistoryAnswerWithUnit;
  from: number;
  to: number;
  /** A dragged span: drawn exactly, not fitted to where the readings begin. */
  zoomed: boolean;
}
