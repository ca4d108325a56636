import { type WorkOrder } from '../api/hub-api.ts';
import { formatCountdown, formatDateTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { slaClock, slaState, type SlaPhase } from './sla.ts';
import { useSecondClock } from './use-second-clock.ts';

/**
 * The running SLA clock of a work order: "Accept in 04:12", red once breached
 * ("Accept overdue 01:02"), ticking every second; for finished work, whether the
 * resolve-by time was met.
 */
export function SlaBadge({ workOrder, compact = false }: { workOrder: WorkOrder; compact?: boolean }) {
  const t = useT();
  const { locale } = useLocale();
  const now = useSecondClock();
  const state = slaState(workOrder, now);

  if (state.kind === 'none') return null;
  if (state.kind === 'finished') {
    const met = state.outcome === 'met';
    return (
      <span className={`sla sla--${met ? 'met' : 'breached'}`} data-testid="wo-sla" data-breached={!met} data-phase="done">
        {met ? t('wo.sla.met') : t('wo.sla.missed')}
      </span>
    );
  }
  const clock = formatCountdown(locale, state.remainingSec);
  const label = state.breached ? t(`wo.sla.${state.phase}Overdue`, { time: clock }) : t(`wo.sla.${state.phase}In`, { time: clock });
  const soon = !state.breached && state.remainingSec <= 5 * 60;
  const due = t(`wo.sla.${state.phase}Due`, { time: formatDateTime(locale, new Date(state.dueAt).toISOString()) });
  return (
    <span
      className={`sla ${state.breached ? 'sla--breached' : soon ? 'sla--soon' : 'sla--running'}${compact ? ' sla--compact' : ''}`}
      data-testid="wo-sla"
      data-breached={state.breached}
      data-phase={state.phase}
      // Compact (board cards): the column already says which clock runs, so the badge shows the time only.
      title={compact ? `${label} · ${due}` : due}
      role="timer"
      aria-live="off"
    >
      <span className="sla__icon" aria-hidden="true">
        {state.breached ? '!' : '◷'}
      </span>
      {compact ? (
        <>
          <span className="visually-hidden">{label}</span>
          <span aria-hidden="true">{state.breached ? `−${clock}` : clock}</span>
        </>
      ) : (
        label
      )}
    </span>
  );
}

/** One SLA deadline in the detail's facts: due time plus its own countdown or outcome. */
export function SlaDeadline({ workOrder, phase }: { workOrder: WorkOrder; phase: SlaPhase }) {
  const t = useT();
  const { locale } = useLocale();
  const now = useSecondClock();
  const clock = slaClock(phase, workOrder, now);
  const done = phase === 'accept' ? workOrder.acceptedAt : workOrder.resolvedAt;
  const due = formatDateTime(locale, new Date(clock.dueAt).toISOString());
  if (done !== null) {
    const late = Date.parse(done) > clock.dueAt;
    return (
      <span className="sla-deadline">
        {due}{' '}
        <span className={`sla sla--${late ? 'breached' : 'met'} sla--compact`}>{late ? t('wo.sla.missed') : t('wo.sla.met')}</span>
      </span>
    );
  }
  if (workOrder.status === 'cancelled') return <span className="sla-deadline">{due}</span>;
  return (
    <span className="sla-deadline">
      {due}{' '}
      <span className={`sla ${clock.breached ? 'sla--breached' : 'sla--running'} sla--compact`}>
        {clock.breached
          ? t('wo.sla.overdueBy', { time: formatCountdown(locale, clock.remainingSec) })
          : t('wo.sla.left', { time: formatCountdown(locale, clock.remainingSec) })}
      </span>
    </span>
  );
}
