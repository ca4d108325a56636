import { useT } from '../i18n/i18n-context.tsx';
import { SystemStatusCard } from '../status/system-status-card.tsx';
import { PageHeader } from './page-header.tsx';

/** The manager's and admin's home: system health now, estate indicators later. */
export function OverviewPage() {
  const t = useT();
  return (
    <>
      <PageHeader title={t('section.overview')} subtitle={t('sectionAbout.overview')} />
      <div className="overview-grid">
        <SystemStatusCard />
        <section className="card placeholder" data-testid="placeholder-overview-kpis">
          <h2 className="card__title">{t('overview.kpisTitle')}</h2>
          <p>{t('overview.kpisLater')}</p>
        </section>
      </div>
    </>
  );
}
