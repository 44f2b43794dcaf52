import type { Db } from '../db/db.js';
import { toInt } from './rows.js';
import { inTenant } from './tenant.js';
import type { Summary } from './types.js';

/**
 * The merchant's totals in one scan.
 *
 * Stock value is valued at cost — what the stock on the shelf cost the merchant, the usual inventory
 * valuation — and falls back to the selling price for items with no cost recorded, so an item entered
 * with only a price still counts; an item with neither counts 0. Sums are computed as numeric in SQL
 * (no int overflow) and fit a JSON number exactly given the field limits of fields.ts for any
 * realistic catalogue; toInt refuses rather than rounds if one ever does not.
 */
export async function getSummary(db: Db, merchantId: string): Promise<Summary> {
  const res = await inTenant(db, merchantId, (tx) =>
    tx.query<{ item_count: string | number; total_units: string | number; stock_value: string; low: string | number }>(
      `SELECT count(*) AS item_count,
              coalesce(sum(quantity::bigint), 0) AS total_units,
              coalesce(sum(quantity::numeric * coalesce(cost_cents, price_cents, 0)), 0)::text AS stock_value,
              count(*) FILTER (WHERE quantity <= low_stock_threshold) AS low
       FROM items WHERE merchant_id = $1`,
      [merchantId],
    ),
  );
  const row = res.rows[0];
  if (!row) throw new Error('summary: aggregate returned no row');
  return {
    itemCount: toInt(row.item_count),
    totalUnits: toInt(row.total_units),
    stockValueCents: toInt(row.stock_value),
    lowStockCount: toInt(row.low),
  };
}
