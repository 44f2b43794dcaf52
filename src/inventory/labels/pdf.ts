import PDFDocument from 'pdfkit';
import type { Label } from './sheet.js';

/*
 * Labels as an A4 PDF (pdfkit): a grid of 3 × 8 labels of 70 × 37 mm, the common self-adhesive sheet,
 * edge to edge. The standard Helvetica carries WinAnsi (Latin-1 and a few more) only, and pdfkit draws
 * other characters as wrong glyphs; they are printed as "?" instead, so a label never shows a different
 * name. (The HTML format prints any script the browser has a font for; docs/api.md says so.)
 */

const A4 = { width: 595.28, height: 841.89 };
const COLUMNS = 3;
const ROWS = 8;
export const LABELS_PER_PAGE = COLUMNS * ROWS;
const CELL = { width: A4.width / COLUMNS, height: A4.height / ROWS };
const PAD = 8;

// Printable ASCII, Latin-1 and the euro sign: what Helvetica's WinAnsi encoding draws as written.
const OUTSIDE_WINANSI = /[^\x20-\x7e\xa0-\xff€]/gu;
const printable = (text: string) => text.replace(OUTSIDE_WINANSI, '?');

export function labelsPdf(labels: readonly Label[]): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 0, autoFirstPage: false, info: { Title: 'Labels', Producer: 'Stockade' } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  labels.forEach((label, i) => {
    const slot = i % LABELS_PER_PAGE;
    if (slot === 0) doc.addPage();
    const x = (slot % COLUMNS) * CELL.width + PAD;
    const y = Math.floor(slot / COLUMNS) * CELL.height + PAD;
    const width = CELL.width - 2 * PAD;
    doc.font('Helvetica-Bold').fontSize(9).text(printable(label.name), x, y, { width, height: 22, ellipsis: true });
    doc
      .font('Helvetica')
      .fontSize(7)
      .text(printable(label.sku), x, y + 23, { width: width * 0.6, height: 9, ellipsis: true, lineBreak: false });
    if (label.price) {
      doc
        .font('Helvetica-Bold')
        .fontSize(11)
        .text(printable(label.price), x + width * 0.6, y + 20, { width: width * 0.4, align: 'right', lineBreak: false });
    }
    const top = y + 34;
    doc.image(label.png, x, top, { fit: [width, CELL.height - 2 * PAD - 34], align: 'center', valign: 'center' });
  });
  doc.end();
  return done;
}
