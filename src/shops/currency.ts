import type { Queryable } from '../db/db.js';

/** The shop's currency (ISO 4217, shops.currency): what its prices are in, on labels and in exports. */
export async function shopCurrency(db: Queryable, shopId: string): Promise<string> {
  const res = await db.query<{ currency: string }>('SELECT currency FROM shops WHERE id = $1', [shopId]);
  // The shop comes from the caller's membership, read this request; one deleted in between has no items
  // left either, so the sheet is a 404 whatever currency this says.
  return res.rows[0]?.currency.trim() ?? 'EUR';
}
