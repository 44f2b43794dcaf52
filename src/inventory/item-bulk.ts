import type { Queryable } from '../db/db.js';
import { fold } from './text.js';
import type { ItemFields, Reason } from './types.js';

/*
 * Set-based writes of many items at once (CSV import and its undo): one parameter array per column,
 * unnest()ed in SQL, so a batch is one statement whatever its size.
 */

const NOTE = 'CSV import';
/** The reason of every movement an import (and its undo) writes (migration 013): a system reason, never `received`. */
export const IMPORT_REASON: Reason = 'import';

/** Arrays for unnest, one per column, in ITEM write order; tags travel as JSON text per row. */
export function columnsOf(rows: { fields: ItemFields }[]): unknown[][] {
  return [
    rows.map((r) => r.fields.sku),
    rows.map((r) => fold(r.fields.sku)),
    rows.map((r) => r.fields.name),
    rows.map((r) => fold(r.fields.name)),
    rows.map((r) => r.fields.description),
    rows.map((r) => r.fields.quantity),
    rows.map((r) => r.fields.unit),
    rows.map((r) => r.fields.priceCents),
    rows.map((r) => r.fields.costCents),
    rows.map((r) => r.fields.lowStockThreshold),
    rows.map((r) => r.fields.location),
    rows.map((r) => JSON.stringify(r.fields.tags)),
    rows.map((r) => r.fields.barcode),
  ];
}

export const UNNEST_ARGS = (from: number) =>
  ['text', 'text', 'text', 'text', 'text', 'int', 'text', 'bigint', 'bigint', 'int', 'text', 'text', 'text']
    .map((t, i) => `$${from + i}::${t}[]`)
    .join(', ');
export const UNNEST_COLUMNS =
  'sku, sku_key, name, name_key, description, quantity, unit, price_cents, cost_cents, low_stock_threshold, location, tags, barcode';
export const TAGS_FROM_JSON = 'ARRAY(SELECT jsonb_array_elements_text(r.tags::jsonb))';

export async function insertLedger(
  tx: Queryable,
  shopId: string,
  by: string,
  entries: { itemId: string; delta: number; after: number }[],
  reason: Reason = IMPORT_REASON,
  note = NOTE,
): Promise<void> {
  if (entries.length === 0) return;
  await tx.query(
    `INSERT INTO movements (shop_id, item_id, delta, quantity_after, reason, note, created_by)
     SELECT $1, r.item_id, r.delta, r.after, $7, $5, $6
     FROM unnest($2::uuid[], $3::int[], $4::int[]) AS r(item_id, delta, after)`,
    [shopId, entries.map((e) => e.itemId), entries.map((e) => e.delta), entries.map((e) => e.after), note, by, reason],
  );
}
