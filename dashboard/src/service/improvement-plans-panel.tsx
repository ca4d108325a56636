import { useState } from 'react';
import { usePolled } from '../api/use-polled.ts';
import { formatNumber } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { categoryLabel } from './request-labels.ts';
import { listImprovementPlans, requestCategories, type ImprovementPlan, type PlanStatus, type RequestCategory } from './service-api.ts';

const statusTone: Record<PlanStatus, 'high' | 'medium' | 'ok'> = { open: 'high', in_progress: 'medium', done: 'ok' };
const isCategory = (key: string): key is RequestCategory => (requestCategories as readonly string[]).includes(key);

/**
 * The improvement plans that answer low satisfaction: what was found, who owns the plan,
 * its actions and due date, overdue ones picked out. Plans are made and moved on by
 * managers and their owners (hub/src/service/quality.routes.ts); this lists them beside
 * the report that prompts them.
 */
export function ImprovementPlansPanel() {
  const t = useT();
  const [showDone, setShowDone] = useState(false);
  const plans = usePolled(`improvement-plans:${showDone}`, (signal) => listImprovementPlans({ status: showDone ? [] : ['open', 'in_progress'] }, signal), 60_000);
  return (
    <section className="card sr-plans" data-testid="improvement-plans" aria-busy={plans.loading}>
      <div className="card__head">
        <div>
          <h2 className="card__title">{t('service.plans.title')}</h2>
          <p className="muted small">{t('service.plans.about')}</p>
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={showDone} onChange={(e) => setShowDone(e.target.checked)} />
          {t('service.plans.showDone')}
        </label>
      </div>
      {plans.error ? <ErrorText error={plans.error} /> : null}
      {plans.data && plans.data.length === 0 ? <p className="empty-note">{t('service.plans.empty')}</p> : null}
      <ul className="sr-plans__list">
        {(plans.data ?? []).map((p) => (
          <PlanItem key={p.id} plan={p} />
        ))}
      </ul>
    </section>
  );
}

function PlanItem({ plan: p }: { plan: ImprovementPlan }) {
  const t = useT();
  const { locale } = useLocale();
  const what = p.finding.type === 'category' && isCategory(p.finding.key) ? categoryLabel(t, p.finding.key) : p.finding.key;
  return (
    <li className={`sr-plan${p.overdue ? ' sr-plan--overdue' : ''}`} data-testid="improvement-plan" data-plan-id={p.id} data-status={p.status} data-overdue={p.overdue}>
      <div className="sr-plan__head">
        <strong>{p.title}</strong>
        <span className={`pill pill--${statusTone[p.status]}`}>{t(`service.plans.status.${p.status}`)}</span>
        {p.overdue ? <span className="pill pill--critical">{t('service.plans.overdue')}</span> : null}
      </div>
      <p className="muted small">
        {t(`service.plans.finding.${p.finding.type}`, { what })}
        {p.finding.average !== null ? ` · ${t('service.plans.then', { average: formatNumber(locale, Math.round(p.finding.average * 10) / 10), count: p.finding.count ?? 0 })}` : ''}
        {' · '}
        {t('service.plans.owner', { name: p.owner.name, due: p.dueDate })}
      </p>
      <ol className="sr-plan__actions small">
        {p.actions.map((action, i) => (
          <li key={i}>{action}</li>
        ))}
      </ol>
    </li>
  );
}
