import { type CsvError, parse } from 'csv-parse/sync';
import { AppError, type FieldError } from '../errors.js';
import { parseMoney, quoted } from '../lib/money.js';
import { TAG_SEPARATOR, unescapeCell } from './csv-cells.js';
import { type ColumnMapping, type ColumnTarget, isDecimalMoney, readHeader, targetField } from './csv-columns.js';
import { checkNewItem, type ItemFieldName } from './fields.js';
import { fold } from './text.js';
import type { ItemFields } from './types.js';

/*
 * CSV import, phase one: parse and validate every row before anything is written. Problems are
 * collected, not thrown (a dry run shows them next to the preview of the good rows); the import itself
 * refuses the whole file (422 `validation`) if there is any. Each problem names the row (counted from 1
 * after the header, blank lines not counted), the column as the file calls it, and the value:
 * `{path: "rows/3/Price", message: "“7,50” has decimals, but JPY amounts are whole numbers"}`.
 * Only a file that cannot be read at all (not CSV, no header, too many rows) is thrown as a 422 here.
 *
 * Cells mean: an empty cell is the field's empty value (null; 0 for lowStockThreshold; no tags),
 * except quantity, where empty means "leave the stock as it is" (0 for a new item). A column that is
 * absent (or ignored) leaves that field of an existing item untouched. Money: `Price`/`Cost` cells are
 * decimals in the shop's currency (src/lib/money.ts refuses anything ambiguous), v1's
 * `priceCents`/`costCents` cells integer minor units.
 */

export const MAX_ROWS = 10_000;
/** Reporting stops here: a file with a systematic mistake would otherwise answer with 10,000 errors. */
const MAX_ERRORS = 100;

export interface ImportRow {
  /** 1-based data row number (for messages). */
  row: number;
  skuKey: string;
  fields: ItemFields;
  /** quantity given in the file (not empty): a new stock level to reach by a `correction`. */
  quantityGiven: boolean;
}

export interface ParsedImport {
  rows: ImportRow[];
  /** Fields the file's columns write; only these change on existing items. */
  columns: ItemFieldName[];
  /** Columns nobody could place, as the file names them (the web app's mapping step asks about these). */
  unknownColumns: string[];
  /** Every problem found (at most MAX_ERRORS); the rows above are the good ones. */
  errors: FieldError[];
}

export interface ParseOptions {
  /** The shop's currency (ISO 4217): what `Price` and `Cost` cells are written in. */
  currency: string;
  mapping?: ColumnMapping | undefined;
}

function reject(errors: FieldError[], detail = 'The CSV has errors; nothing was imported.'): AppError {
  return new AppError('validation', detail, { errors, status: 422 });
}

/** Refuses a parse that found problems (the import proper; a dry run shows them instead). */
export function refuseIfErrors(parsed: Pick<ParsedImport, 'errors'>): void {
  if (parsed.errors.length > 0) throw reject(parsed.errors);
}

const WHOLE = /^\d+$/;

type Cell = { value: unknown } | { error: string };

/** Cell text → the typed value fields.ts checks (strings stay strings, so a bad number is reported). */
function cellValue(target: ColumnTarget, raw: string, currency: string): Cell {
  const cell = unescapeCell(raw);
  if (isDecimalMoney(target)) {
    const money = parseMoney(cell, currency);
    return money.ok ? { value: money.minor } : { error: money.message };
  }
  switch (target) {
    case 'quantity':
    case 'lowStockThreshold':
    case 'priceCents':
    case 'costCents': {
      const t = cell.trim();
      if (t === '') return { value: target === 'lowStockThreshold' ? 0 : target === 'quantity' ? undefined : null };
      return { value: WHOLE.test(t) ? Number(t) : t };
    }
    case 'tags':
      return {
        value: cell
          .split(TAG_SEPARATOR)
          .map((t) => t.trim())
          .filter((t) => t !== ''),
      };
    default:
      return { value: cell };
  }
}

function parseRecords(text: string): { records: string[][]; lines: number[] } {
  try {
    const out = parse(text, {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      // One more than allowed (plus the header), so "too many rows" is detected without parsing 1e6.
      to: MAX_ROWS + 2,
      max_record_size: 1 << 20,
    }) as unknown as { record: string[]; info: { lines: number } }[];
    return { records: out.map((r) => r.record), lines: out.map((r) => r.info.lines) };
  } catch (err) {
    const e = err as CsvError;
    throw reject([{ path: 'csv', message: `is not valid CSV near line ${Number(e.lines) || 1} (${e.code})` }]);
  }
}

