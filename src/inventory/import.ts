import type { Db, Queryable } from '../db/db.js';
import { AppError, type FieldError } from '../errors.js';
import type { ImportRow } from './csv-import.js';
import { parseImportOffLoop } from './csv-parse-off-loop.js';
import { type ItemFieldName, stockValueError } from './fields.js';
import { idempotent } from './idempotency.js';
import { ITEM_COLUMNS, type ItemRow, toItem } from './rows.js';
import { inTenant, isUniqueViolation } from './tenant.js';
import { lockShopMoneyShared } from '../shops/money-lock.js';
import { fold } from './text.js';
import type { Item, ItemFields, Outcome, WriteContext } from './types.js';

/*
 * CSV import, phase two: all rows in one tenant transaction, in set-based statements (unnest of
 * parameter arrays) of a few rows each (BATCH below), so no single
 * statement holds the event loop (S-88); a failure anywhere rolls back every batch. Existing items of this merchant are
 * matched by SKU key and locked (FOR UPDATE) before anything is computed, so a concurrent adjustment
 * waits and then applies on top: no stock change is lost. A changed quantity is never overwritten
 * silently: it becomes a ledger row of reason `import` with the difference.
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
    rows.map((r) => r.fields.barcode),
  ];
}

const UNNEST_ARGS = (from: number) =>
  ['text', 'text', 'text', 'text', 'text', 'int', 'text', 'bigint', 'bigint', 'int', 'text', 'text', 'text']
    .map((t, i) => `$${from + i}::${t}[]`)
    .join(', ');
const UNNEST_COLUMNS =
  'sku, sku_key, name, name_key, description, quantity, unit, price_cents, cost_cents, low_stock_threshold, location, tags, barcode';
const TAGS_FROM_JSON = 'ARRAY(SELECT jsonb_array_elements_text(r.tags::jsonb))';

async function insertLedger(
  tx: Queryable,
  shopId: string,
  by: string,
  entries: { itemId: string; delta: number; after: number }[],
): Promise<void> {
  if (entries.length === 0) return;
  await tx.query(
    `INSERT INTO movements (shop_id, item_id, delta, quantity_after, reason, note, created_by)
     SELECT $1, r.item_id, r.delta, r.after, 'import', $5, $6
     FROM unnest($2::uuid[], $3::int[], $4::int[]) AS r(item_id, delta, after)`,
    [shopId, entries.map((e) => e.itemId), entries.map((e) => e.delta), entries.map((e) => e.after), NOTE, by],
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

/*
 * Statement sizes. PGlite runs SQL on this very thread: inserting 2 KB rows there costs ~0.5 ms a row and
 * looking up 100 SKUs ~7 ms (more on a busy machine: 64-row inserts held the loop 35–190 ms), so its
 * statements are small. A PostgreSQL server does the work elsewhere; only parameters are serialised
 * here, so its statements can be larger (fewer round trips).
 */
const BATCH: Record<Db['kind'], { rows: number; chars: number }> = {
  pglite: { rows: 25, chars: 16 * 1024 },
  postgres: { rows: 200, chars: 128 * 1024 },
};
type BatchSize = (typeof BATCH)[Db['kind']];

function rowChars(f: ItemFields): number {
  return f.sku.length + f.name.length + (f.description?.length ?? 0) + (f.location?.length ?? 0) + 64;
}

