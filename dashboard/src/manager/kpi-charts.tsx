import { Area, AreaChart, Bar, BarChart, CartesianGrid, Cell, Legend, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatClock, formatDateTime, formatNumber } from '../i18n/format.ts';
import { type Locale } from '../i18n/i18n-context.tsx';
import { type RateRow } from './kpi-range.ts';

/**
 * The overview's recharts charts, in one module loaded lazily (recharts is the only
 * large dependency). Colours follow the stylesheet: blue for counts, severity colours
 * only where severity is meant.
 */

const axisTick = { fontSize: 11, fill: '#5b6675' };
const grid = '#e3e8ef';

export interface HorizontalBarsProps {
  rows: { label: string; value: number; tone?: string }[];
  locale: Locale;
  valueName: string;
  /** Appended to values in tooltips ("%", " min"). */
  suffix?: string;
  testId: string;
}

/** Room for the longest label at 11 px: CJK characters are about twice as wide as Latin ones. */
function labelWidth(labels: readonly string[]): number {
  const longest = Math.max(0, ...labels.map((label) => [...label].reduce((w, ch) => w + (ch.charCodeAt(0) > 0x2e80 ? 11 : 6.2), 0)));
  return Math.round(Math.min(300, Math.max(56, longest + 14)));
}

/** Labelled horizontal bars, for rankings (top contributors, open work by trade). */
export function HorizontalBars({ rows, locale, valueName, suffix = '', testId }: HorizontalBarsProps) {
  const height = Math.max(110, rows.length * 30 + 34);
  return (
    <div className="kpi-chart" data-testid={testId} data-rows={rows.length}>
      <ResponsiveContainer width="100%" height={height}>
        <BarChart data={rows} layout="vertical" margin={{ top: 4, right: 24, bottom: 4, left: 8 }}>
          <CartesianGrid stroke={grid} horizontal={false} />
          <XAxis type="number" allowDecimals={false} tick={axisTick} tickLine={false} axisLine={{ stroke: '#c9d1db' }} tickFormatter={(v: number) => formatNumber(locale, v)} />
          <YAxis type="category" dataKey="label" width={labelWidth(rows.map((r) => r.label))} tick={axisTick} tickLine={false} axisLine={false} interval={0} />
          <Tooltip cursor={{ fill: 'rgb(47 111 237 / 6%)' }} formatter={(value) => [`${formatNumber(locale, Number(value))}${suffix}`, valueName]} />
          <Bar dataKey="value" name={valueName} fill="#2f6fed" radius={[0, 3, 3, 0]} isAnimationActive={false} barSize={16}>
            {rows.map((row) => (
              <Cell key={row.label} fill={row.tone ?? '#2f6fed'} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export interface GroupedBarsProps {
  rows: Record<string, string | number | null>[];
  categoryKey: string;
  series: { key: string; name: string; color: string }[];
  locale: Locale;
  suffix?: string;
  /** Fixed value axis maximum (100 for percentages). */
  max?: number;
  testId: string;
}

/** Vertical bars side by side per category (SLA compliance per trade, MTTA/MTTR per trade). */
export function GroupedBars({ rows, categoryKey, series, locale, suffix = '', max, testId }: GroupedBarsProps) {
  return (
    <div className="kpi-chart" data-testid={testId} data-rows={rows.length}>
      <ResponsiveContainer width="100%" height={220}>
        <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid stroke={grid} vertical={false} />
          <XAxis dataKey={categoryKey} tick={axisTick} tickLine={false} axisLine={{ stroke: '#c9d1db' }} interval={0} />
          <YAxis width={44} tick={axisTick} tickLine={false} axisLine={false} domain={[0, max ?? 'auto']} tickFormatter={(v: number) => `${formatNumber(locale, v)}${suffix.trim() === '%' ? '%' : ''}`} />
          <Tooltip cursor={{ fill: 'rgb(47 111 237 / 6%)' }} formatter={(value, name) => [value === null || value === undefined ? '—' : `${formatNumber(locale, Number(value))}${suffix}`, name]} />
          <Legend wrapperStyle={{ fontSize: 12 }} iconType="square" iconSize={10} itemSorter={(item) => series.findIndex((s) => s.key === item.dataKey)} />
          {series.map((s) => (
            <Bar key={s.key} dataKey={s.key} name={s.name} fill={s.color} radius={[3, 3, 0, 0]} isAnimationActive={false} maxBarSize={28} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export interface AlarmRateChartProps {
  rows: readonly RateRow[];
  locale: Locale;
  /** Activations per 10 minutes above which a period is a flood. */
  threshold: number;
  labels: { count: string; threshold: string };
  testId: string;
}

/**
 * Annunciated activations per 10 minutes over the range as a stepped area (one SVG
 * path, so a month of 4,320 periods costs what a day does), with the flood threshold
 * as a dashed line: the periods above it are what ISA-18.2 calls floods.
 */
export function AlarmRateChart({ rows, locale, threshold, labels, testId }: AlarmRateChartProps) {
  const peak = rows.reduce((max, r) => Math.max(max, r.count), 0);
  const from = rows[0]?.t ?? 0;
  const to = (rows.at(-1)?.t ?? 0) + 600_000;
  const spanDays = (to - from) / 86_400_000;
  const tick = (value: number) => (spanDays > 1.5 ? new Date(value).toLocaleDateString(locale, { month: 'short', day: 'numeric' }) : formatClock(locale, value));
  return (
    <div className="kpi-chart" data-testid={testId} data-rows={rows.length} data-peak={peak} data-threshold={threshold}>
      <ResponsiveContainer width="100%" height={200}>
        <AreaChart data={rows as RateRow[]} margin={{ top: 14, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid stroke={grid} vertical={false} />
          <XAxis dataKey="t" type="number" scale="time" domain={[from, to]} tickFormatter={tick} tick={axisTick} tickLine={false} axisLine={{ stroke: '#c9d1db' }} minTickGap={32} />
          <YAxis width={36} allowDecimals={false} domain={[0, Math.max(threshold + 2, peak)]} tick={axisTick} tickLine={false} axisLine={false} tickFormatter={(v: number) => formatNumber(locale, v)} />
          <Tooltip
            labelFormatter={(value) => formatDateTime(locale, new Date(Number(value)).toISOString())}
            formatter={(value) => [formatNumber(locale, Number(value)), labels.count]}
          />
          <Area dataKey="count" name={labels.count} type="stepAfter" stroke="#2f6fed" strokeWidth={1.5} fill="#2f80ed" fillOpacity={0.18} isAnimationActive={false} />
          <ReferenceLine
            y={threshold}
            stroke="#d62828"
            strokeDasharray="5 4"
            ifOverflow="extendDomain"
            label={{ value: labels.threshold, position: 'insideTopRight', fontSize: 11, fill: '#b31f1f' }}
          />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}
