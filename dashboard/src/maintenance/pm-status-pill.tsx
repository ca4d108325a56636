import { useT } from '../i18n/i18n-context.tsx';
import { type PmStatus } from './pm-api.ts';

const tone: Record<PmStatus, 'high' | 'medium' | 'ok'> = { overdue: 'high', due: 'medium', ok: 'ok' };

/** A plan's status as a coloured pill: overdue red, due amber, on schedule green. */
export function PmStatusPill({ status }: { status: PmStatus }) {
  const t = useT();
  return (
    <span className={`pill pill--${tone[status]}`} data-testid="pm-status" data-status={status}>
      {t(`pm.status.${status}`)}
    </span>
  );
}
