import type { Db } from '../db/db.js';

/*
 * The shop's currency (ISO 4217), which CSV money columns are written in. Shops are not tenant data
 * (migration 010: read as the schema owner, outside Db.tenant). Read per import or export, not cached:
 * the shop's owner may change it (while no item has a price or cost, docs/api.md "v2 conventions").
 */
export async function shopCurrency(db: Db, shopId: string): Promise<string> {
  const res = await db.query<{ currency: string }>('SELECT currency FROM shops WHERE id = $1', [shopId]);
  // char(3): no padding to trim for a 3-letter code, but be exact about it.
  return (res.rows[0]?.currency ?? 'EUR').trim();
}
