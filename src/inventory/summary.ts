import type { Db } from '../db/db.js';
import { toInt } from './rows.js';
import { inTenant } from './tenant.js';
import type { Summary } from './types.js';

/** An integer from numeric text: a number while that is exact, else a bigint. */
function exactInt(text: string): number | bigint {
  const big = BigInt(text);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** The summary as JSON text: every field is an integer, and a bigint is written as one too (JSON.stringify would throw). */
export function summaryJson(summary: Summary): string {
  return `{${Object.entries(summary)
    .map(([key, value]) => `${JSON.stringify(key)}:${String(value)}`)
    .join(',')}}`;
}

/**
 * The merchant's totals in one scan, over active items (archived ones are retired stock: docs/api.md
 * "Shop floor").
 *
 * Stock value is valued at cost — what the stock on the shelf cost the merchant, the usual inventory
 * valuation — and falls back to the selling price for items with no cost recorded, so an item entered
 * with only a price still counts; an item with neither counts 0. Sums are computed as numeric in SQL
 * (no overflow, whatever is stored) and read back as text. The bounds of fields.ts keep them within
 * Number.MAX_SAFE_INTEGER for up to 1,000,000 items at the largest accepted values; beyond that (or for
 * rows stored before the bounds existed) a total comes back as a bigint and summaryJson writes it as an
 * exact JSON integer — never a rounded number, never a 500.
 */
export async function getSummary(db: Db, shopId: string): Promise<Summary> {
  const res = await inTenant(db, shopId, (tx) =>
    tx.query<{ item_count: string | number; total_units: string | number; stock_value: string; low: string | number }>(
      `SELECT count(*) AS item_count,
              coalesce(sum(quantity::numeric), 0)::text AS total_units,
              coalesce(sum(quantity::numeric * coalesce(cost_cents, price_cents, 0)), 0)::text AS stock_value,
              count(*) FILTER (WHERE quantity <= low_stock_threshold) AS low
       FROM items WHERE shop_id = $1 AND archived_at IS NULL`,
      [shopId],
    ),
  );
  const row = res.rows[0];
  if (!row) throw new Error('summary: aggregate returned no row');
  return {
    itemCount: toInt(row.item_count),
    totalUnits: exactInt(String(row.total_units)),
    stockValueCents: exactInt(row.stock_value),
    lowStockCount: toInt(row.low),
  };
}
