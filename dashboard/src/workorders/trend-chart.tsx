import { Area, CartesianGrid, ComposedChart, Line, ReferenceArea, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { type HistoryPoint } from '../api/hub-api.ts';
import { useDragZoom } from '../devices/drag-zoom.tsx';
import { historyRows } from '../devices/history-rows.ts';
import { formatClock, formatDateTime, formatNumber } from '../i18n/format.ts';
import { type Locale } from '../i18n/i18n-context.tsx';

/**
 * One reading around the fault: min–max band and average per bucket, the alarm's span
 * shaded from its raise to its clear (or now), and the rule's threshold as a dashed line;
 * zoomable by dragging across it (drag-zoom.tsx, as the equipment chart). Loaded lazily with recharts.
 */
export interface TrendChartProps {
  points: readonly HistoryPoint[];
  unit: string | null;
  locale: Locale;
  from: number;
  to: number;
  fault: number;
  cleared: number | null;
  threshold: number | null;
  /** On/off reading: a step line of "any on in the bucket", axis no/yes. */
  boolean: boolean;
  labels: { avg: string; range: string; fault: string; threshold: string; on: string; off: string; zoomHint: string };
  /** The bucket the hub answered with, for tests. */
  bucket: string;
  /** A span zoomed into: drawn exactly from `from` to `to`, not fitted to the readings. */
  zoomed: boolean;
  /** A span dragged across the chart; without it the chart does not zoom. */
  onZoom?: (from: number, to: number) => void;
}

// The plot area's inset in the chart box: the margins and the value axis' width.
const MARGIN = { top: 14, right: 14, bottom: 0, left: 0 };
const Y_AXIS_WIDTH = 52;

export default function TrendChart({ points, unit, locale, from, to, fault, cleared, threshold, boolean, labels, bucket, zoomed, onZoom }: TrendChartProps) {
  const rows = historyRows(points).map((row) => ({ ...row, on: row.range === null ? null : row.range[1] }));
  const suffix = unit ? ` ${unit}` : '';
  // Equipment newer than the two-hour lead (a fresh install, a new sensor) starts the axis at its first reading, so the fault is not squeezed against the edge.
  const first = rows[0]?.t;
  const start = !zoomed && first !== undefined && first > from ? Math.max(from, Math.min(first, fault) - (to - Math.min(first, fault)) * 0.05) : from;
  const spanDays = (to - start) / 86_400_000;
  const tick = (value: number) => (spanDays > 1.5 ? formatDateTime(locale, new Date(value).toISOString()).replace(/:\d\d$/, '') : formatClock(locale, value));
  // The drag maps over the axis as drawn, from `start`.
  const zoom = useDragZoom({ from: start, to, inset: { left: MARGIN.left + Y_AXIS_WIDTH, right: MARGIN.right }, onZoom });
  return (
    <div
      {...zoom.boxProps}
      data-testid="wo-trend-plot"
      data-from={start}
      data-to={to}
      data-bucket={bucket}
      data-points={points.length}
      data-zooming={zoom.dragging}
      title={onZoom ? labels.zoomHint : undefined}
    >
      <ResponsiveContainer width="100%" height={190}>
        <ComposedChart data={rows} margin={MARGIN}>
          <CartesianGrid stroke="#e3e8ef" vertical={false} />
          <ReferenceArea x1={fault} x2={cleared ?? to} fill="#d62828" fillOpacity={0.06} ifOverflow="hidden" />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={[start, to]}
            allowDataOverflow
            tickFormatter={tick}
            tick={{ fontSize: 11, fill: '#5b6675' }}
            tickLine={false}
            axisLine={{ stroke: '#c9d1db' }}
            minTickGap={28}
          />
          {boolean ? (
            <YAxis width={Y_AXIS_WIDTH} tick={{ fontSize: 11, fill: '#5b6675' }} tickLine={false} axisLine={false} domain={[0, 1]} ticks={[0, 1]} tickFormatter={(value: number) => (value ? labels.on : labels.off)} />
          ) : (
            <YAxis
              width={Y_AXIS_WIDTH}
              tick={{ fontSize: 11, fill: '#5b6675' }}
              tickLine={false}
              axisLine={false}
              domain={threshold === null ? ['auto', 'auto'] : [(min: number) => Math.min(min, threshold), (max: number) => Math.max(max, threshold)]}
              tickFormatter={(value: number) => formatNumber(locale, value)}
            />
          )}
          <Tooltip
            labelFormatter={(value) => formatDateTime(locale, new Date(Number(value)).toISOString())}
            formatter={(value, name) => {
              if (boolean) return [Number(value) ? labels.on : labels.off, name];
              const text = Array.isArray(value) ? value.map((v) => formatNumber(locale, Number(v))).join(' – ') : formatNumber(locale, Number(value));
              return [`${text}${suffix}`, name];
            }}
          />
          {boolean ? (
            <Area dataKey="on" name={labels.on} type="stepAfter" stroke="#2f6fed" strokeWidth={2} fill="#2f80ed" fillOpacity={0.14} isAnimationActive={false} connectNulls={false} />
          ) : (
            <>
              <Area dataKey="range" name={labels.range} stroke="none" fill="#2f80ed" fillOpacity={0.14} isAnimationActive={false} connectNulls={false} />
              <Line dataKey="avg" name={labels.avg} stroke="#2f6fed" strokeWidth={2} dot={false} isAnimationActive={false} connectNulls={false} />
            </>
          )}
          {threshold !== null ? (
            <ReferenceLine
              y={threshold}
              stroke="#ea6a0a"
              strokeDasharray="5 4"
              label={{ value: `${labels.threshold} ${formatNumber(locale, threshold)}${suffix}`, position: 'insideBottomLeft', fontSize: 11, fill: '#b34d00' }}
            />
          ) : null}
          <ReferenceLine x={fault} stroke="#d62828" strokeWidth={1.5} label={{ value: labels.fault, position: 'insideTopLeft', fontSize: 11, fill: '#b31f1f' }} />
          {zoom.selection}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
