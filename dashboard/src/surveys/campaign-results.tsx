import { lazy, Suspense } from 'react';
import { usePolled } from '../api/use-polled.ts';
import { formatDateTime, formatNumber, formatPercent } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { KpiBlock, KpiTile } from '../manager/kpi-parts.tsx';
import { averageTone } from '../service/satisfaction-rows.ts';
import { ErrorText } from '../shell/error-text.tsx';
import { useBuildingNames } from '../workorders/use-building-names.ts';
import { dimensionRows } from './survey-helpers.ts';
import { dimensionLabel } from './survey-labels.ts';
import { fetchCampaignResults, type DimensionScore } from './surveys-api.ts';

const ScoreBars = lazy(() => import('../service/score-bars.tsx'));

/** Bars coloured by how the average reads, as in the satisfaction report. */
const toneColour = { ok: '#2e8b57', warn: '#d08a00', bad: '#c43c3c', none: '#9aa5b1' } as const;
const RESULTS_MS = 60_000;

/** One campaign analysed: response rate, averages by dimension, then per building, and the owners' comments. */
export function CampaignResultsPanel({ id }: { id: number }) {
  const t = useT();
  const { locale } = useLocale();
  const buildings = useBuildingNames();
  const results = usePolled(`campaign-results:${id}`, (signal) => fetchCampaignResults(id, signal), RESULTS_MS);
  const data = results.data;
  const rate = (r: number | null) => (r === null ? '—' : formatPercent(locale, r));
  return (
    <section className="card sv-results" data-testid="campaign-results" data-campaign-id={id} data-answered={data?.answered ?? ''} aria-busy={results.loading}>
      {results.error ? <ErrorText error={results.error} /> : null}
      {results.loading ? <p className="muted">{t('common.loading')}</p> : null}
      {data ? (
        <>
          <h2 className="card__title">{t('surveys.results.title', { title: data.campaign.title })}</h2>
          <div className="kpi-tiles">
            <KpiTile label={t('surveys.results.invited')} value={formatNumber(locale, data.invited)} testId="campaign-invited" />
            <KpiTile label={t('surveys.results.answered')} value={formatNumber(locale, data.answered)} testId="campaign-answered" />
            <KpiTile label={t('surveys.results.rate')} value={rate(data.responseRate)} testId="campaign-rate" />
          </div>
          {data.answered === 0 ? (
            <p className="empty-note">{t('surveys.results.none')}</p>
          ) : (
            <div className="kpi-blocks">
              <DimensionBars title={t('surveys.results.byDimension')} scores={data.byDimension} testId="campaign-by-dimension" />
              {data.byBuilding.map((b) => (
                <DimensionBars
                  key={b.buildingId}
                  title={`${buildings.label(b.buildingId) ?? b.buildingId} · ${formatNumber(locale, b.answered)}/${formatNumber(locale, b.invited)} (${rate(b.responseRate)})`}
                  scores={b.byDimension}
                  testId={`campaign-building-${b.buildingId}`}
                />
              ))}
            </div>
          )}
          {data.comments.length ? (
            <>
              <h3 className="sv-results__subtitle">{t('surveys.results.comments')}</h3>
              <ul className="sv-comments" data-testid="campaign-comments">
                {data.comments.map((c, i) => (
                  <li key={`${c.answeredAt}-${i}`}>
                    <q>{c.comment}</q>{' '}
                    <span className="muted small">
                      {buildings.label(c.buildingId)} · {formatDateTime(locale, c.answeredAt)}
                    </span>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

function DimensionBars({ title, scores, testId }: { title: string; scores: DimensionScore[]; testId: string }) {
  const t = useT();
  const { locale } = useLocale();
  const rows = dimensionRows(scores, (d) => dimensionLabel(t, d));
  return (
    <KpiBlock title={title}>
      {rows.length === 0 ? (
        <p className="muted small">{t('surveys.results.none')}</p>
      ) : (
        <Suspense fallback={<p className="muted chart-placeholder">{t('device.chartLoading')}</p>}>
          <ScoreBars
            rows={rows.map((r) => ({ label: `${r.label} (${formatNumber(locale, r.count)})`, value: r.average, colour: toneColour[averageTone(r.average, r.count)] }))}
            locale={locale}
            valueName={t('surveys.results.average')}
            testId={testId}
          />
        </Suspense>
      )}
    </KpiBlock>
  );
}
