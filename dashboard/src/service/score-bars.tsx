import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatNumber } from '../i18n/format.ts';
import { type Locale } from '../i18n/i18n-context.tsx';

/**
 * Average scores as horizontal bars on the fixed 0–5 scale (an axis that stretched to the
 * best score would make a 4 look perfect), coloured by how they read. Loaded lazily with
 * recharts.
 */
export interface ScoreBarsProps {
  rows: { label: string; value: number; colour: string }[];
  locale: Locale;
  valueName: string;
  testId: string;
}

const axisTick = { fontSize: 11, fill: '#5b6675' };

/** Room for the longest label at 11 px: CJK characters are about twice as wide as Latin ones. */
function labelWidth(labels: readonly string[]): number {
  const longest = Math.max(0, ...labels.map((label) => [...label].reduce((w, ch) => w + (ch.charCodeAt(0) > 0x2e80 ? 11 : 6.2), 0)));
  return Math.round(Math.min(260, Math.max(56, longest + 14)));
}

export default function ScoreBars({ rows, locale, valueName, testId }: ScoreBarsProps) {
  return (
    <div className="sr-chart" data-testid={testId} data-rows={rows.length}>
      <ResponsiveContainer width="100%" height={Math.max(100, rows.length * 30 + 34)}>
        <BarChart data={rows} layout="vertical" margin={{ top: 4, right: 24, bottom: 4, left: 8 }}>
          <CartesianGrid stroke="#e3e8ef" horizontal={false} />
          <XAxis type="number" domain={[0, 5]} ticks={[0, 1, 2, 3, 4, 5]} tick={axisTick} tickLine={false} axisLine={{ stroke: '#c9d1db' }} />
          <YAxis type="category" dataKey="label" width={labelWidth(rows.map((r) => r.label))} tick={axisTick} tickLine={false} axisLine={false} interval={0} />
          <Tooltip cursor={{ fill: 'rgb(47 111 237 / 6%)' }} formatter={(value) => [`${formatNumber(locale, Number(value))} / 5`, valueName]} />
          <Bar dataKey="value" name={valueName} isAnimationActive={false} barSize={16} radius={[0, 3, 3, 0]}>
            {rows.map((row) => (
              <Cell key={row.label} fill={row.colour} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
