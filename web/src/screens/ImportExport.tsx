import { useState } from 'preact/hooks';
import { newIdempotencyKey } from '../api/client';
import { items as itemsApi } from '../api/endpoints';
import { ApiError, describeError } from '../api/problem';
import type { FieldError, ItemInput } from '../api/types';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { parseCsv } from '../lib/csv';
import { saveResponse, today } from '../lib/download';
import { formatNumber } from '../lib/format';
import { href } from '../lib/router';
import { announce } from '../state/announcer';

/** The columns shown, in the order the export writes them; the compiler checks they are exactly the item's writable fields. */
const COLUMNS = [
  'sku',
  'name',
  'description',
  'quantity',
  'unit',
  'priceCents',
  'costCents',
  'lowStockThreshold',
  'location',
  'tags',
  'barcode',
] as const satisfies readonly (keyof ItemInput)[];
const everyColumn: Exclude<keyof ItemInput, (typeof COLUMNS)[number]> extends never ? true : never = true;
void everyColumn;

/** Header cell → field, as loosely as the server matches it (case, spaces, dashes, underscores). */
const looseField = (header: string) => header.toLowerCase().replace(/[\s_-]/g, '');
/** Rows shown in the preview when nothing is wrong; rows with errors are always shown. */
const PREVIEW_ROWS = 20;
const MAX_BYTES = 20 * 1024 * 1024;

/**
 * The data row (1 = first row after the header) a server error is about, from paths like
 * "rows/3/sku" or "row 3". Null for errors about the whole file (e.g. a missing column).
 */
export function rowOfError(e: FieldError): { row: number; field: string | null } | null {
  const m = /rows?[/\s[.]*(\d+)\]?(?:[/.](\w+))?/i.exec(e.path);
  if (!m) return null;
  return { row: Number(m[1]), field: m[2] ?? null };
}

interface Result {
  created: number;
  updated: number;
}

