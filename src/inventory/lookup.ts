import type { Db } from '../db/db.js';
import { AppError, notFound } from '../errors.js';
import { ITEM_COLUMNS, type ItemRow, toItem } from './rows.js';
import { inTenant } from './tenant.js';
import { checkText, fold } from './text.js';
import type { Item } from './types.js';

/*
 * Lookup by a scanned or typed code (docs/api.md "Shop floor"): the item whose barcode is exactly the
 * code, or else whose SKU is the code (SKUs compare as they are unique: case- and width-insensitively,
 * text.ts fold). A barcode match wins when one item has the code as its barcode and another as its SKU:
 * a scanner reads barcodes. Archived items are never found here (a scan must not open stock we retired).
 * Both tests are served by unique indexes (items_shop_barcode_key, items_shop_sku_key).
 */

export async function lookupItem(db: Db, shopId: string, code: string): Promise<Item> {
  const checked = checkText(code, { max: 128, required: true, identifier: true });
  if ('error' in checked) {
    throw new AppError('validation', `code ${checked.error}.`, { errors: [{ path: 'code', message: checked.error }] });
  }
  const res = await inTenant(db, shopId, (tx) =>
    tx.query<ItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM items
       WHERE shop_id = $1 AND archived_at IS NULL AND (barcode = $2 OR sku_key = $3)
       ORDER BY barcode = $2 DESC NULLS LAST LIMIT 1`,
      [shopId, checked.value, fold(checked.value)],
    ),
  );
  const row = res.rows[0];
  if (!row) throw notFound('No such item.');
  return toItem(row);
}
