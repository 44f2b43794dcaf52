import { useState } from 'preact/hooks';
import { newIdempotencyKey } from '../api/client';
import { type ColumnMapping, items as itemsApi } from '../api/endpoints';
import { describeError } from '../api/problem';
import type { ImportDone, ImportPreview } from '../api/types';
import { Checkbox } from '../components/Field';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { COLUMN_TARGETS, FIELD_HEADERS, TARGET_LABELS } from '../lib/csv-columns';
import { saveResponse, today } from '../lib/download';
import { formatNumber } from '../lib/format';
import { formatMoney } from '../lib/money';
import { href } from '../lib/router';
import { useStore } from '../lib/store';
import { announce } from '../state/announcer';
import { useCurrency } from '../state/currency';
import { mayAct, shopState } from '../state/shop';

/*
 * Import in three steps, each answered by the server (its dry run is the one truth: the app parses no
 * CSV itself): choose a file → the preview (columns to place, problems by row and column, what will be
 * created and changed field by field) → confirm → the result, with "Undo this import".
 * Export is anyone's (viewer); import, its template and undo are a manager's (src/http/routes/items.ts),
 * so below manager the import card is not shown at all.
 */

/** The fields a column can be placed in, with the words the merchant sees (the server's own list). */
const TARGETS = COLUMN_TARGETS.map((target) => [target, TARGET_LABELS[target]] as const);
/** An item field's name in the preview, as the export's headers write it. */
const FIELD_WORDS: Readonly<Record<string, string>> = FIELD_HEADERS;
const MAX_BYTES = 20 * 1024 * 1024;
const MONEY_FIELDS = new Set(['priceCents', 'costCents']);

