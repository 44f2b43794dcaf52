import type { Db } from '../db/db.js';
import { AppError, notFound } from '../errors.js';
import { lockShopMoneyShared } from '../shops/money-lock.js';
import { BATCH, batches, yieldToLoop } from './import-batches.js';
import { columnsOf, IMPORT_REASON, insertLedger, TAGS_FROM_JSON, UNNEST_ARGS, UNNEST_COLUMNS } from './item-bulk.js';
import { inTenant, isUuid } from './tenant.js';
import type { ItemFields } from './types.js';

/*
 * POST /api/imports/:id/undo (docs/api.md "Spreadsheets"): puts back what one import did — the items it
 * created are archived (like DELETE: they keep their ledger and leave lists and lookups), the items it
 * changed get their fields back, and their quantities through a ledger row each (reason `import`, noted
 * "CSV import undone"), so the history shows the undo.
 *
 * Only while the import's items are untouched since: each still has the version the import left and no
 * movement after the import's last one (import-record.ts). Otherwise 409 naming the items, and nothing changes — undoing over
 * a later sale would erase it. Race-safe: the items are locked (FOR UPDATE, in id order, so two undos
 * cannot deadlock) before they are compared, so an edit or adjustment racing the undo either commits
 * first (and the undo sees it: 409) or waits for the undo and then meets the restored item (an edit's
 * stale version is its own 409; an adjustment on a removed item is a 404). The import row is locked too:
 * two undos of one import cannot both run.
 */

const NOTE = 'CSV import undone';
/** How many changed items a 409 names in its detail (all of them are in `errors`, up to 100). */
const NAMED = 10;

interface ImportedRow {
  item_id: string;
  sku: string;
  before: ItemFields | null;
  version_after: number;
}

export interface UndoResult {
  importId: string;
  /** Items the import created, now archived. */
  removed: number;
  restored: number;
}

export async function undoImport(db: Db, shopId: string, importId: string, by: string): Promise<UndoResult> {
  if (!isUuid(importId)) throw notFound('No such import.');
  const max = BATCH[db.kind];
  return inTenant(db, shopId, async (tx) => {
    const found = await tx.query<{ undone_at: Date | null; last_seq: string | number | null }>(
      'SELECT undone_at, last_seq FROM imports WHERE shop_id = $1 AND id = $2 FOR UPDATE',
      [shopId, importId],
    );
    const imp = found.rows[0];
    if (!imp) throw notFound('No such import.');
    if (imp.undone_at !== null) throw new AppError('conflict', 'This import has already been undone.');
    // Restored prices and costs are in the shop's currency: not while it changes (shops/money-lock.ts).
    await lockShopMoneyShared(tx, shopId);
    const recorded = await tx.query<ImportedRow>(
      'SELECT item_id, sku, before, version_after FROM import_items WHERE shop_id = $1 AND import_id = $2 ORDER BY item_id',
      [shopId, importId],
    );
    const items = recorded.rows;
    // Each item's state now, under lock: its version, and whether anything moved its stock since.
    const now = new Map<string, { version: number; quantity: number; movedSince: boolean }>();
    for (const batch of batches(items, max, () => 64)) {
      const ids = batch.map((i) => i.item_id);
      const locked = await tx.query<{ id: string; version: number; quantity: number }>(
        'SELECT id, version, quantity FROM items WHERE shop_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE',
        [shopId, ids],
      );
      const moved = await tx.query<{ item_id: string }>(
        'SELECT DISTINCT item_id FROM movements WHERE shop_id = $1 AND item_id = ANY($2::uuid[]) AND seq > coalesce($3::bigint, 0)',
        [shopId, ids, imp.last_seq],
      );
      const movedIds = new Set(moved.rows.map((r) => r.item_id));
      for (const r of locked.rows) now.set(r.id, { version: r.version, quantity: r.quantity, movedSince: movedIds.has(r.id) });
      await yieldToLoop();
    }
    const touched = items.filter((i) => {
      const current = now.get(i.item_id);
      return !current || current.version !== i.version_after || current.movedSince;
    });
    if (touched.length > 0) {
      const named = touched.slice(0, NAMED).map((i) => i.sku);
      const more = touched.length > NAMED ? ` and ${touched.length - NAMED} more` : '';
      throw new AppError('conflict', `These items changed since the import, so it cannot be undone: ${named.join(', ')}${more}.`, {
        errors: touched
          .slice(0, 100)
          .map((i) => ({ path: `items/${i.item_id}`, message: `${i.sku} was edited, adjusted or removed since the import` })),
      });
    }

    const created = items.filter((i) => i.before === null);
    const updated = items.filter((i): i is ImportedRow & { before: ItemFields } => i.before !== null);
    for (const batch of batches(created, max, () => 64)) {
      await tx.query(
        `UPDATE items SET archived_at = date_trunc('milliseconds', now()), version = version + 1,
           updated_at = date_trunc('milliseconds', now())
         WHERE shop_id = $1 AND id = ANY($2::uuid[]) AND archived_at IS NULL`,
        [shopId, batch.map((i) => i.item_id)],
      );
      await yieldToLoop();
    }
    for (const batch of batches(updated, max, (i) => JSON.stringify(i.before).length)) {
      await tx.query(
        `UPDATE items AS i SET sku = r.sku, sku_key = r.sku_key, name = r.name, name_key = r.name_key,
           description = r.description, quantity = r.quantity, unit = r.unit, price_cents = r.price_cents,
           cost_cents = r.cost_cents, low_stock_threshold = r.low_stock_threshold, location = r.location,
           tags = ${TAGS_FROM_JSON}, barcode = r.barcode, version = i.version + 1,
           updated_at = date_trunc('milliseconds', now())
         FROM unnest($2::uuid[], ${UNNEST_ARGS(3)}) AS r(id, ${UNNEST_COLUMNS})
         WHERE i.shop_id = $1 AND i.id = r.id`,
        [shopId, batch.map((i) => i.item_id), ...columnsOf(batch.map((i) => ({ fields: i.before })))],
      );
      await insertLedger(
        tx,
        shopId,
        by,
        batch.flatMap((i) => {
          const quantityNow = now.get(i.item_id)?.quantity ?? 0;
          const delta = i.before.quantity - quantityNow;
          return delta === 0 ? [] : [{ itemId: i.item_id, delta, after: i.before.quantity }];
        }),
        IMPORT_REASON,
        NOTE,
      );
      await yieldToLoop();
    }
    await tx.query("UPDATE imports SET undone_at = date_trunc('milliseconds', now()), undone_by = $3 WHERE shop_id = $1 AND id = $2", [
      shopId,
      importId,
      by,
    ]);
    return { importId, removed: created.length, restored: updated.length };
  });
}
