import { describe, expect, it } from 'vitest';
import { decodeCsv, headerKey, parseCsv } from './csv-reader.js';

describe('CSV reading', () => {
  it('reads quoted fields with commas, quotes and line breaks, numbering records by spreadsheet row', () => {
    const text = 'name,note\r\n"Zhang, Wei","said ""hi"""\r\nLi,"two\nlines"\n\nWang,\n';
    expect(parseCsv(text)).toEqual([
      { row: 1, fields: ['name', 'note'] },
      { row: 2, fields: ['Zhang, Wei', 'said "hi"'] },
      { row: 3, fields: ['Li', 'two\nlines'] },
      { row: 5, fields: ['Wang', ''] },
    ]);
  });

  it('reads a last line without a line break, and keeps a row of empty cells', () => {
    expect(parseCsv('a,b\n,\n1,2')).toEqual([
      { row: 1, fields: ['a', 'b'] },
      { row: 2, fields: ['', ''] },
      { row: 3, fields: ['1', '2'] },
    ]);
  });

  it('names the row of a quote left open or text after a closing quote', () => {
    expect(() => parseCsv('a\n"open\n')).toThrow(expect.objectContaining({ row: 2, message: 'a quoted field is not closed' }));
    expect(() => parseCsv('a,b\n1,"x"y\n')).toThrow(expect.objectContaining({ row: 2 }));
  });

  it('decodes UTF-8 with or without BOM, and GBK as Excel on Chinese Windows saves it', () => {
    expect(decodeCsv(Buffer.from('\ufeff楼栋,a'))).toBe('楼栋,a');
    expect(decodeCsv(Buffer.from([0xc2, 0xa5, 0xb6, 0xb0, 0x2c, 0x61]))).toBe('楼栋,a');
  });

  it('matches header names loosely', () => {
    expect(headerKey(' Area M2 ')).toBe('area_m2');
    expect(headerKey('national-id')).toBe('national_id');
  });
});