export function ImportExport() {
  const currency = useCurrency();
  const [fileName, setFileName] = useState<string | null>(null);
  const [text, setText] = useState<string | null>(null);
  const [mapping, setMapping] = useState<ColumnMapping>({});
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [done, setDone] = useState<ImportDone | null>(null);
  const [undone, setUndone] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<'preview' | 'import' | 'undo' | null>(null);
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<string | null>(null);
  const [withArchived, setWithArchived] = useState(false);
  const imports = mayAct(useStore(shopState), 'manager');

  function reset() {
    setPreview(null);
    setDone(null);
    setUndone(null);
    setError(null);
  }

  async function runPreview(csv: string, m: ColumnMapping) {
    setBusy('preview');
    setError(null);
    try {
      const p = await itemsApi.previewImport(csv, m);
      setPreview(p);
      announce(`Preview ready: ${p.created} new, ${p.updated} changed, ${p.unchanged} unchanged, ${p.errors.length} problems.`);
    } catch (err) {
      setPreview(null);
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  }

  async function choose(e: Event) {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    reset();
    setMapping({});
    if (!file) {
      setText(null);
      setFileName(null);
      return;
    }
    if (file.size > MAX_BYTES) {
      setText(null);
      setError('That file is larger than 20 MB. Split it into smaller files.');
      return;
    }
    setFileName(file.name);
    const csv = await file.text();
    setText(csv);
    await runPreview(csv, {});
  }

  async function place(column: string, target: string) {
    if (text === null) return;
    const next = { ...mapping, [column]: target === '' ? null : target };
    setMapping(next);
    await runPreview(text, next);
  }

  async function confirm() {
    if (text === null) return;
    setBusy('import');
    setError(null);
    try {
      const res = await itemsApi.importCsv(text, mapping, newIdempotencyKey());
      setDone(res);
      setPreview(null);
      announce(`Imported: ${res.created} created, ${res.updated} updated.`);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  }

  async function undo() {
    if (!done) return;
    setBusy('undo');
    setError(null);
    try {
      const res = await itemsApi.undoImport(done.importId);
      const message = `Import undone: ${formatNumber(res.removed)} new item${res.removed === 1 ? '' : 's'} archived, ${formatNumber(res.restored)} restored.`;
      setUndone(message);
      setDone(null);
      announce(message);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  }

  async function download(kind: 'export' | 'template') {
    setExporting(true);
    setExportError(null);
    try {
      if (kind === 'export') await saveResponse(await itemsApi.exportCsv(withArchived), `stockade-items-${today()}.csv`);
      else await saveResponse(await itemsApi.importTemplate(), 'stockade-import-template.csv');
    } catch (err) {
      setExportError(describeError(err));
    } finally {
      setExporting(false);
    }
  }

  const show = (field: string, value: unknown) => {
    if (value === null || value === undefined || value === '') return '—';
    if (MONEY_FIELDS.has(field) && typeof value === 'number') return formatMoney(value, currency);
    if (Array.isArray(value)) return value.join('; ');
    return String(value);
  };
  const placedColumns = Object.keys(mapping);
  const toPlace = [...(preview?.unknownColumns ?? []), ...placedColumns.filter((c) => !(preview?.unknownColumns ?? []).includes(c))];
  const problems = preview?.errors.filter((e) => !e.path.startsWith('header/')) ?? [];
  const canImport = preview !== null && preview.errors.length === 0 && preview.created + preview.updated > 0;

  return (
    <section class="page">
      <PageTitle title="Import & export" />
      <div class="dash-grid">
        <section class="card" aria-labelledby="export-title">
          <h2 id="export-title">Export</h2>
          <p>Download every item as a CSV file that opens in any spreadsheet, with prices in {currency}.</p>
          <Checkbox
            label="Include archived items"
            name="archived"
            checked={withArchived}
            onChecked={setWithArchived}
            hint="Marked “yes” in an Archived column. Importing the file back leaves them archived."
          />
          {exportError ? <Notice tone="error">{exportError}</Notice> : null}
          <button type="button" class="btn btn--primary" onClick={() => download('export')} disabled={exporting}>
            {exporting ? 'Preparing…' : 'Download CSV'}
          </button>
        </section>
        {imports ? (
          <section class="card" aria-labelledby="import-title">
            <h2 id="import-title">Import</h2>
            <p>
              Upload a CSV with a header row: SKU, Name, Quantity, Price, Cost, Low-stock threshold, Location, Tags, Barcode … (common names
              such as Qty or Reorder level work too). Prices are amounts in {currency}, like 7.50 or 7,50. You see what will change before
              anything is saved, and you can undo an import.
            </p>
            <p>
              <button type="button" class="btn" onClick={() => download('template')} disabled={exporting}>
                Download a template
              </button>
            </p>
            <div class="field">
              <label for="csv-file">CSV file</label>
              <input id="csv-file" name="file" type="file" accept=".csv,text/csv" onChange={choose} />
            </div>
          </section>
        ) : null}
      </div>

      {error ? <Notice tone="error">{error}</Notice> : null}
      {busy === 'preview' ? <p role="status">Checking {fileName ?? 'the file'}…</p> : null}
      {undone ? <Notice tone="success">{undone}</Notice> : null}
      {done ? (
        <section class="card" aria-labelledby="done-title">
          <h2 id="done-title">Imported</h2>
          <Notice tone="success">
            Imported {fileName ?? 'the file'}: {formatNumber(done.created)} created, {formatNumber(done.updated)} updated.{' '}
            <a href={href('/items?sort=-updatedAt')}>See your items</a>
          </Notice>
          <button type="button" class="btn" onClick={undo} disabled={busy !== null}>
            {busy === 'undo' ? 'Undoing…' : 'Undo this import'}
          </button>
        </section>
      ) : null}

      {preview ? (
        <section aria-labelledby="preview-title" class="preview">
          <h2 id="preview-title">Preview of {fileName ?? 'the file'}: nothing is saved yet</h2>
          {toPlace.length > 0 ? (
            <fieldset class="stack">
              <legend>Columns we could not place</legend>
              {toPlace.map((column) => (
                <div class="field" key={column}>
                  <label for={`map-${column}`}>Column “{column}”</label>
                  <select
                    id={`map-${column}`}
                    value={mapping[column] ?? ''}
                    onChange={(e) => place(column, (e.currentTarget as HTMLSelectElement).value)}
                  >
                    <option value="">Ignore this column</option>
                    {TARGETS.map(([value, label]) => (
                      <option key={value} value={value}>
                        {label}
                      </option>
                    ))}
                  </select>
                </div>
              ))}
            </fieldset>
          ) : null}
          <p data-preview="counts">
            {formatNumber(preview.created)} new, {formatNumber(preview.updated)} changed, {formatNumber(preview.unchanged)} unchanged
            {preview.errors.length > 0 ? `, ${formatNumber(preview.errors.length)} problem${preview.errors.length === 1 ? '' : 's'}` : ''}.
          </p>
          {problems.length > 0 ? (
            <>
              <h3>Problems to fix in the file</h3>
              <ul class="error-list">
                {problems.map((e) => (
                  <li key={`${e.path}:${e.message}`}>
                    {e.path.replace(/^rows\/(\d+)\/?/, 'Row $1 ').replace(/\//g, ' ')}: {e.message}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          {preview.changes.length > 0 ? (
            <div class="table-wrap">
              <table class="table">
                <caption>Changes to existing items</caption>
                <thead>
                  <tr>
                    <th scope="col">Row</th>
                    <th scope="col">SKU</th>
                    <th scope="col">Field</th>
                    <th scope="col">Now</th>
                    <th scope="col">After import</th>
                  </tr>
                </thead>
                <tbody>
                  {preview.changes.map((c) => (
                    <tr key={`${c.row}:${c.field}`}>
                      <td>{c.row}</td>
                      <td>{c.sku}</td>
                      <td>{FIELD_WORDS[c.field] ?? c.field}</td>
                      <td>{show(c.field, c.from)}</td>
                      <td>{show(c.field, c.to)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          {preview.newItems.length > 0 ? (
            <div class="table-wrap">
              <table class="table">
                <caption>New items</caption>
                <thead>
                  <tr>
                    <th scope="col">Row</th>
                    <th scope="col">SKU</th>
                    <th scope="col">Name</th>
                  </tr>
                </thead>
                <tbody>
                  {preview.newItems.map((n) => (
                    <tr key={n.row}>
                      <td>{n.row}</td>
                      <td>{n.sku}</td>
                      <td>{n.name}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          {preview.truncated ? <p class="hint">Showing the first 1000 changes and new items; the counts are complete.</p> : null}
          <button type="button" class="btn btn--primary" onClick={confirm} disabled={!canImport || busy !== null}>
            {busy === 'import' ? 'Importing…' : 'Import these changes'}
          </button>
          {!canImport && preview.errors.length > 0 ? <p class="hint">Fix the problems above (or place the columns) to import.</p> : null}
        </section>
      ) : null}
    </section>
  );
}
