import { AppError, type FieldError } from '../errors.js';
import type { ItemFieldName } from './fields.js';
import { ARCHIVED_HEADER, COLUMN_TARGETS, type ColumnTarget, FIELD_HEADERS } from './csv-headers.js';
import { fold } from './text.js';

/*
 * Which item field a spreadsheet column holds (docs/api.md "Spreadsheets"). Merchants bring their own
 * spreadsheets: headers are matched loosely (case, spaces, '_', '-' and '.' ignored) against the human
 * headers we export and their known aliases, and a column we cannot place is reported by name — the
 * import can then be sent again with a mapping that places it (or ignores it), never guessed.
 *
 * Money columns come in two kinds: `Price`/`Cost` hold decimals in the shop's currency ("7,50", "7.50";
 * src/lib/money.ts), v1's `priceCents`/`costCents` hold integer minor units. Both write the same field.
 */

// The vocabulary itself is shared with the web app's import screen: csv-headers.ts.
export { ARCHIVED_HEADER, COLUMN_TARGETS, type ColumnTarget } from './csv-headers.js';

/** The item field a target writes. */
export function targetField(target: ColumnTarget): ItemFieldName {
  return target === 'price' ? 'priceCents' : target === 'cost' ? 'costCents' : target;
}

/** Targets holding decimals in the shop's currency. */
export const isDecimalMoney = (target: ColumnTarget) => target === 'price' || target === 'cost';

/** The headers the export writes and the template holds, in the export's order (fields.ts ITEM_FIELDS). Typed by the item's fields: one without a header does not compile. */
export const HUMAN_HEADERS: Record<ItemFieldName, string> = FIELD_HEADERS;

/** Known names of each target, loosely written (see loose()). The human header is always one of them. */
const ALIASES: Record<ColumnTarget, readonly string[]> = {
  sku: ['sku', 'itemcode', 'productcode', 'code', 'articlenumber', 'partnumber', 'itemnumber', 'ref', 'reference'],
  name: ['name', 'itemname', 'productname', 'product', 'title', 'item'],
  description: ['description', 'desc', 'details'],
  quantity: ['quantity', 'qty', 'quantityonhand', 'qtyonhand', 'onhand', 'stock', 'instock', 'stocklevel', 'stockonhand'],
  unit: ['unit', 'uom', 'unitofmeasure'],
  price: ['price', 'sellingprice', 'saleprice', 'retailprice', 'unitprice'],
  cost: ['cost', 'costprice', 'unitcost', 'purchaseprice', 'buyprice'],
  priceCents: ['pricecents'],
  costCents: ['costcents'],
  lowStockThreshold: ['lowstockthreshold', 'lowstock', 'reorderlevel', 'reorderpoint', 'reorderat', 'minstock', 'minimumstock', 'minqty'],
  location: ['location', 'bin', 'shelf', 'place'],
  tags: ['tags', 'tag', 'category', 'categories', 'labels'],
  barcode: ['barcode', 'ean', 'ean13', 'upc', 'gtin'],
};

/** "Reorder level", "reorder_level", "REORDER-LEVEL" → "reorderlevel". */
const loose = (header: string) => fold(header).replace(/[\s_.-]/g, '');

const BY_ALIAS = new Map<string, ColumnTarget>(
  (Object.entries(ALIASES) as [ColumnTarget, readonly string[]][]).flatMap(([target, names]) => names.map((n) => [n, target] as const)),
);

/** The target a header names by itself (a human header or an alias); undefined if unknown. */
export function columnTarget(header: string): ColumnTarget | undefined {
  return BY_ALIAS.get(loose(header));
}

/**
 * A column mapping sent with an import: `{ "Their column": target | null }`, null meaning "ignore this
 * column". Keys are the file's headers exactly as written (surrounding spaces ignored). It overrides the
 * aliases for the columns it names.
 */
export type ColumnMapping = ReadonlyMap<string, ColumnTarget | null>;

const MAX_MAPPED = 100;

/** The `mapping` query parameter (JSON) → a mapping; 400 `validation` naming what is wrong. */
export function parseMapping(json: string | undefined): ColumnMapping {
  const out = new Map<string, ColumnTarget | null>();
  if (json === undefined) return out;
  const refuse = (message: string, path = 'mapping') =>
    new AppError('validation', 'The column mapping is not valid.', { errors: [{ path, message }] });
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw refuse('must be a JSON object: {"Their column": "field" or null}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw refuse('must be a JSON object: {"Their column": "field" or null}');
  const entries = Object.entries(value);
  if (entries.length > MAX_MAPPED) throw refuse(`must name at most ${MAX_MAPPED} columns`);
  for (const [column, target] of entries) {
    if (target !== null && !(COLUMN_TARGETS as readonly unknown[]).includes(target)) {
      throw refuse(`must be null (ignore the column) or one of ${COLUMN_TARGETS.join(', ')}`, `mapping/${column.slice(0, 100)}`);
    }
    out.set(column.trim(), target as ColumnTarget | null);
  }
  return out;
}

export interface ReadHeader {
  /** Per column of the file: its target, or null (ignored or unknown). */
  targets: (ColumnTarget | null)[];
  /** Columns nobody could place, by name as the file writes them (the mapping step lists them). */
  unknown: string[];
  errors: FieldError[];
}

/** Places each column of the header: the mapping first, then the aliases. */
export function readHeader(header: readonly string[], mapping: ColumnMapping): ReadHeader {
  const errors: FieldError[] = [];
  const unknown: string[] = [];
  const seen = new Map<ItemFieldName, string>();
  const names = header.map((h) => h.trim());
  for (const column of mapping.keys()) {
    if (!names.includes(column)) errors.push({ path: `mapping/${column}`, message: 'names a column the file does not have' });
  }
  const targets = names.map((name) => {
    // Our own Archived column, unless the mapping places it: read and ignored (see ARCHIVED_HEADER).
    if (!mapping.has(name) && loose(name) === loose(ARCHIVED_HEADER)) return null;
    const target = mapping.has(name) ? (mapping.get(name) ?? null) : (columnTarget(name) ?? null);
    if (target === null) {
      if (!mapping.has(name)) {
        unknown.push(name);
        errors.push({ path: `header/${name}`, message: 'is not a column we know: map it to a field, or ignore it' });
      }
      return null;
    }
    const field = targetField(target);
    const earlier = seen.get(field);
    if (earlier !== undefined) {
      errors.push({ path: `header/${name}`, message: `holds the same field (${field}) as the column ${earlier}` });
      return null;
    }
    seen.set(field, name);
    return target;
  });
  for (const required of ['sku', 'name'] as const) {
    if (!seen.has(required)) errors.push({ path: 'header', message: `must include a column for ${HUMAN_HEADERS[required]}` });
  }
  return { targets, unknown, errors };
}
