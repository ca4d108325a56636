import { Area, CartesianGrid, ComposedChart, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { type HistoryPoint } from '../api/hub-api.ts';
import { formatClock, formatNumber, formatTime } from '../i18n/format.ts';
import { historyRows } from './history-rows.ts';
import { type Locale } from '../i18n/i18n-context.tsx';

/**
 * The only module importing recharts; loaded with React.lazy so the library is fetched
 * when a device chart is first opened, not with the app.
 */

export interface MetricChartProps {
  points: readonly HistoryPoint[];
  unit: string | null;
  locale: Locale;
  labels: { avg: string; range: string };
  /** Fixed x-domain (epoch ms), so an hour with few points still spans the whole hour. */
  from: number;
  to: number;
}

export default function MetricChart({ points, unit, locale, labels, from, to }: MetricChartProps) {
  const rows = historyRows(points);
  const suffix = unit ? ` ${unit}` : '';

  return (
    <div className="metric-chart" data-testid="device-chart">
      <ResponsiveContainer width="100%" height={200}>
        <ComposedChart data={rows} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="#e3e8ef" vertical={false} />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={[from, to]}
            tickFormatter={(value: number) => formatClock(locale, value)}
            tick={{ fontSize: 11, fill: '#5b6675' }}
            tickLine={false}
            axisLine={{ stroke: '#c9d1db' }}
            minTickGap={24}
          />
          <YAxis
            width={52}
            tick={{ fontSize: 11, fill: '#5b6675' }}
            tickLine={false}
            axisLine={false}
            domain={['auto', 'auto']}
            tickFormatter={(value: number) => formatNumber(locale, value)}
          />
          <Tooltip
            labelFormatter={(value) => formatTime(locale, Number(value))}
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
            dot={false}
            isAnimationActive={false}
            connectNulls={false}
          />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
