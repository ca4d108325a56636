import { usePolled } from '../api/use-polled.ts';
import { formatNumber } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { PageHeader } from '../pages/page-header.tsx';
import { associationRoleLabel, unitStatusLabel, unitStatusTone } from '../records/labels.ts';
import { navigate } from '../router/hash-router.ts';
import { ErrorText } from '../shell/error-text.tsx';
import { listMyUnits } from './resident-api.ts';
import './resident.css';

/** The homes an owner holds, rents or lives in today, each with a way to report a problem in it. */
export function MyUnitsPage() {
  const t = useT();
  const { locale } = useLocale();
  const units = usePolled('my-units', listMyUnits, 5 * 60_000);
  return (
    <div className="office-page" data-testid="my-units-page">
      <PageHeader title={t('section.myUnits')} subtitle={t('resident.units.subtitle')} />
      {units.error ? <ErrorText error={units.error} /> : null}
      {units.loading ? <p className="muted">{t('common.loading')}</p> : null}
      {units.data && units.data.length === 0 ? <p className="empty-note card">{t('resident.units.empty')}</p> : null}
      <ul className="resident-units" data-testid="my-units">
        {(units.data ?? []).map((u) => (
          <li key={u.id} className="card resident-unit" data-testid="my-unit" data-unit-id={u.id}>
            <p className="eyebrow">{u.buildingName}</p>
            <h2 className="card__title">{t('resident.units.title', { number: u.number })}</h2>
            <dl className="facts">
              <dt>{t('resident.units.floor')}</dt>
              <dd>{u.floor ?? '—'}</dd>
              <dt>{t('resident.units.area')}</dt>
              <dd>{u.areaM2 === null ? '—' : `${formatNumber(locale, u.areaM2)} m²`}</dd>
              <dt>{t('resident.units.layout')}</dt>
              <dd>{u.layout ?? '—'}</dd>
              <dt>{t('resident.units.status')}</dt>
              <dd>
                <span className={`pill pill--${unitStatusTone(u.status)}`}>{unitStatusLabel(t, u.status)}</span>
              </dd>
              <dt>{t('resident.units.people')}</dt>
              <dd>{u.occupants.map((o) => `${o.name} (${associationRoleLabel(t, o.role)})`).join(', ') || '—'}</dd>
            </dl>
            <button type="button" className="button button--primary" data-testid="my-unit-report" onClick={() => navigate(['my-requests', 'new', u.id])}>
              {t('resident.units.report')}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
