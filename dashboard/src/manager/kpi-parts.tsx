import { type ReactNode } from 'react';
import type { Polled } from '../api/use-polled.ts';
import { formatTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { ErrorText } from '../shell/error-text.tsx';

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

/**
 * The frame of a KPI card: title, what it measures, when it was updated, loading and
 * error states (keeping the last figures, marked stale, when a refresh fails); the
 * figures themselves are `children`, drawn once data is there.
 */
export function KpiCard<T>({ testId, title, about, polled, children }: { testId: string; title: string; about: string; polled: Polled<T>; children: (data: T) => ReactNode }) {
  const t = useT();
  const { locale } = useLocale();
  const titleId = `${testId}-title`;
  const data = polled.data;
  return (
    <section className="card kpi-card" data-testid={testId} aria-labelledby={titleId} aria-busy={polled.loading}>
      <div className="card__head">
        <div>
          <h2 className="card__title" id={titleId}>
            {title}
          </h2>
          <p className="muted small">{about}</p>
        </div>
        {polled.updatedAt ? <span className="muted small">{t('common.updated', { time: formatTime(locale, polled.updatedAt) })}</span> : null}
      </div>
      {polled.loading ? <p className="muted">{t('common.loading')}</p> : null}
      {polled.error && !data ? <ErrorText error={polled.error} /> : null}
      {polled.error && data ? <p className="small warning-text">{t('common.staleData', { message: polled.error.message })}</p> : null}
      {data ? children(data) : null}
    </section>
  );
}
