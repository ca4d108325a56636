import { lazy, Suspense, useMemo, useState } from 'react';
import { usePolled } from '../api/use-polled.ts';
import { formatNumber } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { KpiBlock, KpiTile } from '../manager/kpi-parts.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { useBuildingNames } from '../workorders/use-building-names.ts';
import { categoryLabel } from './request-labels.ts';
import { averageTone, periodRange, reportPeriods, scoreRows, type ReportPeriod, type ScoreRow } from './satisfaction-rows.ts';
import { fetchSatisfaction, requestCategories, type RequestCategory } from './service-api.ts';

const ScoreBars = lazy(() => import('./score-bars.tsx'));

const isCategory = (key: string): key is RequestCategory => (requestCategories as readonly string[]).includes(key);

/** Bars coloured by how the average reads: the eye goes to the poor ones. */
const toneColour = { ok: '#2e8b57', warn: '#d08a00', bad: '#c43c3c', none: '#9aa5b1' } as const;

/**
 * The periodic satisfaction report: answers and average score for the month, quarter
 * or year, then by category, building, staff member and month, worst first.
 */
export function SatisfactionPanel() {
  const t = useT();
  const { locale } = useLocale();
  const buildings = useBuildingNames();
  const [period, setPeriod] = useState<ReportPeriod>('quarter');
  const [building, setBuilding] = useState('');
  // One range per choice, so the poll key does not change every render.
  const range = useMemo(() => periodRange(period, new Date()), [period]);
  const report = usePolled(`satisfaction:${range.from}:${building}`, (signal) => fetchSatisfaction({ ...range, building: building || undefined }, signal), 60_000);

  const data = report.data;
  const overall = data ? averageTone(data.average, data.count) : 'none';
  return (
    <section className="card sr-report" data-testid="satisfaction-report" aria-busy={report.loading}>
      <div className="card__head">
        <div>
          <h2 className="card__title">{t('service.report.title')}</h2>
          <p className="muted small">{t('service.report.about')}</p>
        </div>
        <div className="toolbar">
          <div className="segmented" role="radiogroup" aria-label={t('service.report.period')}>
            {reportPeriods.map((p) => (
              <button key={p} type="button" role="radio" className="segmented__item" aria-checked={period === p} data-testid={`satisfaction-period-${p}`} onClick={() => setPeriod(p)}>
                {t(`service.report.period.${p}`)}
              </button>
            ))}
          </div>
          <select aria-label={t('service.filter.building')} value={building} onChange={(e) => setBuilding(e.target.value)}>
            <option value="">{t('service.filter.any')}</option>
            {buildings.ids.map((id) => (
              <option key={id} value={id}>
                {buildings.label(id)}
              </option>
            ))}
          </select>
        </div>
      </div>
      {report.error ? <ErrorText error={report.error} /> : null}
      {report.loading ? <p className="muted">{t('common.loading')}</p> : null}
      {data ? (
        <>
          <div className="kpi-tiles">
            <KpiTile label={t('service.report.answers')} value={formatNumber(locale, data.count)} testId="satisfaction-count" />
            <KpiTile
              label={t('service.report.average')}
              value={data.count ? `${formatNumber(locale, Math.round(data.average * 10) / 10)} / 5` : '—'}
              tone={overall === 'none' ? undefined : overall}
              testId="satisfaction-average"
            />
          </div>
          {data.count === 0 ? (
            <p className="empty-note">{t('service.report.empty')}</p>
          ) : (
            <div className="kpi-blocks">
              <ScoreBlock title={t('service.report.byCategory')} rows={scoreRows(data.byCategory, (g) => (isCategory(g.key) ? categoryLabel(t, g.key) : g.key))} testId="satisfaction-by-category" />
              <ScoreBlock title={t('service.report.byBuilding')} rows={scoreRows(data.byBuilding, (g) => g.name ?? buildings.label(g.key) ?? g.key)} testId="satisfaction-by-building" />
              <ScoreBlock title={t('service.report.byStaff')} rows={scoreRows(data.byStaff, (g) => g.name ?? g.key)} testId="satisfaction-by-staff" />
              <ScoreBlock title={t('service.report.byMonth')} rows={scoreRows(data.byMonth, (g) => g.name ?? g.key, 'by-key')} testId="satisfaction-by-month" />
            </div>
          )}
        </>
      ) : null}
    </section>
  );
}

function ScoreBlock({ title, rows, testId }: { title: string; rows: ScoreRow[]; testId: string }) {
  const t = useT();
  const { locale } = useLocale();
  return (
    <KpiBlock title={title}>
      {rows.length === 0 ? (
        <p className="muted small">{t('service.report.none')}</p>
      ) : (
        <Suspense fallback={<p className="muted chart-placeholder">{t('device.chartLoading')}</p>}>
          <ScoreBars
            rows={rows.map((r) => ({ label: `${r.label} (${formatNumber(locale, r.count)})`, value: r.average, colour: toneColour[averageTone(r.average, r.count)] }))}
            locale={locale}
            valueName={t('service.report.average')}
            testId={testId}
          />
        </Suspense>
      )}
    </KpiBlock>
  );
}
