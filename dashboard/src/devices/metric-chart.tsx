import { useRef, useState, type MouseEvent } from 'react';
import { Area, CartesianGrid, ComposedChart, Line, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { type HistoryPoint } from '../api/hub-api.ts';
import { formatClock, formatDateTime, formatNumber, formatTime } from '../i18n/format.ts';
import { historyRows } from './history-rows.ts';
import { zoomSelection } from './history-range.ts';
import { type Locale } from '../i18n/i18n-context.tsx';

/**
 * The only module of the device pages importing recharts; loaded with React.lazy so the
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
  const box = useRef<HTMLDivElement>(null);
  // The drag in progress: where it started and where the pointer is, as times on the axis.
  const [drag, setDrag] = useState<{ start: number; end: number } | null>(null);
  const spanDays = (to - from) / 86_400_000;
  const tick = (value: number) => (spanDays > 1.5 ? formatDateTime(locale, new Date(value).toISOString()).replace(/:\d\d$/, '') : formatClock(locale, value));

  // The pointer's time from its position over the plot area (the axis is linear from `from` to `to`),
  // not from the nearest point: a drag over a stretch without readings zooms all the same.
  const timeAt = (event: MouseEvent): number | null => {
    const rect = box.current?.getBoundingClientRect();
    if (!rect) return null;
    const left = rect.left + MARGIN.left + Y_AXIS_WIDTH;
    const width = rect.width - MARGIN.left - Y_AXIS_WIDTH - MARGIN.right;
    if (width <= 0) return null;
    const share = Math.min(1, Math.max(0, (event.clientX - left) / width));
    return from + share * (to - from);
  };

  const finish = () => {
    if (drag && onZoom) {
      const span = zoomSelection(drag.start, drag.end);
      if (span) onZoom(Math.round(span.from), Math.round(span.to));
    }
    setDrag(null);
  };

  return (
    <div
      ref={box}
      className={`metric-chart${onZoom ? ' metric-chart--zoomable' : ''}`}
      data-testid="device-chart"
      data-from={from}
      data-to={to}
      data-bucket={bucket}
      data-points={points.length}
      data-zooming={drag !== null}
      title={onZoom ? labels.zoomHint : undefined}
      style={onZoom ? { cursor: 'crosshair', userSelect: 'none' } : undefined}
      onMouseDown={(event) => {
        if (!onZoom || event.button !== 0) return;
        const at = timeAt(event);
        if (at !== null) setDrag({ start: at, end: at });
        event.preventDefault();
      }}
      onMouseMove={(event) => {
        if (!drag) return;
        const at = timeAt(event);
        if (at !== null) setDrag({ start: drag.start, end: at });
      }}
      onMouseUp={finish}
      onMouseLeave={finish}
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
          {drag && drag.end !== drag.start ? (
            <ReferenceArea x1={Math.min(drag.start, drag.end)} x2={Math.max(drag.start, drag.end)} fill="#2f6fed" fillOpacity={0.15} stroke="#2f6fed" strokeOpacity={0.4} ifOverflow="hidden" />
          ) : null}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