/** Consecutive slices of `items`, each within the batch's rows and characters. */
function batches<T>(items: readonly T[], max: BatchSize, size: (item: T) => number): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let chars = 0;
  for (const item of items) {
    const n = size(item);
    if (current.length > 0 && (current.length >= max.rows || chars + n > max.chars)) {
      out.push(current);
      current = [];
      chars = 0;
    }
    current.push(item);
    chars += n;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Lets the event loop run between batches of work done on this thread (PGlite, comparisons). */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function writeRows(
  tx: Queryable,
  max: BatchSize,
  shopId: string,
  by: string,
  rows: ImportRow[],
  columns: ItemFieldName[],
): Promise<{ created: number; updated: number }> {
  // Prices and costs are in the shop's currency: not while it changes (shops/money-lock.ts).
  if (columns.includes('priceCents') || columns.includes('costCents')) await lockShopMoneyShared(tx, shopId);
  const existing = new Map<string, Item>();
  for (const batch of batches(rows, max, (r) => r.skuKey.length + 64)) {
    const found = await tx.query<ItemRow & { sku_key: string }>(
      `SELECT ${ITEM_COLUMNS}, sku_key FROM items WHERE shop_id = $1 AND sku_key = ANY($2::text[]) FOR UPDATE`,
      [shopId, batch.map((r) => r.skuKey)],
    );
    for (const row of found.rows) existing.set(row.sku_key, toItem(row));
    await yieldToLoop();
  }
  const creates = rows.filter((r) => !existing.has(r.skuKey));
  const updates: { id: string; row: number; fields: ItemFields; before: number }[] = [];
  const errors: FieldError[] = [];
  for (const [i, row] of rows.entries()) {
    if (i % 500 === 499) await yieldToLoop();
    const current = existing.get(row.skuKey);
    if (!current) continue;
    const { id, version: _v, createdAt: _c, updatedAt: _u, archivedAt: _a, ...before } = current;
    const next = merged(before, row, columns);
    // A row may set a price on an item whose stock it leaves alone: the bound is on the merged item.
    const tooValuable = stockValueError(next, `rows/${row.row}/`);
    if (tooValuable) errors.push(tooValuable);
    else if (differs(before, next)) updates.push({ id, row: row.row, fields: next, before: current.quantity });
  }
  if (errors.length > 0) {
    throw new AppError('validation', 'The CSV has errors; nothing was imported.', { errors: errors.slice(0, 100), status: 422 });
  }

  for (const batch of batches(creates, max, (r) => rowChars(r.fields))) {
    const inserted = await tx.query<{ id: string; quantity: number }>(
      `INSERT INTO items (shop_id, ${UNNEST_COLUMNS})
       SELECT $1, r.sku, r.sku_key, r.name, r.name_key, r.description, r.quantity, r.unit, r.price_cents,
              r.cost_cents, r.low_stock_threshold, r.location, ${TAGS_FROM_JSON}, r.barcode
       FROM unnest(${UNNEST_ARGS(2)}) AS r(${UNNEST_COLUMNS})
       RETURNING id, quantity`,
      [shopId, ...columnsOf(batch)],
    );
    await yieldToLoop();
    await insertLedger(
      tx,
      shopId,
      by,
      inserted.rows.filter((r) => r.quantity > 0).map((r) => ({ itemId: r.id, delta: r.quantity, after: r.quantity })),
    );
    await yieldToLoop();
  }
  for (const batch of batches(updates, max, (u) => rowChars(u.fields))) {
    await tx.query(
      `UPDATE items AS i SET sku = r.sku, sku_key = r.sku_key, name = r.name, name_key = r.name_key,
         description = r.description, quantity = r.quantity, unit = r.unit, price_cents = r.price_cents,
         cost_cents = r.cost_cents, low_stock_threshold = r.low_stock_threshold, location = r.location,
         tags = ${TAGS_FROM_JSON}, barcode = r.barcode, version = i.version + 1, updated_at = date_trunc('milliseconds', now())
       FROM unnest($2::uuid[], ${UNNEST_ARGS(3)}) AS r(id, ${UNNEST_COLUMNS})
       WHERE i.shop_id = $1 AND i.id = r.id`,
      [shopId, batch.map((u) => u.id), ...columnsOf(batch)],
    );
    await yieldToLoop();
    await insertLedger(
      tx,
      shopId,
      by,
      batch
        .filter((u) => u.fields.quantity !== u.before)
        .map((u) => ({ itemId: u.id, delta: u.fields.quantity - u.before, after: u.fields.quantity })),
    );
    await yieldToLoop();
  }
  return { created: creates.length, updated: updates.length };
}

/*
 * One import at a time per shop. This server: a set of shops whose import is between parse and
 * commit (one per app, passed in by the route), so a second one is refused before it costs a worker. Across servers: a transaction-level
 * advisory lock taken first thing in the write transaction (released by COMMIT, ROLLBACK or a dropped
 * connection, so a crash cannot leave it held). Two servers may both parse, but only one writes; the
 * other answers 409 like a second import on the same server. The lock key is (IMPORT_LOCK, hash of the
 * shop id): a hash collision between two shops can only refuse an import with 409, never mix data.
 */
/** For callers that pass no set of their own (tests, scripts): one per process. */
const importingHere = new Set<string>();
const IMPORT_LOCK = 0x53_54_4b_49; // "STKI"

function importRunning(): AppError {
  return new AppError('conflict', 'Another import is running for this account; wait for it to finish, then retry.', {
    retryAfter: 5,
  });
}

export interface ImportContext extends WriteContext {
  /**
   * An Idempotency-Key whose request hash is computed from the decoded body on the worker (hashing 20 MB
   * here would stall the loop); the ticket is then { key, that hash }. Instead of `idempotency`.
   */
  keyed?: { key: string; method: string; path: string } | undefined;
}

/**
 * Imports a CSV: validates every row off the event loop (422 with row errors, nothing written), then
 * creates new SKUs and updates existing ones in one transaction. `updated` counts items that actually
 * changed, so importing an unmodified export answers {created: 0, updated: 0}. A second import of the
 * same shop while one runs → 409 `conflict` (Retry-After: 5).
 */
export async function importCsv(
  db: Db,
  shopId: string,
  csv: string | Uint8Array,
  ctx: ImportContext,
  importing: Set<string> = importingHere,
): Promise<Outcome<{ created: number; updated: number }>> {
  if (importing.has(shopId)) throw importRunning();
  importing.add(shopId);
  try {
    const { parsed, requestHash } = await parseImportOffLoop({
      csv,
      ...(ctx.keyed ? { hashFor: { method: ctx.keyed.method, path: ctx.keyed.path } } : {}),
    });
    const ticket = ctx.keyed && requestHash ? { key: ctx.keyed.key, requestHash } : ctx.idempotency;
    const { rows, columns } = parsed;
    return await inTenant(db, shopId, async (tx) => {
      const lock = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1::int, hashtext($2)) AS ok', [IMPORT_LOCK, shopId]);
      if (lock.rows[0]?.ok !== true) throw importRunning();
      return idempotent(tx, shopId, ticket, async () => {
        try {
          return await writeRows(tx, BATCH[db.kind], shopId, ctx.by, rows, columns);
        } catch (err) {
          // Another request created one of these SKUs between our lookup and our insert.
          if (isUniqueViolation(err, 'items_shop_sku_key')) {
            throw new AppError('conflict', 'Items were changed while importing; retry the import.');
          }
          // The file gives an item a barcode another item of the shop has (the file itself cannot repeat
          // one: csv-import.ts refuses that with the row).
          if (isUniqueViolation(err, 'items_shop_barcode_key')) {
            throw new AppError('conflict', 'A barcode in the file already belongs to another item; nothing was imported.', {
              errors: [{ path: 'barcode', message: 'already exists' }],
            });
          }
          throw err;
        }
      });
    });
  } finally {
    importing.delete(shopId);
  }
}
