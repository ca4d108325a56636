import { type ImportKind, type ImportReport } from '../api/hub-api.ts';

/**
 * The CSV import as the clerk goes through it: choose a file, check it (a dry run),
 * fix and check again until it is clean, then import exactly what was checked.
 */

/** The columns of each import, as the hub reads them (hub/src/records/records-import.schemas.ts). */
export const importColumns: Record<ImportKind, { required: string[]; optional: string[] }> = {
  units: { required: ['building', 'number'], optional: ['floor', 'area_m2', 'layout', 'location', 'status'] },
  owners: { required: ['name', 'national_id'], optional: ['id_type', 'phone', 'email', 'building', 'unit', 'role', 'from_date'] },
  staff: { required: ['name', 'email'], optional: ['position', 'phone', 'trades', 'buildings', 'active', 'username'] },
};

export interface ChosenFile {
  name: string;
  size: number;
  lastModified: number;
}

/** Identifies a file as chosen: choosing it again after editing it gives another key. */
export function fileKey(kind: ImportKind, file: ChosenFile): string {
  return `${kind}|${file.name}|${file.size}|${file.lastModified}`;
}

export interface CheckedFile {
  key: string;
  report: ImportReport;
}

/** Import only what a dry run of this very file, as this kind, found clean. */
export function canImport(checked: CheckedFile | null, key: string | null): boolean {
  return checked !== null && key !== null && checked.key === key && checked.report.dryRun && checked.report.rejected.length === 0 && checked.report.rows > 0;
}

export interface RowProblems {
  row: number;
  problems: { field: string; message: string }[];
}

/** Rejections grouped by spreadsheet row, in row order (the hub already sorts columns within a row). */
export function rejectionsByRow(report: ImportReport): RowProblems[] {
  const rows = new Map<number, RowProblems>();
  for (const r of report.rejected) {
    let entry = rows.get(r.row);
    if (!entry) rows.set(r.row, (entry = { row: r.row, problems: [] }));
    entry.problems.push({ field: r.field, message: r.message });
  }
  return [...rows.values()].sort((a, b) => a.row - b.row);
}

export type ReportOutcome = 'clean' | 'rejected' | 'imported' | 'empty';

export function reportOutcome(report: ImportReport): ReportOutcome {
  if (report.rejected.length) return 'rejected';
  if (report.rows === 0) return 'empty';
  return report.dryRun ? 'clean' : 'imported';
}
