import { useId, useState, type ReactNode } from 'react';
import { useSubmission } from '../api/use-submission.ts';
import { usePolled } from '../api/use-polled.ts';
import { formatDateTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { ErrorBanner, ErrorText } from '../shell/error-text.tsx';
import { checkReadings, listRuns, previewRun, startRun, type BillRun, type ReadingCheck, type RunPreview } from './billing-api.ts';
import { isPeriod, periodOf } from './billing-filters.ts';
import { BuildingSelect, Money, Section, useBillingLive, useBuildings } from './billing-parts.tsx';
import { ReadingsTable } from './readings-table.tsx';

/**
 * A period's bill run, in the order the office does it: check the meter readings and
 * settle the flagged ones, preview what the run would make, run it; below, the runs so far.
 */
export function RunsPanel() {
  const t = useT();
  const ids = { period: useId(), building: useId() };
  const [period, setPeriod] = useState(() => periodOf(new Date()));
  const [buildingId, setBuildingId] = useState('');
  const valid = isPeriod(period);
  // Each choice of period and building starts the steps over.
  const scope = `${period}|${buildingId}`;
  const [runs, setRuns] = useState(0);

  return (
    <div className="billing-stack" data-testid="billing-runs">
      <div className="toolbar records-filters">
        <div className="field">
          <label htmlFor={ids.period}>{t('billing.filter.period')}</label>
          <input id={ids.period} type="month" required data-testid="run-period" value={period} aria-invalid={!valid} onChange={(e) => setPeriod(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={ids.building}>{t('billing.filter.building')}</label>
          <BuildingSelect id={ids.building} testId="run-building" value={buildingId} onChange={setBuildingId} anyLabel={t('billing.run.wholeEstate')} />
        </div>
      </div>
      {valid ? <RunSteps key={scope} period={period} buildingId={buildingId || undefined} onRan={() => setRuns((n) => n + 1)} /> : <p className="warning-text">{t('billing.run.pickPeriod')}</p>}
      <RunsList key={runs} />
    </div>
  );
}

function useAction<A extends unknown[], T>(action: (...args: A) => Promise<T>) {
  const { busy, error, send } = useSubmission();
  const [result, setResult] = useState<T | null>(null);
  const run = async (...args: A) => {
    await send(async () => {
      setResult(await action(...args));
    });
  };
  return { busy, error, result, run };
}

function RunSteps({ period, buildingId, onRan }: { period: string; buildingId?: string; onRan: () => void }) {
  const t = useT();
  const scope = { period, buildingId };
  const check = useAction(() => checkReadings(scope));
  const preview = useAction(() => previewRun(scope));
  const run = useAction(() => startRun(scope));
  const [readingsVersion, setReadingsVersion] = useState(0);

  return (
    <>
      <Section
        title={t('billing.run.step1')}
        testId="run-check"
        actions={
          <button type="button" className="button button--small" data-testid="run-check-button" disabled={check.busy} onClick={() => void check.run().then(() => setReadingsVersion((v) => v + 1))}>
            {check.busy ? t('common.loading') : t('billing.run.check')}
          </button>
        }
      >
        <p className="muted small">{t('billing.run.checkAbout')}</p>
        {check.error ? <ErrorText error={check.error} /> : null}
        {check.result ? <CheckSummary check={check.result} /> : null}
        <ReadingsTable key={readingsVersion} period={period} buildingId={buildingId} />
      </Section>

      <Section
        title={t('billing.run.step2')}
        testId="run-preview"
        actions={
          <button type="button" className="button button--small" data-testid="run-preview-button" disabled={preview.busy} onClick={() => void preview.run()}>
            {preview.busy ? t('common.loading') : t('billing.run.preview')}
          </button>
        }
      >
        {preview.error ? <ErrorText error={preview.error} /> : null}
        {preview.result ? <PreviewSummary preview={preview.result} /> : <p className="muted small">{t('billing.run.previewAbout')}</p>}
      </Section>

      <Section title={t('billing.run.step3')} testId="run-start">
        <p className="muted small">{t('billing.run.runAbout')}</p>
        <div className="button-row">
          <button type="button" className="button button--primary" data-testid="run-start-button" disabled={run.busy || run.result !== null} onClick={() => void run.run().then(onRan)}>
            {run.busy ? t('billing.run.running') : t('billing.run.start', { period })}
          </button>
        </div>
        {run.error ? <ErrorText error={run.error} /> : null}
        {run.result ? (
          <p className="billing-result" role="status" data-testid="run-result" data-run-id={run.result.id} data-status={run.result.status}>
            {t('billing.run.done', { created: run.result.billsCreated, existing: run.result.billsExisting, skipped: run.result.unitsSkipped })} <Money fen={run.result.totalFen} strong />
          </p>
        ) : null}
      </Section>
    </>
  );
}

function CheckSummary({ check }: { check: ReadingCheck }) {
  const t = useT();
  return (
    <p className={`billing-result${check.flagged ? ' billing-result--warn' : ''}`} role="status" data-testid="run-check-result" data-flagged={check.flagged}>
      {t('billing.run.checked', { checked: check.checked, ok: check.ok, flagged: check.flagged })}
    </p>
  );
}

function PreviewSummary({ preview }: { preview: RunPreview }) {
  const t = useT();
  return (
    <div className="billing-stack" data-testid="run-preview-result">
      <div className="kpi-tiles billing-tiles">
        <Tile label={t('billing.run.units')} value={String(preview.units)} />
        <Tile label={t('billing.run.bills')} value={String(preview.billCount)} testId="run-preview-bills" />
        <Tile label={t('billing.run.existing')} value={String(preview.existing)} />
        <Tile label={t('billing.run.total')} value={<Money fen={preview.totalFen} testId="run-preview-total" />} />
        <Tile label={t('billing.run.blocked')} value={String(preview.blocked.length)} tone={preview.blocked.length ? 'warn' : 'ok'} testId="run-preview-blocked" />
      </div>
      {preview.blocked.length ? (
        <>
          <h3 className="office-section__title">{t('billing.run.blockedTitle')}</h3>
          <ul className="billing-blocked" data-testid="run-blocked">
            {preview.blocked.map((b) => (
              <li key={b.unitId}>
                <strong>{t('billing.run.blockedUnit', { id: b.unitId })}</strong> — {b.reason}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {preview.bills.length ? (
        <details className="billing-drafts">
          <summary>{t('billing.run.drafts', { shown: preview.bills.length })}</summary>
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">{t('billing.col.unit')}</th>
                <th scope="col" className="num">
                  {t('billing.col.total')}
                </th>
              </tr>
            </thead>
            <tbody>
              {preview.bills.map((d) => (
                <tr key={d.unitId}>
                  <td>{d.unitNumber ?? `#${d.unitId}`}</td>
                  <td className="num">
                    <Money fen={d.totalFen} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ) : null}
    </div>
  );
}

function Tile({ label, value, tone, testId }: { label: string; value: ReactNode; tone?: 'ok' | 'warn'; testId?: string }) {
  return (
    <div className={`kpi-tile${tone ? ` kpi-tile--${tone}` : ''}`} data-testid={testId}>
      <span className="kpi-tile__label">{label}</span>
      <span className="kpi-tile__value billing-tile__value">{value}</span>
    </div>
  );
}

function RunsList() {
  const t = useT();
  const { locale } = useLocale();
  const runs = usePolled('billing-runs', listRuns, 60_000);
  useBillingLive(runs.refresh);
  const { nameOf } = useBuildings();
  return (
    <Section title={t('billing.run.history')} testId="run-history">
      <ErrorBanner error={runs.error} onRetry={runs.refresh} />
      {runs.data && runs.data.length === 0 ? <p className="empty-note">{t('billing.run.none')}</p> : null}
      {runs.data?.length ? (
        <table className="data-table" data-testid="run-table">
          <thead>
            <tr>
              <th scope="col">{t('billing.col.period')}</th>
              <th scope="col">{t('billing.col.building')}</th>
              <th scope="col">{t('billing.col.status')}</th>
              <th scope="col" className="num">
                {t('billing.run.created')}
              </th>
              <th scope="col" className="num">
                {t('billing.run.existing')}
              </th>
              <th scope="col" className="num">
                {t('billing.run.skipped')}
              </th>
              <th scope="col" className="num">
                {t('billing.col.total')}
              </th>
              <th scope="col">{t('billing.run.started')}</th>
            </tr>
          </thead>
          <tbody>
            {runs.data.map((r: BillRun) => (
              <tr key={r.id} data-testid="run-row" data-run-id={r.id} data-status={r.status}>
                <td>{r.period}</td>
                <td>{r.buildingId ? nameOf(r.buildingId) : t('billing.run.wholeEstate')}</td>
                <td>
                  <span className={`pill pill--${r.status === 'done' ? 'ok' : r.status === 'failed' ? 'critical' : 'low'}`} title={r.error ?? undefined}>
                    {t(`billing.runStatus.${r.status}`)}
                  </span>
                </td>
                <td className="num">{r.billsCreated}</td>
                <td className="num">{r.billsExisting}</td>
                <td className="num">{r.unitsSkipped}</td>
                <td className="num">
                  <Money fen={r.totalFen} />
                </td>
                <td>
                  {formatDateTime(locale, r.startedAt)}
                  {r.startedBy ? <span className="muted small billing-block">{r.startedBy}</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Section>
  );
}