/**
 * A field error of checkNewItem ("rows/3/quantity", "rows/3/tags/1") in the file's words: the column as
 * the file names it, and the cell's value quoted in the message.
 */
function inFileTerms(
  error: FieldError,
  row: number,
  header: readonly string[],
  record: readonly string[],
  columnOf: Map<ItemFieldName, number>,
): FieldError {
  const m = /^rows\/\d+\/([^/]+)(.*)$/.exec(error.path);
  const index = m ? columnOf.get(m[1] as ItemFieldName) : undefined;
  if (!m || index === undefined) return error;
  const value = unescapeCell(record[index] ?? '');
  const message = value.trim() === '' ? error.message : `${quoted(value)} ${error.message}`;
  return { path: `rows/${row}/${header[index]?.trim()}${m[2]}`, message };
}

export function parseImport(text: string, options: ParseOptions): ParsedImport {
  const { records, lines } = parseRecords(text);
  const header = records[0];
  if (!header) throw reject([{ path: 'header', message: 'is missing: the first line must name the columns' }]);
  const dataRecords = records.slice(1).filter((r) => r.some((cell) => cell.trim() !== ''));
  if (dataRecords.length > MAX_ROWS) {
    throw reject([{ path: 'rows', message: `must be at most ${MAX_ROWS}` }], `At most ${MAX_ROWS} rows per import.`);
  }
  const { targets, unknown, errors } = readHeader(header, options.mapping ?? new Map());
  const columnOf = new Map<ItemFieldName, number>();
  targets.forEach((target, i) => {
    if (target !== null) columnOf.set(targetField(target), i);
  });
  const columns = [...columnOf.keys()];
  const rows: ImportRow[] = [];
  // Without a SKU and a name no row can be read: the header errors say which is missing.
  if (!columnOf.has('sku') || !columnOf.has('name')) return { rows, columns, unknownColumns: unknown, errors };
  const seen = new Map<string, number>();
  const seenBarcodes = new Map<string, number>();
  let rowNumber = 0;
  for (const [index, record] of records.entries()) {
    if (index === 0 || !record.some((cell) => cell.trim() !== '')) continue;
    rowNumber += 1;
    if (errors.length >= MAX_ERRORS) break;
    const prefix = `rows/${rowNumber}/`;
    if (record.length !== header.length) {
      errors.push({
        path: `rows/${rowNumber}`,
        message: `has ${record.length} cells but the header has ${header.length} (line ${lines[index]})`,
      });
      continue;
    }
    const input: Record<string, unknown> = {};
    const cellErrors: FieldError[] = [];
    targets.forEach((target, i) => {
      if (target === null) return;
      const cell = cellValue(target, record[i] as string, options.currency);
      if ('error' in cell) cellErrors.push({ path: `${prefix}${header[i]?.trim()}`, message: cell.error });
      else if (cell.value !== undefined) input[targetField(target)] = cell.value;
    });
    const checked = checkNewItem(input, prefix);
    if (cellErrors.length > 0 || !checked.ok) {
      errors.push(...cellErrors);
      if (!checked.ok) errors.push(...checked.errors.map((e) => inFileTerms(e, rowNumber, header, record, columnOf)));
      continue;
    }
    const skuKey = fold(checked.value.sku);
    const first = seen.get(skuKey);
    if (first !== undefined) {
      errors.push({
        path: `${prefix}${header[columnOf.get('sku') as number]?.trim()}`,
        message: `${quoted(checked.value.sku)} repeats the SKU of row ${first}`,
      });
      continue;
    }
    const barcode = checked.value.barcode;
    const firstWithBarcode = barcode === null ? undefined : seenBarcodes.get(barcode);
    if (firstWithBarcode !== undefined) {
      errors.push({
        path: `${prefix}${header[columnOf.get('barcode') as number]?.trim()}`,
        message: `${quoted(barcode as string)} repeats the barcode of row ${firstWithBarcode}`,
      });
      continue;
    }
    seen.set(skuKey, rowNumber);
    if (barcode !== null) seenBarcodes.set(barcode, rowNumber);
    rows.push({ row: rowNumber, skuKey, fields: checked.value, quantityGiven: input.quantity !== undefined });
  }
  return { rows, columns, unknownColumns: unknown, errors: errors.slice(0, MAX_ERRORS) };
}
