import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { isApiError } from '../api/client.ts';
import { deviceHistory, deviceLatest, type Device, type HistoryAnswer, type LatestMetric } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { formatDateTime, formatRelative } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { deviceTypeLabel, floorLabel, metricValueText } from './device-labels.ts';
import { useNow } from './use-now.ts';

const MetricChart = lazy(() => import('./metric-chart.tsx'));

const LATEST_REFRESH_MS = 5_000;
const HISTORY_REFRESH_MS = 60_000;
const HOUR_MS = 60 * 60 * 1000;

function isChartable(metric: LatestMetric): boolean {
  return typeof metric.value === 'number';
}

/**
 * One device: where it is, its latest readings (every 5 s) and the last hour of one
 * numeric reading as a chart. Mounted with `key={device.id}` so switching devices
 * starts from a clean state.
 */
export function DeviceDetail({ device, onClose }: { device: Device; onClose: () => void }) {
  const t = useT();
  const { locale } = useLocale();
  const now = useNow(5_000);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const latest = usePolled(`latest:${device.id}`, (signal) => deviceLatest(device.id, signal), LATEST_REFRESH_MS);
  const [chosenMetric, setChosenMetric] = useState<string | null>(null);

  // Move focus to the panel so keyboard and screen-reader users land on what they opened.
  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  const metrics = latest.data ?? [];
  const chartable = metrics.filter(isChartable);
  const metric = chartable.find((m) => m.metric === chosenMetric) ?? chartable[0] ?? null;

  const location = [device.building, device.floor === null ? null : floorLabel(t, device.floor)].filter(Boolean).join(' · ');

  return (
    <aside className="device-detail card" data-testid="device-detail" data-device-id={device.id} aria-labelledby="device-detail-title">
      <div className="card__head">
        <div>
          <p className="eyebrow">{t('device.details')}</p>
          <h2 className="card__title" id="device-detail-title" ref={headingRef} tabIndex={-1}>
            {device.name}
          </h2>
        </div>
        <button type="button" className="button button--small" data-testid="device-detail-close" onClick={onClose}>
          {t('common.close')}
        </button>
      </div>

      <div className="device-detail__status">
        <span className={`badge badge--${device.online ? 'ok' : 'offline'}`} data-testid="device-detail-online" data-online={device.online}>
          {device.online ? t('devices.online') : t('devices.offline')}
        </span>
        <span className="muted">
          {t('devices.lastSeen', { time: device.lastSeenAt ? formatRelative(locale, device.lastSeenAt, now) : t('common.never') })}
        </span>
      </div>

      <dl className="facts">
        <dt>{t('device.code')}</dt>
        <dd>
          <code>{device.code}</code>
        </dd>
        <dt>{t('device.type')}</dt>
        <dd>{deviceTypeLabel(t, device.type)}</dd>
        <dt>{t('device.location')}</dt>
        <dd>{location || t('devices.noBuilding')}</dd>
        <dt>{t('device.site')}</dt>
        <dd>{device.site}</dd>
        <dt>{t('device.agent')}</dt>
        <dd>
          <code>{device.agentId}</code>
        </dd>
      </dl>

      <section className="device-detail__section" aria-labelledby="device-metrics-title">
        <div className="section-head">
          <h3 id="device-metrics-title">{t('device.metrics')}</h3>
          <span className="muted small">{t('device.metricsRefresh')}</span>
        </div>
        {latest.loading ? <p className="muted">{t('common.loading')}</p> : null}
        {latest.error && !latest.data ? <ErrorText error={latest.error} /> : null}
        {latest.error && latest.data ? (
          <p className="small warning-text">{t('common.staleData', { message: latest.error.message })}</p>
        ) : null}
        {latest.data && metrics.length === 0 ? <p className="muted">{t('device.noMetrics')}</p> : null}
        {metrics.length > 0 ? (
          <table className="metric-table" data-testid="device-metrics">
            <thead>
              <tr>
                <th scope="col">{t('device.metric')}</th>
                <th scope="col">{t('device.value')}</th>
                <th scope="col">{t('device.time')}</th>
              </tr>
            </thead>
            <tbody>
              {metrics.map((m) => {
                const charted = metric?.metric === m.metric;
                return (
                  <tr key={m.metric} data-testid="metric-row" data-metric={m.metric} className={charted ? 'is-charted' : undefined}>
                    <th scope="row">
                      {isChartable(m) ? (
                        <button
                          type="button"
                          className="link-button"
                          aria-pressed={charted}
                          aria-label={t('device.showChart', { metric: m.metric })}
                          data-testid="metric-chart-button"
                          onClick={() => setChosenMetric(m.metric)}
                        >
                          {m.metric}
                        </button>
                      ) : (
                        m.metric
                      )}
                    </th>
                    <td className="metric-table__value">{metricValueText(t, locale, m.value, m.unit)}</td>
                    <td className="muted" title={m.ts ? formatDateTime(locale, m.ts) : undefined}>
                      {m.ts ? formatRelative(locale, m.ts, now) : '—'}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
      </section>

      {latest.data ? (
        <section className="device-detail__section" aria-labelledby="device-chart-title">
          {metric ? (
            <MetricHistory deviceId={device.id} metric={metric} />
          ) : (
            <p className="muted" data-testid="history-empty">
              {t('device.noChartable')}
            </p>
          )}
        </section>
      ) : null}
    </aside>
  );
}

function MetricHistory({ deviceId, metric }: { deviceId: number; metric: LatestMetric }) {
  const t = useT();
  const { locale } = useLocale();
  // The time span travels with its answer, so the chart's axis always matches its points.
  const history = usePolled<{ answer: HistoryAnswer; from: number; to: number }>(
    `history:${deviceId}:${metric.metric}`,
    async (signal) => {
      const to = Date.now();
      const from = to - HOUR_MS;
      const query = { metric: metric.metric, from: new Date(from).toISOString(), to: new Date(to).toISOString(), bucket: '1m' };
      return { answer: await deviceHistory(deviceId, query, signal), from, to };
    },
    HISTORY_REFRESH_MS,
  );
  // The history endpoint lands after this page; until then (or for a device with no
  // stored points) the hub answers 404.
  const missing = history.error !== null && isApiError(history.error) && history.error.status === 404;

  return (
    <>
      <div className="section-head">
        <h3 id="device-chart-title">{t('device.chartTitle', { metric: metric.metric })}</h3>
        {metric.unit ? <span className="muted small">{metric.unit}</span> : null}
      </div>
      {history.loading ? <p className="muted">{t('common.loading')}</p> : null}
      {missing ? (
        <p className="empty-note" data-testid="history-empty">
          {t('device.noHistory')}
        </p>
      ) : null}
      {history.error && !missing && !history.data ? <ErrorText error={history.error} /> : null}
      {history.data && !missing ? (
        history.data.answer.points.length === 0 ? (
          <p className="empty-note" data-testid="history-empty">
            {t('device.noHistoryPoints')}
          </p>
        ) : (
          <Suspense fallback={<p className="muted chart-placeholder">{t('device.chartLoading')}</p>}>
            <MetricChart
              points={history.data.answer.points}
              unit={metric.unit}
              locale={locale}
              labels={{ avg: t('device.chart.avg'), range: t('device.chart.range') }}
              from={history.data.from}
              to={history.data.to}
            />
          </Suspense>
        )
      ) : null}
    </>
  );
}
