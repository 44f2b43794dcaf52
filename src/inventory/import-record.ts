import type { Queryable } from '../db/db.js';
import { type BatchSize, batches, yieldToLoop } from './import-batches.js';
import type { ItemFields } from './types.js';

/*
 * The record of what one import did (migration 018), written in the import's own transaction, so an
 * import and its record commit or vanish together. It is what POST /api/imports/:id/undo reverts
 * (import-undo.ts): per item, its fields before (null: the import created it) and after, and its version
 * right after the import; per import, the shop's last movement seq. "Untouched since" is checked
 * against those two.
 */

export interface ImportedItem {
  itemId: string;
  sku: string;
  before: ItemFields | null;
  after: ItemFields;
  versionAfter: number;
}

export interface ImportRecord {
  created: ImportedItem[];
  updated: ImportedItem[];
}

/** Inserts the import's row and one row per item; returns the import's id. */
export async function recordImport(tx: Queryable, max: BatchSize, shopId: string, by: string, record: ImportRecord): Promise<string> {
  // The import's own ledger rows are written by now: movements after this seq are someone else's.
  const res = await tx.query<{ id: string }>(
    `INSERT INTO imports (shop_id, created_by, created_count, updated_count, last_seq)
     VALUES ($1, $2, $3, $4, (SELECT max(seq) FROM movements WHERE shop_id = $1)) RETURNING id`,
    [shopId, by, record.created.length, record.updated.length],
  );
  const importId = (res.rows[0] as { id: string }).id;
  const items = [...record.created, ...record.updated];
  const size = (i: ImportedItem) => JSON.stringify(i.after).length * (i.before ? 2 : 1) + 64;
  for (const batch of batches(items, max, size)) {
    await tx.query(
      `INSERT INTO import_items (shop_id, import_id, item_id, sku, before, after, version_after)
       SELECT $1, $2, r.item_id, r.sku, r.before::jsonb, r.after::jsonb, r.version_after
       FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::int[]) AS r(item_id, sku, before, after, version_after)`,
      [
        shopId,
        importId,
        batch.map((i) => i.itemId),
        batch.map((i) => i.sku),
        batch.map((i) => (i.before ? JSON.stringify(i.before) : null)),
        batch.map((i) => JSON.stringify(i.after)),
        batch.map((i) => i.versionAfter),
      ],
    );
    await yieldToLoop();
  }
  return importId;
}
