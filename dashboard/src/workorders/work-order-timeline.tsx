import { type WorkOrderEvent } from '../api/hub-api.ts';
import { formatDateTime } from '../i18n/format.ts';
import { useLocale, useT, type Translate } from '../i18n/i18n-context.tsx';
import { eventLabel, statusLabel, tradeLabel, warningText } from './labels.ts';

function str(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** The part of an event's details worth a line of its own. */
function detailLines(t: Translate, event: WorkOrderEvent): string[] {
  const d = event.details ?? {};
  const lines: string[] = [];
  switch (event.action) {
    case 'assign': {
      const name = str(d.name);
      if (name) lines.push(d.automatic === true ? t('wo.timeline.assignedAuto', { name }) : t('wo.timeline.assignedTo', { name }));
      break;
    }
    case 'claim': {
      // Taken by the person themself: the name says whose it became (the actor is their login).
      const name = str(d.name);
      if (name) lines.push(t('wo.timeline.claimedBy', { name }));
      break;
    }
    case 'resolve': {
      const parts = Array.isArray(d.partsUsed) ? (d.partsUsed as { partCode?: unknown; qty?: unknown }[]) : [];
      if (parts.length) lines.push(t('wo.timeline.parts', { parts: parts.map((p) => `${String(p.partCode)} × ${String(p.qty)}`).join(', ') }));
      if (d.verification === 'abnormal') lines.push(t('wo.verification.abnormal'));
      if (d.verification === 'normal') lines.push(t('wo.verification.normal'));
      for (const w of Array.isArray(d.warnings) ? d.warnings : []) if (typeof w === 'string') lines.push(warningText(t, w));
      break;
    }
    case 'escalate':
      if (d.sla === 'accept' || d.sla === 'resolve') lines.push(t(`wo.timeline.escalated.${d.sla}`, { level: Number(d.level ?? 1) }));
      break;
    case 'dispatch.none':
      lines.push(t('wo.timeline.nobody', { trade: tradeLabel(t, str(d.trade) ?? '') }));
      break;
  }
  return lines;
}

/** Notes the hub writes for itself, already said by a detail line. */
function showNote(event: WorkOrderEvent): boolean {
  return event.note !== null && event.note !== '' && event.action !== 'escalate' && event.action !== 'dispatch.none';
}

/** Every step of a work order, oldest first: who did what, when, and why. */
export function WorkOrderTimeline({ events }: { events: readonly WorkOrderEvent[] }) {
  const t = useT();
  const { locale } = useLocale();
  return (
    <ol className="wo-timeline" data-testid="wo-timeline">
      {events.map((event) => {
        const moved = event.fromStatus !== null && event.fromStatus !== event.toStatus;
        return (
          <li key={event.id} className={`wo-timeline__item wo-timeline__item--${event.action.replace('.', '-')}`} data-testid="wo-event" data-action={event.action}>
            <div className="wo-timeline__head">
              <strong>{eventLabel(t, event.action)}</strong>
              {moved ? (
                <span className="muted small">
                  {statusLabel(t, event.fromStatus!)} → {statusLabel(t, event.toStatus)}
                </span>
              ) : null}
              <span className="wo-timeline__meta muted small">
                <span>{event.actor === 'system' ? t('wo.timeline.system') : event.actor}</span>
                <time dateTime={event.at}>{formatDateTime(locale, event.at)}</time>
              </span>
            </div>
            {showNote(event) ? <p className={event.action === 'comment' ? 'wo-timeline__comment' : 'wo-timeline__note'}>{event.note}</p> : null}
            {detailLines(t, event).map((line) => (
              <p key={line} className="wo-timeline__detail small">
                {line}
              </p>
            ))}
          </li>
        );
      })}
    </ol>
  );
}
