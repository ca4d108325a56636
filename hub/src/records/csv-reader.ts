/**
 * Reading the CSV files the property office exports from spreadsheets (RFC 4180:
 * comma-separated, fields optionally in double quotes, "" for a quote inside, line
 * breaks inside quotes, CRLF or LF). Small enough to keep here rather than take a
 * dependency; what matters for the import report is that every record keeps its
 * spreadsheet row number (the header is row 1).
 */

export interface CsvRecord {
  /** Row in the spreadsheet the file came from: the header is 1, the first record 2. */
  row: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly row: number,
    message: string,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Excel on Chinese Windows saves "CSV" in the ANSI code page, GBK, whose superset GB 18030 decodes it. */
const gb18030 = new TextDecoder('gb18030');

/** The file's text: UTF-8 (with or without BOM), else GB 18030. */
export function decodeCsv(bytes: Uint8Array): string {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    text = gb18030.decode(bytes);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** All records, blank lines skipped. Throws CsvSyntaxError on a quote left open or text after a closing quote. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let afterQuote = false;
  let row = 1;
  let recordRow = 1;
  let sawAnything = false;

  const endField = () => {
    fields.push(field);
    field = '';
    afterQuote = false;
  };
  const endRecord = () => {
    endField();
    // A line with nothing on it (often the last one) is not a record.
    if (sawAnything || fields.length > 1) records.push({ row: recordRow, fields });
    fields = [];
    sawAnything = false;
    recordRow = ++row;
  };

  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
          afterQuote = true;
        }
      } else {
        field += c;
      }
      continue;
    }
    if (c === ',') {
      endField();
      sawAnything = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
    } else if (afterQuote) {
      throw new CsvSyntaxError(recordRow, 'text after a closing quote: a quote inside a quoted field is written ""');
    } else if (c === '"' && field === '') {
      quoted = true;
      sawAnything = true;
    } else {
      field += c;
      sawAnything = true;
    }
  }
  if (quoted) throw new CsvSyntaxError(recordRow, 'a quoted field is not closed');
  if (sawAnything || field !== '' || fields.length) endRecord();
  return records;
}

/** "Area M2" / "area-m2" / " AREA_M2 " → "area_m2": header names are matched loosely. */
export function headerKey(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}
