import { lazy, Suspense, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { isApiError } from '../api/client.ts';
import { deviceHistory, deviceLatest, type Device, type HistoryAnswer, type LatestMetric } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { formatDateTime, formatRelative } from '../i18n/format.ts';
import { type MessageKey } from '../i18n/en.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { deviceTypeLabel, floorLabel, metricValueText } from './device-labels.ts';
import { bucketText, parseCustomRange, rangePresets, spanOf, toLocalInput, windowKey, type CustomRangeProblem, type HistoryWindow, type RangePreset } from './history-range.ts';
import { useNow } from './use-now.ts';

const MetricChart = lazy(() => import('./metric-chart.tsx'));

const LATEST_REFRESH_MS = 5_000;
const HISTORY_REFRESH_MS = 60_000;

function isChartable(metric: LatestMetric): boolean {
  return typeof metric.value === 'number';
}

/**
 * One device: where it is (online state patched live by the list), its latest readings
 * (polled every 5 s: telemetry values are not on the live stream) and one numeric
 * reading's history as a chart over a chosen range, zoomable by dragging. Mounted with `key={device.id}` so switching devices
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
  const formId = useId();
  // The chosen preset, and the spans zoomed into from it (a drag or a custom range); the last one is shown.
  const [preset, setPreset] = useState<RangePreset>('1h');
  const [zooms, setZooms] = useState<{ from: number; to: number }[]>([]);
  const [customOpen, setCustomOpen] = useState(false);
  const zoomed = zooms.at(-1);
  const historyWindow: HistoryWindow = zoomed ? { kind: 'custom', ...zoomed } : { kind: 'preset', preset };

  // The span and bucket travel with their answer, so the chart's axis always matches its points.
  const history = usePolled<ShownHistory>(
    `history:${deviceId}:${metric.metric}:${windowKey(historyWindow)}`,
    async (signal) => {
      const { from, to, bucket } = spanOf(historyWindow, Date.now());
      const query = { metric: metric.metric, from: new Date(from).toISOString(), to: new Date(to).toISOString(), bucket };
      return { metric: metric.metric, answer: await deviceHistory(deviceId, query, signal), from, to };
    },
    // A preset follows the clock; a fixed span in the past does not change.
    zoomed ? 0 : HISTORY_REFRESH_MS,
  );
  // While a new span of the same reading loads, the previous chart stays (marked busy) instead of blinking out.
  const [lastShown, setLastShown] = useState<ShownHistory | null>(null);
  if (history.data && history.data !== lastShown) setLastShown(history.data);
  const shown = history.data ?? (history.loading && lastShown?.metric === metric.metric ? lastShown : null);

  // The history endpoint answers 404 for a device with no stored points of this metric.
  const missing = history.error !== null && isApiError(history.error) && history.error.status === 404;
  const rangeText = zoomed
    ? t('device.range.span', { from: formatDateTime(locale, new Date(zoomed.from).toISOString()), to: formatDateTime(locale, new Date(zoomed.to).toISOString()) })
    : t(presetLabel[preset]);

  const choosePreset = (next: RangePreset) => {
    setPreset(next);
    setZooms([]);
    setCustomOpen(false);
  };
  const zoomTo = (from: number, to: number) => setZooms((list) => [...list, { from, to }]);

  return (
    <>
      <div className="section-head">
        <h3 id="device-chart-title">{t('device.chartTitle', { metric: metric.metric, range: rangeText })}</h3>
        {metric.unit ? <span className="muted small">{metric.unit}</span> : null}
      </div>
      <div className="history-range" role="toolbar" aria-label={t('device.range.label')} data-testid="history-range">
        <div className="segmented">
          {rangePresets.map((p) => (
            <button
              key={p}
              type="button"
              className="segmented__item"
              aria-pressed={!zoomed && preset === p}
              data-testid={`history-range-${p}`}
              onClick={() => choosePreset(p)}
            >
              {t(presetShort[p])}
            </button>
          ))}
          <button type="button" className="segmented__item" aria-expanded={customOpen} data-testid="history-range-custom" onClick={() => setCustomOpen((open) => !open)}>
            {t('device.range.custom')}
          </button>
        </div>
        <button type="button" className="button button--small" data-testid="history-zoom-back" disabled={!zoomed} onClick={() => setZooms((list) => list.slice(0, -1))}>
          {t('device.range.back')}
        </button>
        <button type="button" className="button button--small" data-testid="history-zoom-reset" disabled={!zoomed} onClick={() => setZooms([])}>
          {t('device.range.reset', { range: t(presetShort[preset]) })}
        </button>
        {shown ? (
          <span className="muted small" data-testid="history-bucket" data-bucket={shown.answer.bucket}>
            {t('device.range.bucket', { bucket: bucketText(t, shown.answer.bucket) })}
          </span>
        ) : null}
      </div>
      {customOpen ? (
        <CustomRangeForm
          key={windowKey(historyWindow)}
          id={formId}
          initial={spanOf(historyWindow, Date.now())}
          onApply={(from, to) => {
            setCustomOpen(false);
            zoomTo(from, to);
          }}
        />
      ) : null}
      {history.loading && !shown ? <p className="muted">{t('common.loading')}</p> : null}
      {missing ? (
        <p className="empty-note" data-testid="history-empty">
          {t('device.noHistory')}
        </p>
      ) : null}
      {history.error && !missing && !history.data ? <ErrorText error={history.error} /> : null}
      {shown && !missing ? (
        <div aria-busy={history.loading}>
          {shown.answer.points.length === 0 ? (
            <p className="empty-note" data-testid="history-empty">
              {t('device.noHistoryPoints')}
            </p>
          ) : (
            <Suspense fallback={<p className="muted chart-placeholder">{t('device.chartLoading')}</p>}>
              <MetricChart
                points={shown.answer.points}
                unit={metric.unit}
                locale={locale}
                labels={{ avg: t('device.chart.avg'), range: t('device.chart.range'), zoomHint: t('device.range.dragHint') }}
                from={shown.from}
                to={shown.to}
                bucket={shown.answer.bucket}
                onZoom={zoomTo}
              />
            </Suspense>
          )}
          <p className="muted small">{t('device.range.dragHint')}</p>
        </div>
      ) : null}
    </>
  );
}

interface ShownHistory {
  metric: string;
  answer: HistoryAnswer;
  from: number;
  to: number;
}

const presetShort: Record<RangePreset, MessageKey> = {
  '1h': 'device.range.1h',
  '6h': 'device.range.6h',
  '24h': 'device.range.24h',
  '7d': 'device.range.7d',
  '30d': 'device.range.30d',
};

const presetLabel: Record<RangePreset, MessageKey> = {
  '1h': 'device.range.last1h',
  '6h': 'device.range.last6h',
  '24h': 'device.range.last24h',
  '7d': 'device.range.last7d',
  '30d': 'device.range.last30d',
};

const problemText: Record<CustomRangeProblem, MessageKey> = {
  invalid: 'device.range.invalid',
  order: 'device.range.order',
  future: 'device.range.future',
  tooLong: 'device.range.tooLong',
};

function CustomRangeForm({ id, initial, onApply }: { id: string; initial: { from: number; to: number }; onApply: (from: number, to: number) => void }) {
  const t = useT();
  const [fromText, setFromText] = useState(() => toLocalInput(initial.from));
  const [toText, setToText] = useState(() => toLocalInput(initial.to));
  const [problem, setProblem] = useState<CustomRangeProblem | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseCustomRange(fromText, toText, Date.now());
    if (typeof parsed === 'string') return setProblem(parsed);
    setProblem(null);
    onApply(parsed.from, parsed.to);
  };
  return (
    <form className="history-custom toolbar" data-testid="history-custom-form" onSubmit={submit}>
      <div className="field field--inline">
        <label htmlFor={`${id}-from`}>{t('device.range.from')}</label>
        <input id={`${id}-from`} type="datetime-local" data-testid="history-custom-from" value={fromText} onChange={(e) => setFromText(e.target.value)} required />
      </div>
      <div className="field field--inline">
        <label htmlFor={`${id}-to`}>{t('device.range.to')}</label>
        <input id={`${id}-to`} type="datetime-local" data-testid="history-custom-to" value={toText} onChange={(e) => setToText(e.target.value)} required />
      </div>
      <button type="submit" className="button button--small button--primary" data-testid="history-custom-apply">
        {t('device.range.apply')}
      </button>
      {problem ? (
        <p className="form__error small" role="alert" data-testid="history-custom-error">
          {t(problemText[problem])}
        </p>
      ) : null}
    </form>
  );
}
