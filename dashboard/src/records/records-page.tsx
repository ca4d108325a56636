import { useT } from '../i18n/i18n-context.tsx';
import { PageHeader } from '../pages/page-header.tsx';
import { navigate } from '../router/hash-router.ts';
import { ImportPanel } from './import-panel.tsx';
import { OwnersPanel } from './owners-panel.tsx';
import { UnitsPanel } from './units-panel.tsx';

const tabs = ['units', 'owners', 'import'] as const;
type Tab = (typeof tabs)[number];

function parseId(segment: string | undefined): number | null {
  return segment !== undefined && /^\d+$/.test(segment) ? Number(segment) : null;
}

/**
 * The property office's records: units (search, detail with status history and who
 * held them), owners (ID numbers masked, revealed one at a time with a reason), and
 * CSV imports checked before they are run. `#/records/units/42` opens unit 42.
 */
export function RecordsPage({ rest }: { rest: string[] }) {
  const t = useT();
  const tab: Tab = (tabs as readonly string[]).includes(rest[0] ?? '') ? (rest[0] as Tab) : 'units';
  return (
    <div className="records" data-testid="records-page">
      <PageHeader title={t('section.records')} subtitle={t('records.subtitle')} />
      <div className="segmented office-tabs" role="tablist" aria-label={t('section.records')}>
        {tabs.map((id) => (
          <button key={id} type="button" role="tab" className="segmented__item" aria-selected={tab === id} data-testid={`records-tab-${id}`} onClick={() => navigate(['records', id])}>
            {t(`records.tab.${id}`)}
          </button>
        ))}
      </div>
      {tab === 'units' ? <UnitsPanel unitId={parseId(rest[1])} /> : tab === 'owners' ? <OwnersPanel /> : <ImportPanel />}
    </div>
  );
}
