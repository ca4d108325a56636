import { useState } from 'react';
import { useT } from '../i18n/i18n-context.tsx';
import { AlarmKpisCard } from '../manager/alarm-kpis-card.tsx';
import { KpiRangePicker } from '../manager/kpi-range-picker.tsx';
import { type KpiRange } from '../manager/kpi-range.ts';
import { WorkOrderKpisCard } from '../manager/work-order-kpis-card.tsx';
import { SystemStatusCard } from '../status/system-status-card.tsx';
import { PageHeader } from './page-header.tsx';

/** The manager's and admin's home: work-order and alarm KPIs over a chosen range, and system health now. */
export function OverviewPage() {
  const t = useT();
  const [range, setRange] = useState<KpiRange>('24h');
  return (
    <>
      <PageHeader title={t('section.overview')} subtitle={t('sectionAbout.overview')} actions={<KpiRangePicker value={range} onChange={setRange} />} />
      <div className="overview-layout">
        <WorkOrderKpisCard range={range} />
        <SystemStatusCard />
        <AlarmKpisCard range={range} />
      </div>
    </>
  );
}
