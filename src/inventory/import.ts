import type { Db, Queryable } from '../db/db.js';
import { AppError } from '../errors.js';
import { type ImportRow, parseImport } from './csv-import.js';
import type { ItemFieldName } from './fields.js';
import { idempotent } from './idempotency.js';
import { ITEM_COLUMNS, type ItemRow, toItem } from './rows.js';
import { inTenant, isUniqueViolation } from './tenant.js';
import { fold } from './text.js';
import type { ItemFields, Outcome, WriteContext } from './types.js';

/*
 * CSV import, phase two: all rows in one tenant transaction, in a few set-based statements (unnest of
 * parameter arrays), so 10,000 rows cost a handful of round trips. Existing items of this merchant are
 * matched by SKU key and locked (FOR UPDATE) before anything is computed, so a concurrent adjustment
 * waits and then applies on top: no stock change is lost. A changed quantity is never overwritten
 * silently: it becomes a ledger row of reason `correction` with the difference.
 * Another merchant's SKUs are invisible here (RLS and the WHERE): importing one creates the importer's
 * own item.
 */

const NOTE = 'CSV import';

/** Arrays for unnest, one per column, in ITEM write order; tags travel as JSON text per row. */
function columnsOf(rows: { fields: ItemFields }[]): unknown[][] {
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
  ];
}

const UNNEST_ARGS = (from: number) =>
  ['text', 'text', 'text', 'text', 'text', 'int', 'text', 'bigint', 'bigint', 'int', 'text', 'text']
    .map((t, i) => `$${from + i}::${t}[]`)
    .join(', ');
const UNNEST_COLUMNS =
  'sku, sku_key, name, name_key, description, quantity, unit, price_cents, cost_cents, low_stock_threshold, location, tags';
const TAGS_FROM_JSON = 'ARRAY(SELECT jsonb_array_elements_text(r.tags::jsonb))';

async function insertLedger(
  tx: Queryable,
  merchantId: string,
  by: string,
  entries: { itemId: string; delta: number; after: number }[],
): Promise<void> {
  if (entries.length === 0) return;
  await tx.query(
    `INSERT INTO movements (merchant_id, item_id, delta, quantity_after, reason, note, created_by)
     SELECT $1, r.item_id, r.delta, r.after, 'correction', $5, $6
     FROM unnest($2::uuid[], $3::int[], $4::int[]) AS r(item_id, delta, after)`,
    [merchantId, entries.map((e) => e.itemId), entries.map((e) => e.delta), entries.map((e) => e.after), NOTE, by],
  );
}

/** The item after applying the row's present columns; quantity only if the file gave one. */
function merged(current: ItemFields, row: ImportRow, columns: ItemFieldName[]): ItemFields {
  const out: ItemFields = { ...current };
  for (const column of columns) {
    if (column === 'quantity' && !row.quantityGiven) continue;
    (out as unknown as Record<string, unknown>)[column] = row.fields[column];
  }
  return out;
}

function differs(a: ItemFields, b: ItemFields): boolean {
  return (Object.keys(b) as (keyof ItemFields)[]).some((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

async function writeRows(
  tx: Queryable,
  merchantId: string,
  by: string,
  rows: ImportRow[],
  columns: ItemFieldName[],
): Promise<{ created: number; updated: number }> {
  const found = await tx.query<ItemRow & { sku_key: string }>(
    `SELECT ${ITEM_COLUMNS}, sku_key FROM items WHERE merchant_id = $1 AND sku_key = ANY($2::text[]) FOR UPDATE`,
    [merchantId, rows.map((r) => r.skuKey)],
  );
  const existing = new Map(found.rows.map((row) => [row.sku_key, toItem(row)]));
  const creates = rows.filter((r) => !existing.has(r.skuKey));
  const updates: { id: string; fields: ItemFields; before: number }[] = [];
  for (const row of rows) {
    const current = existing.get(row.skuKey);
    if (!current) continue;
    const { id, version: _v, createdAt: _c, updatedAt: _u, ...before } = current;
    const next = merged(before, row, columns);
    if (differs(before, next)) updates.push({ id, fields: next, before: current.quantity });
  }

  if (creates.length > 0) {
    const inserted = await tx.query<{ id: string; quantity: number }>(
      `INSERT INTO items (merchant_id, ${UNNEST_COLUMNS})
       SELECT $1, r.sku, r.sku_key, r.name, r.name_key, r.description, r.quantity, r.unit, r.price_cents,
              r.cost_cents, r.low_stock_threshold, r.location, ${TAGS_FROM_JSON}
       FROM unnest(${UNNEST_ARGS(2)}) AS r(${UNNEST_COLUMNS})
       RETURNING id, quantity`,
      [merchantId, ...columnsOf(creates)],
    );
    await insertLedger(
      tx,
      merchantId,
      by,
      inserted.rows.filter((r) => r.quantity > 0).map((r) => ({ itemId: r.id, delta: r.quantity, after: r.quantity })),
    );
  }
  if (updates.length > 0) {
    await tx.query(
      `UPDATE items AS i SET sku = r.sku, sku_key = r.sku_key, name = r.name, name_key = r.name_key,
         description = r.description, quantity = r.quantity, unit = r.unit, price_cents = r.price_cents,
         cost_cents = r.cost_cents, low_stock_threshold = r.low_stock_threshold, location = r.location,
         tags = ${TAGS_FROM_JSON}, version = i.version + 1, updated_at = date_trunc('milliseconds', now())
       FROM unnest($2::uuid[], ${UNNEST_ARGS(3)}) AS r(id, ${UNNEST_COLUMNS})
       WHERE i.merchant_id = $1 AND i.id = r.id`,
      [merchantId, updates.map((u) => u.id), ...columnsOf(updates)],
    );
    await insertLedger(
      tx,
      merchantId,
      by,
      updates
        .filter((u) => u.fields.quantity !== u.before)
        .map((u) => ({ itemId: u.id, delta: u.fields.quantity - u.before, after: u.fields.quantity })),
    );
  }
  return { created: creates.length, updated: updates.length };
}

/**
 * Imports a CSV: validates every row (422 with row errors, nothing written), then creates new SKUs and
 * updates existing ones in one transaction. `updated` counts items that actually changed, so importing
 * an unmodified export answers {created: 0, updated: 0}.
 */
export async function importCsv(
  db: Db,
  merchantId: string,
  csv: string,
  ctx: WriteContext,
): Promise<Outcome<{ created: number; updated: number }>> {
  const { rows, columns } = parseImport(csv);
  return inTenant(db, merchantId, (tx) =>
    idempotent(tx, merchantId, ctx.idempotency, async () => {
      try {
        return await writeRows(tx, merchantId, ctx.by, rows, columns);
      } catch (err) {
        // Another request created one of these SKUs between our lookup and our insert.
        if (isUniqueViolation(err, 'items_merchant_sku_key')) {
          throw new AppError('conflict', 'Items were changed while importing; retry the import.');
        }
        throw err;
      }
    }),
  );
}
