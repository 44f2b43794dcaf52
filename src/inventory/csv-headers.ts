/*
 * The spreadsheet's vocabulary, shared by the server (csv-columns.ts: import, export, template) and the
 * web app's import screen (web/src/lib/csv-columns.ts re-exports this very file, like money.ts): the
 * headers the export writes, the fields a column can be mapped to, and the words the mapping step shows
 * for them. One list, so a field added on the server appears in the mapping step without a second edit
 * — two copies drifted silently before (the web's list had to be kept "the server's COLUMN_TARGETS" by
 * hand). Pure data, no imports: the web bundle takes it as it is.
 */

/** What a column can be mapped to: an item field, or a money field in either unit (docs/api.md "Spreadsheets"). */
export const COLUMN_TARGETS = [
  'sku',
  'name',
  'description',
  'quantity',
  'unit',
  'price',
  'cost',
  'priceCents',
  'costCents',
  'lowStockThreshold',
  'location',
  'tags',
  'barcode',
] as const;
export type ColumnTarget = (typeof COLUMN_TARGETS)[number];

/** The headers the export writes and the template holds, per item field, in the export's order. */
export const FIELD_HEADERS = {
  sku: 'SKU',
  name: 'Name',
  description: 'Description',
  quantity: 'Quantity',
  unit: 'Unit',
  priceCents: 'Price',
  costCents: 'Cost',
  lowStockThreshold: 'Low-stock threshold',
  location: 'Location',
  tags: 'Tags',
  barcode: 'Barcode',
} as const;
export type HeaderField = keyof typeof FIELD_HEADERS;

/**
 * How the mapping step names each target: the field's header, and for money which unit the column
 * holds (a decimal in the shop's currency, or v1's integer minor units).
 */
export const TARGET_LABELS: Record<ColumnTarget, string> = {
  ...FIELD_HEADERS,
  price: 'Price (decimal)',
  cost: 'Cost (decimal)',
  priceCents: 'Price in cents',
  costCents: 'Cost in cents',
};

/**
 * The column `export.csv?archived=true` adds. The import knows it and ignores it, whatever it holds:
 * archiving and restoring are DELETE /api/items/:id and POST …/restore, never a side effect of a
 * spreadsheet (an import that archived would also need its undo to restore). So an export imports back
 * unchanged, with or without this column.
 */
export const ARCHIVED_HEADER = 'Archived';
