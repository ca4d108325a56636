import { type WorkOrder } from '../api/hub-api.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { priorityLabel, statusLabel, tradeLabel } from './labels.ts';
import { SlaBadge } from './sla-badge.tsx';

/** A work order in the technician's list: what, where, how urgent, and the clock. */
export function WorkOrderRow({ wo, selected, building, onOpen }: { wo: WorkOrder; selected: boolean; building: string | null; onOpen: () => void }) {
  const t = useT();
  const where = [wo.deviceName, building, wo.location].filter(Boolean).join(' · ');
  return (
    <li>
      <button
        type="button"
        className={`wo-row wo-row--${wo.priority}${selected ? ' is-selected' : ''}`}
        data-testid="wo-row"
        data-wo-id={wo.id}
        data-status={wo.status}
        data-number={wo.number}
        aria-current={selected ? 'true' : undefined}
        onClick={onOpen}
      >
        <span className="wo-row__main">
          <span className="wo-row__top">
            <code className="wo-row__number">{wo.number}</code>
            <span className={`pill pill--${wo.priority}`}>{priorityLabel(t, wo.priority)}</span>
            <span className={`wo-status wo-status--${wo.status}`}>{statusLabel(t, wo.status)}</span>
          </span>
          <span className="wo-row__title">{wo.title}</span>
          <span className="wo-row__where muted small">{where || tradeLabel(t, wo.trade)}</span>
        </span>
        <span className="wo-row__side">
          <SlaBadge workOrder={wo} />
          <span className="small muted">{wo.assignee ? wo.assignee.name || t('wo.assigneePending') : t('wo.awaitingDispatch')}</span>
        </span>
      </button>
    </li>
  );
}
