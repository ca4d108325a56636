import { useId, useState } from 'react';
import { isApiError, type ApiError } from '../api/client.ts';
import { importKinds, type ImportKind, type ImportReport } from '../api/hub-api.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { importRecords } from './import-api.ts';
import { canImport, fileKey, importColumns, rejectionsByRow, reportOutcome, type CheckedFile } from './import-flow.ts';
import { importKindLabel } from './labels.ts';

/**
 * CSV import: choose what and the file, check it (the hub's dry run shows every
 * rejected row and why), fix and check again; import once the check is clean.
 * The hub imports all rows or none.
 */
export function ImportPanel() {
  const t = useT();
  const ids = { file: useId(), kind: useId() };
  const [kind, setKind] = useState<ImportKind>('units');
  const [file, setFile] = useState<File | null>(null);
  const [checked, setChecked] = useState<CheckedFile | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [busy, setBusy] = useState<'check' | 'import' | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const key = file ? fileKey(kind, file) : null;
  const columns = importColumns[kind];

  const send = async (dryRun: boolean) => {
    if (!file || !key) return;
    setBusy(dryRun ? 'check' : 'import');
    setError(null);
    try {
      const answer = await importRecords(kind, file, dryRun);
      setReport(answer);
      setChecked(dryRun ? { key, report: answer } : null);
    } catch (cause) {
      if (isApiError(cause)) setError(cause);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="office-main records-import" aria-labelledby="records-import-title">
      <h2 className="visually-hidden" id="records-import-title">
        {t('records.tab.import')}
      </h2>
      <div className="card records-form">
        <div className="records-form__row">
          <div className="field">
            <label htmlFor={ids.kind}>{t('records.import.kind')}</label>
            <select
              id={ids.kind}
              data-testid="import-kind"
              value={kind}
              onChange={(e) => {
                setKind(e.target.value as ImportKind);
                setReport(null);
              }}
            >
              {importKinds.map((k) => (
                <option key={k} value={k}>
                  {importKindLabel(t, k)}
                </option>
              ))}
            </select>
          </div>
          <div className="field field--grow">
            <label htmlFor={ids.file}>{t('records.import.file')}</label>
            <input
              id={ids.file}
              type="file"
              accept=".csv,text/csv"
              data-testid="import-file"
              onChange={(e) => {
                setFile(e.target.files?.[0] ?? null);
                setReport(null);
              }}
            />
          </div>
        </div>
        <p className="small">
          {t('records.import.columns')} <code>{columns.required.join(', ')}</code> · {t('records.import.optional')} <code>{columns.optional.join(', ')}</code>
        </p>
        <p className="muted small">{t(`records.import.about.${kind}`)}</p>
        <p className="muted small">{t('records.import.hint')}</p>
        <div className="button-row">
          <button type="button" className="button" data-testid="import-dry-run" disabled={!file || busy !== null} onClick={() => void send(true)}>
            {busy === 'check' ? t('records.import.checking') : t('records.import.check')}
          </button>
          <button type="button" className="button button--primary" data-testid="import-submit" disabled={!canImport(checked, key) || busy !== null} onClick={() => void send(false)}>
            {busy === 'import' ? t('records.import.importing') : t('records.import.run')}
          </button>
        </div>
        {error ? <ErrorText error={error} /> : null}
      </div>
      {report ? <ImportReportView report={report} /> : null}
    </section>
  );
}

function ImportReportView({ report }: { report: ImportReport }) {
  const t = useT();
  const outcome = reportOutcome(report);
  const rows = rejectionsByRow(report);
  const text =
    outcome === 'clean'
      ? t('records.import.clean', { rows: report.rows })
      : outcome === 'imported'
        ? t('records.import.imported', { n: report.imported })
        : outcome === 'empty'
          ? t('records.import.empty')
          : t('records.import.rejected', { bad: report.rows - report.accepted, rows: report.rows, problems: report.rejected.length });
  return (
    <div className={`card records-report records-report--${outcome}`} data-testid="import-report" data-outcome={outcome} data-dry-run={report.dryRun} role="status">
      <p className="records-report__summary">{text}</p>
      {rows.length ? (
        <table className="data-table records-report__table">
          <thead>
            <tr>
              <th scope="col" className="num">
                {t('records.import.row')}
              </th>
              <th scope="col">{t('records.import.column')}</th>
              <th scope="col">{t('records.import.problem')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.flatMap((r) =>
              r.problems.map((p, i) => (
                <tr key={`${r.row}:${i}`} data-testid="import-rejected-row" data-row={r.row} data-field={p.field}>
                  <td className="num">{i === 0 ? r.row : ''}</td>
                  <td>
                    <code>{p.field}</code>
                  </td>
                  <td>{p.message}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
