import { Area, CartesianGrid, ComposedChart, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { type HistoryPoint } from '../api/hub-api.ts';
import { formatClock, formatDateTime, formatNumber, formatTime } from '../i18n/format.ts';
import { historyRows } from './history-rows.ts';
import { useDragZoom } from './drag-zoom.tsx';
import { type Locale } from '../i18n/i18n-context.tsx';

/**
 * With drag-zoom.tsx, the only modules of the device pages importing recharts; loaded with React.lazy so the
 * library is fetched when a device chart is first opened, not with the app.
 */

export interface MetricChartProps {
  points: readonly HistoryPoint[];
  unit: string | null;
  locale: Locale;
  labels: { avg: string; range: string; zoomHint: string };
  /** Fixed x-domain (epoch ms), so a span with few points still spans the whole range, and a drag maps to time exactly. */
  from: number;
  to: number;
  /** The bucket the hub answered with, for tests and the caption. */
  bucket: string;
  /** A span dragged across the chart; without it the chart does not zoom. */
  onZoom?: (from: number, to: number) => void;
}

// The plot area's inset in the chart box: the margins and the value axis' width.
const MARGIN = { top: 8, right: 12, bottom: 0, left: 0 };
const Y_AXIS_WIDTH = 52;
const HEIGHT = 200;

export default function MetricChart({ points, unit, locale, labels, from, to, bucket, onZoom }: MetricChartProps) {
  const rows = historyRows(points);
  const suffix = unit ? ` ${unit}` : '';
  const zoom = useDragZoom({ from, to, inset: { left: MARGIN.left + Y_AXIS_WIDTH, right: MARGIN.right }, onZoom });
  const spanDays = (to - from) / 86_400_000;
  const tick = (value: number) => (spanDays > 1.5 ? formatDateTime(locale, new Date(value).toISOString()).replace(/:\d\d$/, '') : formatClock(locale, value));

  return (
    <div
      {...zoom.boxProps}
      className={`metric-chart${onZoom ? ' metric-chart--zoomable' : ''}`}
      data-testid="device-chart"
      data-from={from}
      data-to={to}
      data-bucket={bucket}
      data-points={points.length}
      data-zooming={zoom.dragging}
      title={onZoom ? labels.zoomHint : undefined}
    >
      <ResponsiveContainer width="100%" height={HEIGHT}>
        <ComposedChart data={rows} margin={MARGIN}>
          <CartesianGrid stroke="#e3e8ef" vertical={false} />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={[from, to]}
            allowDataOverflow
            tickFormatter={tick}
            tick={{ fontSize: 11, fill: '#5b6675' }}
            tickLine={false}
            axisLine={{ stroke: '#c9d1db' }}
            minTickGap={24}
          />
          <YAxis
            width={Y_AXIS_WIDTH}
            tick={{ fontSize: 11, fill: '#5b6675' }}
            tickLine={false}
            axisLine={false}
            domain={['auto', 'auto']}
            tickFormatter={(value: number) => formatNumber(locale, value)}
          />
          <Tooltip
            labelFormatter={(value) => (spanDays > 1.5 ? formatDateTime(locale, new Date(Number(value)).toISOString()) : formatTime(locale, Number(value)))}
            formatter={(value, name) => {
              const text = Array.isArray(value)
                ? value.map((v) => formatNumber(locale, Number(v))).join(' – ')
                : formatNumber(locale, Number(value));
              return [`${text}${suffix}`, name];
            }}
          />
          <Area
            dataKey="range"
            name={labels.range}
            stroke="none"
            fill="#2f80ed"
            fillOpacity={0.14}
            isAnimationActive={false}
            connectNulls={false}
          />
          <Line
            dataKey="avg"
            name={labels.avg}
            stroke="#2f6fed"
            strokeWidth={2}
            dot={rows.length < 3}
            isAnimationActive={false}
            connectNulls={false}
          />
          {zoom.selection}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
