import { describe, expect, it } from 'vitest';
import { type ImportReport } from '../api/hub-api.ts';
import { canImport, fileKey, rejectionsByRow, reportOutcome } from './import-flow.ts';

const report = (over: Partial<ImportReport> = {}): ImportReport => ({ kind: 'units', dryRun: true, rows: 3, accepted: 3, imported: 0, rejected: [], ...over });

describe('CSV import flow', () => {
  const file = { name: 'units.csv', size: 120, lastModified: 1 };
  const key = fileKey('units', file);

  it('imports only the file (and kind) a clean dry run checked', () => {
    expect(canImport({ key, report: report() }, key)).toBe(true);
    expect(canImport(null, key)).toBe(false);
    expect(canImport({ key, report: report({ rejected: [{ row: 2, field: 'number', message: 'is required' }], accepted: 2 }) }, key)).toBe(false);
    expect(canImport({ key, report: report() }, fileKey('units', { ...file, lastModified: 2 }))).toBe(false);
    expect(canImport({ key, report: report() }, fileKey('owners', file))).toBe(false);
    expect(canImport({ key, report: report({ rows: 0, accepted: 0 }) }, key)).toBe(false);
  });

  it('groups rejections by row', () => {
    const grouped = rejectionsByRow(
      report({
        rejected: [
          { row: 1, field: 'colour', message: 'unknown column' },
          { row: 4, field: 'floor', message: 'no floor' },
          { row: 3, field: 'number', message: 'is required' },
          { row: 3, field: 'status', message: 'expected one of …' },
        ],
      }),
    );
    expect(grouped.map((g) => [g.row, g.problems.map((p) => p.field)])).toEqual([
      [1, ['colour']],
      [3, ['number', 'status']],
      [4, ['floor']],
    ]);
  });

  it('says what a report means', () => {
    expect(reportOutcome(report())).toBe('clean');
    expect(reportOutcome(report({ dryRun: false, imported: 3 }))).toBe('imported');
    expect(reportOutcome(report({ rejected: [{ row: 2, field: 'x', message: 'y' }] }))).toBe('rejected');
    expect(reportOutcome(report({ rows: 0, accepted: 0 }))).toBe('empty');
  });
});
