import type { Db } from '../../db/db.js';
import { AppError, notFound } from '../../errors.js';
import { formatMoney } from '../../lib/money.js';
import { assertItemId, inTenant } from '../tenant.js';
import { barcodePng, type Symbology, symbologyFor } from './barcode.js';

/*
 * What a sheet of labels shows, read once for both formats (pdf.ts, html.ts): per item its name, SKU,
 * price in the shop's currency, and the code a scanner reads back — the item's barcode when it has one,
 * else its SKU (the lookup route finds an item by either, docs/api.md "Shop floor").
 */

/** At most this many labels per request: ~9 A4 pages, and bounded work (one PNG each). */
export const MAX_LABELS = 200;

export interface Label {
  readonly id: string;
  readonly name: string;
  readonly sku: string;
  readonly price: string;
  /** What the barcode encodes. */
  readonly code: string;
  readonly symbology: Symbology;
  readonly png: Buffer;
}

interface LabelRow {
  id: string;
  sku: string;
  name: string;
  price_cents: number | string | null;
  code: string;
  archived: boolean;
}

/**
 * The locale of a label's price: fixed, because a label is printed once and read by anyone at the shelf
 * (the web app formats for the reader's locale instead). The one money formatter is src/lib/money.ts.
 */
const LABEL_LOCALE = 'en';

/** The price as the label prints it: "€12.50", "¥100"; nothing where the item has no price. */
function labelPrice(minor: number | string | null, currency: string): string {
  return minor === null ? '' : formatMoney(Number(minor), currency, LABEL_LOCALE);
}

/**
 * Archived items get no label (409 naming them, docs/api.md "Labels"): a label puts an item back on the
 * shelf, and one that was taken out of the range is not sold nor counted, so a merchant who selected it
 * wants to know — rather than a sheet silently short of it, found out at the shelf. Restoring the item
 * (POST /api/items/:id/restore) prints it again.
 */
function refuseArchived(archived: { sku: string; index: number }[]): AppError {
  const skus = archived.map((a) => a.sku);
  const named = skus.length <= 10 ? skus.join(', ') : `${skus.slice(0, 10).join(', ')} and ${skus.length - 10} more`;
  return new AppError('conflict', `Archived items get no label: ${named}.`, {
    errors: archived.map((a) => ({ path: `ids/${a.index}`, message: `${a.sku} is archived: restore it to print its label` })),
  });
}

/** The ids of a `ids=` query string: comma-separated, each once, in the order given. */
export function parseIds(raw: string): string[] {
  // uuids are case-insensitive: 'ABC…' and 'abc…' are the same item, and one label.
  const ids = [...new Set(raw.split(',').map((s) => s.trim().toLowerCase()))].filter((s) => s !== '');
  if (ids.length === 0) throw new AppError('validation', 'Name at least one item.', { errors: [{ path: 'ids', message: 'empty' }] });
  if (ids.length > MAX_LABELS) {
    throw new AppError('validation', `At most ${MAX_LABELS} labels at once.`, {
      errors: [{ path: 'ids', message: `more than ${MAX_LABELS}` }],
    });
  }
  return ids;
}

/**
 * The labels of `ids` in the shop, in the order asked. Any id that is not an item of this shop (unknown,
 * another shop's, or not an id at all) makes the whole request 404, rather than a sheet with labels
 * silently missing: a merchant who selected 30 items and gets 29 labels finds out at the shelf, and
 * a shorter sheet would also tell a prober which ids exist elsewhere by which labels came back (they
 * do not: every absent id answers the same 404, whoever owns it).
 */
export async function labelSheet(db: Db, shopId: string, currency: string, ids: readonly string[]): Promise<Label[]> {
  for (const id of ids) assertItemId(id);
  const rows = await inTenant(db, shopId, async (tx) => {
    const res = await tx.query<LabelRow>(
      `SELECT id, sku, name, price_cents, coalesce(barcode, sku) AS code, archived_at IS NOT NULL AS archived FROM items WHERE shop_id = $1 AND id = ANY($2::uuid[])`,
      [shopId, ids],
    );
    return res.rows;
  });
  const byId = new Map(rows.map((r) => [r.id, r]));
  // Unknown ids first: a 404 says nothing about which of the others are archived.
  for (const id of ids) if (!byId.has(id)) throw notFound('No such item.');
  const archived = ids.flatMap((id, index) => (byId.get(id)?.archived ? [{ sku: (byId.get(id) as LabelRow).sku, index }] : []));
  if (archived.length > 0) throw refuseArchived(archived);
  const labels: Label[] = [];
  for (const id of ids) {
    const row = byId.get(id) as LabelRow;
    const symbology = symbologyFor(row.code);
    labels.push({
      id: row.id,
      name: row.name,
      sku: row.sku,
      price: labelPrice(row.price_cents, currency),
      code: row.code,
      symbology,
      png: await barcodePng(row.code, symbology),
    });
  }
  return labels;
}
