import { usePolled } from '../api/use-polled.ts';
import { formatDateTime, formatNumber, formatPercent } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { PageHeader } from '../pages/page-header.tsx';
import { navigate } from '../router/hash-router.ts';
import { ErrorText } from '../shell/error-text.tsx';
import { useBuildingNames } from '../workorders/use-building-names.ts';
import { CampaignForm } from './campaign-form.tsx';
import { CampaignResultsPanel } from './campaign-results.tsx';
import { statusLabel, statusTone } from './survey-labels.ts';
import { listCampaigns } from './surveys-api.ts';
import { StaffEvaluationsPanel } from './staff-evaluations.tsx';
import './surveys.css';

const LIST_MS = 60_000;

function parseId(segment: string | undefined): number | null {
  return segment !== undefined && /^\d+$/.test(segment) ? Number(segment) : null;
}

/**
 * The manager's surveys: start a campaign, follow the campaigns' response rates, open
 * one's results (`#/surveys/12`), and evaluate the staff.
 */
export function SurveysPage({ rest }: { rest: string[] }) {
  const t = useT();
  const { locale } = useLocale();
  const buildings = useBuildingNames();
  const selected = parseId(rest[0]);
  const list = usePolled('survey-campaigns', listCampaigns, LIST_MS);
  return (
    <div className="sv-page" data-testid="surveys-page">
      <PageHeader title={t('section.surveys')} subtitle={t('sectionAbout.surveys')} />
      <CampaignForm
        onCreated={(campaign) => {
          list.refresh();
          navigate(['surveys', campaign.id]);
        }}
      />
      <section className="card sv-campaigns" aria-labelledby="sv-campaigns-title" aria-busy={list.loading}>
        <h2 className="card__title" id="sv-campaigns-title">
          {t('surveys.list.title')}
        </h2>
        {list.error ? <ErrorText error={list.error} /> : null}
        {list.data && list.data.length === 0 ? <p className="empty-note">{t('surveys.list.empty')}</p> : null}
        {list.data?.length ? (
          <table className="data-table" data-testid="campaign-table">
            <thead>
              <tr>
                <th scope="col">{t('surveys.list.name')}</th>
                <th scope="col">{t('surveys.list.period')}</th>
                <th scope="col">{t('surveys.list.scope')}</th>
                <th scope="col">{t('surveys.list.status')}</th>
                <th scope="col">{t('surveys.list.responses')}</th>
                <th scope="col">{t('surveys.list.rate')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('surveys.list.open')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((c) => (
                <tr key={c.id} data-testid="campaign-row" data-campaign-id={c.id} data-answered={c.answered} aria-selected={c.id === selected}>
                  <th scope="row">
                    {c.title}
                    <span className="muted small"> · {t('surveys.closes', { date: formatDateTime(locale, c.closesAt) })}</span>
                  </th>
                  <td>{c.period}</td>
                  <td>{c.buildingId === null ? t('surveys.estate') : buildings.label(c.buildingId)}</td>
                  <td>
                    <span className={`pill pill--${statusTone[c.status]}`}>{statusLabel(t, c.status)}</span>
                  </td>
                  <td>
                    {formatNumber(locale, c.answered)} / {formatNumber(locale, c.invited)}
                  </td>
                  <td data-testid="campaign-rate-cell">{c.invited ? formatPercent(locale, c.answered / c.invited) : '—'}</td>
                  <td>
                    <button type="button" className="button button--small" data-testid="campaign-open" aria-pressed={c.id === selected} onClick={() => navigate(['surveys', c.id])}>
                      {t('surveys.list.open')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      {selected !== null ? <CampaignResultsPanel key={selected} id={selected} /> : null}
      <StaffEvaluationsPanel />
    </div>
  );
}