export function ImportExport() {
  const [fileName, setFileName] = useState<string | null>(null);
  const [text, setText] = useState<string | null>(null);
  const [rowErrors, setRowErrors] = useState<Map<number, string[]>>(new Map());
  /** "row:field" of each cell the server named, to mark the cell itself. */
  const [cellErrors, setCellErrors] = useState<Set<string>>(new Set());
  const [fileErrors, setFileErrors] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<Result | null>(null);
  const [busy, setBusy] = useState(false);
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<string | null>(null);

  async function choose(e: Event) {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    setResult(null);
    setError(null);
    setRowErrors(new Map());
    setCellErrors(new Set());
    setFileErrors([]);
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
    setText(await file.text());
  }

  async function upload(e: Event) {
    e.preventDefault();
    if (text === null) return;
    setBusy(true);
    setError(null);
    setResult(null);
    setRowErrors(new Map());
    setCellErrors(new Set());
    setFileErrors([]);
    try {
      const res = await itemsApi.importCsv(text, newIdempotencyKey());
      setResult(res);
      announce(`Imported: ${res.created} created, ${res.updated} updated.`);
    } catch (err) {
      if (err instanceof ApiError && err.fieldErrors.length > 0) {
        const byRow = new Map<number, string[]>();
        const cells = new Set<string>();
        const whole: string[] = [];
        for (const fe of err.fieldErrors) {
          const where = rowOfError(fe);
          if (!where) {
            whole.push(fe.message);
            continue;
          }
          if (where.field) cells.add(`${where.row}:${where.field.toLowerCase()}`);
          const list = byRow.get(where.row) ?? [];
          list.push(where.field ? `${where.field}: ${fe.message}` : fe.message);
          byRow.set(where.row, list);
        }
        setRowErrors(byRow);
        setCellErrors(cells);
        setFileErrors(whole);
        setError(
          `Nothing was imported: ${formatNumber(err.fieldErrors.length)} problem${err.fieldErrors.length === 1 ? '' : 's'} found. Fix the rows marked below and upload the file again.`,
        );
      } else {
        setError(describeError(err));
      }
    } finally {
      setBusy(false);
    }
  }

  async function exportCsv() {
    setExporting(true);
    setExportError(null);
    try {
      await saveResponse(await itemsApi.exportCsv(), `stockade-items-${today()}.csv`);
    } catch (err) {
      setExportError(describeError(err));
    } finally {
      setExporting(false);
    }
  }

  const rows = text !== null ? parseCsv(text) : [];
  const header = rows[0] ?? [];
  const body = rows.slice(1).map((cells, i) => ({ row: i + 1, cells }));
  const shown = rowErrors.size > 0 ? body.filter((r) => rowErrors.has(r.row)) : body.slice(0, PREVIEW_ROWS);

  return (
    <section class="page">
      <PageTitle title="Import & export" />
      <div class="dash-grid">
        <section class="card" aria-labelledby="export-title">
          <h2 id="export-title">Export</h2>
          <p>Download every item as a CSV file that opens in any spreadsheet.</p>
          {exportError ? <Notice tone="error">{exportError}</Notice> : null}
          <button type="button" class="btn btn--primary" onClick={exportCsv} disabled={exporting}>
            {exporting ? 'Preparing…' : 'Download CSV'}
          </button>
        </section>
        <section class="card" aria-labelledby="import-title">
          <h2 id="import-title">Import</h2>
          <p>
            Upload a CSV with a header row. New SKUs are created; existing SKUs are updated, and a different quantity is recorded as a stock
            correction. If any row has a problem, nothing is imported.
          </p>
          <p class="hint">
            Columns:{' '}
            {COLUMNS.map((c, i) => (
              <span key={c}>
                <code>{c}</code>
                {i < COLUMNS.length - 1 ? ', ' : ''}
              </span>
            ))}{' '}
            (any subset with sku; an export is a valid import). Prices in cents; tags separated by semicolons; an empty quantity leaves the
            stock as it is.
          </p>
          <form onSubmit={upload} class="stack" aria-label="Import CSV">
            <div class="field">
              <label for="csv-file">CSV file</label>
              <input id="csv-file" name="file" type="file" accept=".csv,text/csv" onChange={choose} />
            </div>
            <button type="submit" class="btn btn--primary" disabled={busy || text === null}>
              {busy ? 'Importing…' : 'Import'}
            </button>
          </form>
        </section>
      </div>

      {error ? <Notice tone="error">{error}</Notice> : null}
      {result ? (
        <Notice tone="success">
          Imported {fileName ?? 'the file'}: {formatNumber(result.created)} created, {formatNumber(result.updated)} updated.{' '}
          <a href={href('/items?sort=-updatedAt')}>See your items</a>
        </Notice>
      ) : null}
      {fileErrors.length > 0 ? (
        <ul class="error-list">
          {fileErrors.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      ) : null}

      {text !== null && rows.length > 0 ? (
        <section aria-labelledby="preview-title" class="preview">
          <h2 id="preview-title">
            {rowErrors.size > 0
              ? `Rows with problems (${formatNumber(rowErrors.size)} of ${formatNumber(body.length)})`
              : `Preview: ${fileName ?? 'file'} (${formatNumber(body.length)} row${body.length === 1 ? '' : 's'})`}
          </h2>
          <div class="table-wrap">
            <table class="table table--csv">
              <thead>
                <tr>
                  <th scope="col">Row</th>
                  {rowErrors.size > 0 ? <th scope="col">Problem</th> : null}
                  {header.map((h, i) => (
                    <th scope="col" key={i}>
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {shown.map(({ row, cells }) => (
                  <tr key={row} class={rowErrors.has(row) ? 'row--error' : undefined}>
                    <th scope="row">{row}</th>
                    {rowErrors.size > 0 ? (
                      <td class="row-error">
                        {(rowErrors.get(row) ?? []).map((m) => (
                          <div key={m}>{m}</div>
                        ))}
                      </td>
                    ) : null}
                    {cells.map((c, i) => {
                      const bad = cellErrors.has(`${row}:${looseField(header[i] ?? '')}`);
                      return (
                        <td key={i} class={bad ? 'cell--error' : undefined} aria-invalid={bad ? 'true' : undefined}>
                          {c}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {rowErrors.size === 0 && body.length > PREVIEW_ROWS ? <p class="hint">Showing the first {PREVIEW_ROWS} rows.</p> : null}
        </section>
      ) : null}
    </section>
  );
}
