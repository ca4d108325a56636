import { type ReactNode } from 'react';

/** A headline number with its label and a line of context. */
export function KpiTile({ label, value, sub, tone, testId }: { label: string; value: ReactNode; sub?: ReactNode; tone?: 'ok' | 'warn' | 'bad'; testId?: string }) {
  return (
    <div className={`kpi-tile${tone ? ` kpi-tile--${tone}` : ''}`} data-testid={testId}>
      <span className="kpi-tile__label">{label}</span>
      <span className="kpi-tile__value">{value}</span>
      {sub ? <span className="kpi-tile__sub">{sub}</span> : null}
    </div>
  );
}

export function KpiBlock({ title, children, wide = false }: { title: string; children: ReactNode; wide?: boolean }) {
  return (
    <section className={`kpi-block${wide ? ' kpi-block--wide' : ''}`}>
      <h3 className="kpi-block__title">{title}</h3>
      {children}
    </section>
  );
}
