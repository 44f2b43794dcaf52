import { type CsvError, parse } from 'csv-parse/sync';
import { AppError, type FieldError } from '../errors.js';
import { columnField, TAG_SEPARATOR, unescapeCell } from './csv-cells.js';
import { checkNewItem, type ItemFieldName } from './fields.js';
import { fold } from './text.js';
import type { ItemFields } from './types.js';

/*
 * CSV import, phase one: parse and validate every row before anything is written. Any problem makes the
 * whole import a 422 `validation` listing the problems by row and field ("rows/3/quantity", rows
 * counted from 1 after the header, blank lines not counted), and nothing is written.
 *
 * Cells mean: an empty cell is the field's empty value (null; 0 for lowStockThreshold; no tags),
 * except quantity, where empty means "leave the stock as it is" (0 for a new item). A column that is
 * absent leaves that field of an existing item untouched.
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
  /** Columns present in the header; only these change on existing items. */
  columns: ItemFieldName[];
}

function reject(errors: FieldError[], detail = 'The CSV has errors; nothing was imported.'): AppError {
  return new AppError('validation', detail, { errors, status: 422 });
}

const WHOLE = /^\d+$/;

/** Cell text → the typed value fields.ts checks (strings stay strings, so a bad number is reported). */
function cellValue(field: ItemFieldName, raw: string): unknown {
  const cell = unescapeCell(raw);
  switch (field) {
    case 'quantity':
    case 'lowStockThreshold':
    case 'priceCents':
    case 'costCents': {
      const t = cell.trim();
      if (t === '') return field === 'lowStockThreshold' ? 0 : field === 'quantity' ? undefined : null;
      return WHOLE.test(t) ? Number(t) : t;
    }
    case 'tags':
      return cell
        .split(TAG_SEPARATOR)
        .map((t) => t.trim())
        .filter((t) => t !== '');
    default:
      return cell;
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

function readHeader(header: string[] | undefined): ItemFieldName[] {
  if (!header) throw reject([{ path: 'header', message: 'is missing: the first line must name the columns' }]);
  const errors: FieldError[] = [];
  const columns: ItemFieldName[] = [];
  header.forEach((name, i) => {
    const field = columnField(name);
    if (!field) errors.push({ path: `header/${i}`, message: `is not a known column` });
    else if (columns.includes(field)) errors.push({ path: `header/${i}`, message: `repeats the column ${field}` });
    columns.push(field ?? ('' as ItemFieldName));
  });
  for (const required of ['sku', 'name'] as const) {
    if (!columns.includes(required)) errors.push({ path: 'header', message: `must include the column ${required}` });
  }
  if (errors.length > 0) throw reject(errors);
  return columns;
}

export function parseImport(text: string): ParsedImport {
  const { records, lines } = parseRecords(text);
  const columns = readHeader(records[0]);
  const dataRecords = records.slice(1).filter((r) => r.some((cell) => cell.trim() !== ''));
  if (dataRecords.length > MAX_ROWS) {
    throw reject([{ path: 'rows', message: `must be at most ${MAX_ROWS}` }], `At most ${MAX_ROWS} rows per import.`);
  }
  const errors: FieldError[] = [];
  const rows: ImportRow[] = [];
  const seen = new Map<string, number>();
  const seenBarcodes = new Map<string, number>();
  let rowNumber = 0;
  for (const [index, record] of records.entries()) {
    if (index === 0 || !record.some((cell) => cell.trim() !== '')) continue;
    rowNumber += 1;
    if (errors.length >= MAX_ERRORS) break;
    const prefix = `rows/${rowNumber}/`;
    if (record.length !== columns.length) {
      errors.push({
        path: `rows/${rowNumber}`,
        message: `has ${record.length} cells but the header has ${columns.length} (line ${lines[index]})`,
      });
      continue;
    }
    const input: Record<string, unknown> = {};
    columns.forEach((field, i) => {
      const value = cellValue(field, record[i] as string);
      if (value !== undefined) input[field] = value;
    });
    const checked = checkNewItem(input, prefix);
    if (!checked.ok) {
      errors.push(...checked.errors);
      continue;
    }
    const skuKey = fold(checked.value.sku);
    const first = seen.get(skuKey);
    if (first !== undefined) {
      errors.push({ path: `${prefix}sku`, message: `repeats the SKU of row ${first}` });
      continue;
    }
    const barcode = checked.value.barcode;
    const firstWithBarcode = barcode === null ? undefined : seenBarcodes.get(barcode);
    if (firstWithBarcode !== undefined) {
      errors.push({ path: `${prefix}barcode`, message: `repeats the barcode of row ${firstWithBarcode}` });
      continue;
    }
    seen.set(skuKey, rowNumber);
    if (barcode !== null) seenBarcodes.set(barcode, rowNumber);
    rows.push({ row: rowNumber, skuKey, fields: checked.value, quantityGiven: input.quantity !== undefined });
  }
  if (errors.length > 0) throw reject(errors.slice(0, MAX_ERRORS));
  return { rows, columns };
}
