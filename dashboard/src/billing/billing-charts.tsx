import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatFen } from './money.ts';

/**
 * The billing charts, loaded lazily like the overview's (recharts is the one large
 * dependency). Amounts stay fen; only the labels turn them into yuan.
 */

const axisTick = { fontSize: 11, fill: '#5b6675' };
// Older debt is worse: the bars darken from the accent blue to the critical red.
const bucketColours = ['#2f80ed', '#d99a00', '#ea6a0a', '#d62828'];

/** Whole yuan on the axis ("¥12,000"): the axis is for scale, the tooltip for the exact amount. */
function axisYuan(fen: number): string {
  return formatFen(Math.round(fen / 100) * 100).replace(/\.00$/, '');
}

export function AgeingChart({ rows, valueName }: { rows: { label: string; fen: number }[]; valueName: string }) {
  return (
    <div className="kpi-chart" data-testid="arrears-ageing-chart" data-rows={rows.length}>
      <ResponsiveContainer width="100%" height={220}>
        <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
          <CartesianGrid stroke="#e3e8ef" vertical={false} />
          <XAxis dataKey="label" tick={axisTick} tickLine={false} axisLine={{ stroke: '#c9d1db' }} interval={0} />
          <YAxis width={72} tick={axisTick} tickLine={false} axisLine={false} tickFormatter={(v: number) => axisYuan(v)} />
          <Tooltip cursor={{ fill: 'rgb(47 111 237 / 6%)' }} formatter={(value) => [formatFen(Number(value)), valueName]} />
          <Bar dataKey="fen" name={valueName} radius={[3, 3, 0, 0]} isAnimationActive={false} maxBarSize={56}>
            {rows.map((row, i) => (
              <Cell key={row.label} fill={bucketColours[i % bucketColours.length]} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
