import { lazy, Suspense, useId, useMemo, useState } from 'react';
import { usePolled } from '../api/use-polled.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { ErrorBanner } from '../shell/error-text.tsx';
import { fetchCollectionReport, reportKinds, reportUrl } from './billing-api.ts';
import { collectionSeries, isPeriod, periodOf, shiftPeriod } from './billing-filters.ts';
import { BuildingSelect, Money, Section, useBillingLive, useBuildings } from './billing-parts.tsx';

const GroupedBars = lazy(() => import('../manager/kpi-charts.tsx').then((m) => ({ default: m.GroupedBars })));

// One colour per building, in the overview's palette.
const palette = ['#2f6fed', '#1f9d55', '#ea6a0a', '#8e44ad', '#d99a00', '#00838f', '#d62828', '#5b6675'];

/** Collection rate per period and building, and every billing report as CSV or PDF. */
export function ReportsPanel() {
  const t = useT();
  const { locale } = useLocale();
  const ids = { from: useId(), to: useId(), building: useId() };
  const [to, setTo] = useState(() => periodOf(new Date()));
  const [from, setFrom] = useState(() => shiftPeriod(periodOf(new Date()), 5));
  const [building, setBuilding] = useState('');
  const valid = isPeriod(from) && isPeriod(to) && from <= to;
  const query = { from, to, building: building || undefined };
  const report = usePolled(valid ? `billing-collection:${from}:${to}:${building}` : null, (signal) => fetchCollectionReport(query, signal), 5 * 60_000);
  useBillingLive(report.refresh);
  const { nameOf } = useBuildings();
  const series = useMemo(() => collectionSeries(report.data ?? []), [report.data]);
  const totals = (report.data ?? []).reduce((sum, r) => ({ billed: sum.billed + r.billedFen, collected: sum.collected + r.collectedFen }), { billed: 0, collected: 0 });

  return (
    <div className="billing-stack" data-testid="billing-reports">
      <div className="toolbar records-filters">
        <div className="field">
          <label htmlFor={ids.from}>{t('billing.report.from')}</label>
          <input id={ids.from} type="month" data-testid="report-from" value={from} aria-invalid={!valid} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={ids.to}>{t('billing.report.to')}</label>
          <input id={ids.to} type="month" data-testid="report-to" value={to} aria-invalid={!valid} onChange={(e) => setTo(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={ids.building}>{t('billing.filter.building')}</label>
          <BuildingSelect id={ids.building} testId="report-building" value={building} onChange={setBuilding} />
        </div>
      </div>
      {!valid ? <p className="warning-text">{t('billing.report.badRange')}</p> : null}
      <ErrorBanner error={report.error} onRetry={report.refresh} />
      <Section
        title={t('billing.report.collection')}
        testId="report-collection"
        actions={
          report.data ? (
            <span className="small">
              <Money fen={totals.collected} /> / <Money fen={totals.billed} />
            </span>
          ) : null
        }
      >
        {report.data && report.data.length === 0 ? <p className="empty-note">{t('billing.report.empty')}</p> : null}
        {report.data?.length ? (
          <Suspense fallback={<p className="muted chart-placeholder">{t('device.chartLoading')}</p>}>
            <GroupedBars
              rows={series.periods}
              categoryKey="period"
              series={series.buildings.map((id, i) => ({ key: id, name: id ? nameOf(id) : t('billing.run.wholeEstate'), color: palette[i % palette.length] ?? '#2f6fed' }))}
              locale={locale}
              suffix="%"
              max={100}
              testId="report-collection-chart"
            />
          </Suspense>
        ) : null}
      </Section>
      <Section title={t('billing.report.exports')} testId="report-exports">
        <ul className="billing-exports">
          {reportKinds.map((kind) => (
            <li key={kind} className="billing-exports__item">
              <span>{t(`billing.report.kind.${kind}`)}</span>
              <span className="button-row">
                <a className="button button--small" href={valid ? reportUrl(kind, 'csv', query) : undefined} aria-disabled={!valid} download data-testid={`report-${kind}-csv`}>
                  CSV
                </a>
                <a className="button button--small" href={valid ? reportUrl(kind, 'pdf', query) : undefined} aria-disabled={!valid} target="_blank" rel="noopener" data-testid={`report-${kind}-pdf`}>
                  PDF
                </a>
              </span>
            </li>
          ))}
        </ul>
      </Section>
    </div>
  );
}
