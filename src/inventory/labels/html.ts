import { createHash } from 'node:crypto';
import type { Label } from './sheet.js';

/*
 * Labels as a print-ready HTML page: the browser's own print dialog makes the sheet (any script the
 * browser has a font for prints, unlike the PDF's Helvetica). The page is served with its own CSP,
 * stricter than the app's: no script at all, no request of any kind (the barcodes are data: images in
 * the page), and its one style sheet allowed by hash, not by 'unsafe-inline'. Every text is escaped.
 */

const STYLE = `@page{size:A4;margin:0}*{box-sizing:border-box}body{margin:0;font:9pt/1.2 system-ui,sans-serif;color:#000;background:#fff}
.sheet{display:grid;grid-template-columns:repeat(3,70mm);grid-auto-rows:37.125mm}
.label{padding:2.5mm;overflow:hidden;display:flex;flex-direction:column;break-inside:avoid}
.name{font-weight:700;max-height:2.4em;overflow:hidden}
.meta{display:flex;justify-content:space-between;align-items:baseline;gap:2mm}
.sku{font-family:ui-monospace,monospace;font-size:7pt;overflow:hidden;white-space:nowrap;text-overflow:ellipsis}
.price{font-weight:700;font-size:11pt;white-space:nowrap}
.code{flex:1;min-height:0;display:flex;justify-content:center;align-items:center}
.code img{max-width:100%;max-height:100%;image-rendering:pixelated}
@media screen{body{background:#eee}.sheet{background:#fff;width:210mm;margin:0 auto}.label{outline:1px dashed #bbb}}`;

const styleHash = createHash('sha256').update(STYLE).digest('base64');

/** The page's own policy (sent instead of the app's): nothing but its images and its one style element. */
export const LABELS_HTML_CSP = [
  "default-src 'none'",
  'img-src data:',
  `style-src 'sha256-${styleHash}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

export function labelsHtml(labels: readonly Label[]): string {
  const cells = labels
    .map(
      (l) =>
        `<div class="label"><div class="name">${escapeHtml(l.name)}</div><div class="meta"><span class="sku">${escapeHtml(l.sku)}</span><span class="price">${escapeHtml(l.price)}</span></div><div class="code"><img alt="${escapeHtml(`${l.symbology === 'code128' ? 'Code 128' : 'QR code'}: ${l.code}`)}" data-code="${escapeHtml(l.code)}" src="data:image/png;base64,${l.png.toString('base64')}"></div></div>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Labels</title><style>${STYLE}</style></head>
<body><main class="sheet">
${cells}
</main></body></html>
`;
}
