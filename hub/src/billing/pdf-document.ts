import { existsSync, readFileSync } from 'node:fs';
import PDFDocument from 'pdfkit';

/**
 * PDFs of the office (receipts, lawyer's letters, reports) in Chinese and English.
 * PDF's standard fonts have no Chinese, so a CJK font is embedded (subset to the
 * characters used): PDF_FONT if set, else the first system font found (Debian's
 * fonts-noto-cjk, fonts-wqy-*, or the Droid fallback). Without one the documents are
 * still made, in Helvetica, and Chinese text shows as gaps: `cjk` says which.
 */
const CANDIDATES: { path: string; family?: string }[] = [
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', family: 'WenQuanYi Micro Hei' },
  { path: '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', family: 'WenQuanYi Zen Hei' },
  { path: '/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf' },
];

export interface PdfFont {
  path: string | null;
  family?: string;
  cjk: boolean;
}

let found: PdfFont | undefined;

export function pdfFont(env: NodeJS.ProcessEnv = process.env): PdfFont {
  if (env.PDF_FONT) return { path: env.PDF_FONT, family: env.PDF_FONT_FAMILY || undefined, cjk: true };
  found ??= CANDIDATES.find((c) => existsSync(c.path)) ? { ...CANDIDATES.find((c) => existsSync(c.path))!, cjk: true } : { path: null, cjk: false };
  return found;
}

/**
 * The font file, read once: a CJK collection is some 20 MB, and reading it for every
 * receipt was most of the time a receipt took. Kept for the life of the process once a
 * PDF has been made.
 */
const fontFiles = new Map<string, Buffer>();
function fontBytes(path: string): Buffer {
  let bytes = fontFiles.get(path);
  if (!bytes) fontFiles.set(path, (bytes = readFileSync(path)));
  return bytes;
}

export interface PdfInfo {
  title: string;
  /** Shown as the PDF's author. */
  author?: string;
}

/**
 * Makes a document with the CJK font selected, lets `draw` write it, and resolves to
 * the finished bytes. A4, 50 pt margins.
 */
export async function renderPdf(info: PdfInfo, draw: (doc: PDFKit.PDFDocument, font: PdfFont) => void): Promise<Buffer> {
  const font = pdfFont();
  const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: info.title, Author: info.author ?? 'Warden', Creator: 'Warden' }, compress: true });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  if (font.path) {
    doc.registerFont('body', fontBytes(font.path), font.family);
    doc.font('body');
  } else {
    doc.font('Helvetica');
  }
  draw(doc, font);
  doc.end();
  return done;
}
