import { stringify } from 'csv-stringify/sync';
import type { Db, QueryResult } from '../db/db.js';
import { toDecimal } from '../lib/money.js';
import { escapeCell, TAG_SEPARATOR } from './csv-cells.js';
import { ARCHIVED_HEADER, HUMAN_HEADERS } from './csv-columns.js';
import { ITEM_FIELDS } from './fields.js';
import { ITEM_COLUMNS, type ItemRow, toItem } from './rows.js';
import { inTenant } from './tenant.js';
import type { Item } from './types.js';

/*
 * CSV export, streamed. Items are read in batches, each in its own short tenant transaction, ordered by
 * (created_at, id), which never change: an item that exists for the whole export appears exactly once
 * even while others are edited, added or deleted. One long transaction would give a single snapshot,
 * but would hold a connection (all of PGlite) for as long as a slow client takes to download.
 * The columns are exactly the importable ones, under their human headers (csv-columns.ts), with money as
 * decimals in the shop's currency ("7.50", "750" in JPY), so an export imports back unchanged.
 *
 * Archived items are left out unless asked for (`archived=true`, docs/api.md "Spreadsheets"): a list of
 * what the shop sells should not silently carry what it stopped selling. Asked for, every item is
 * written, and a last column `Archived` says "yes" for the archived ones. The import reads that column
 * and ignores it (csv-columns.ts ARCHIVED_HEADER), so either file imports back without changing anything.
 */

const BATCH = 500;

function cells(item: Item, fields: readonly (typeof ITEM_FIELDS)[number][], currency: string, withArchived: boolean): string[] {
  const out = fields.map((field) => {
    const value = item[field];
    if (value === null) return '';
    if (field === 'priceCents' || field === 'costCents') return toDecimal(value as number, currency);
    if (Array.isArray(value)) return escapeCell(value.join(TAG_SEPARATOR));
    return escapeCell(String(value));
  });
  if (withArchived) out.push(item.archivedAt === null ? '' : 'yes');
  return out;
}

export interface ExportOptions {
  /** Rows per batch (one short transaction each). */
  batchSize?: number | undefined;
  /** Below manager: the cost column is left out, not emptied (see exportCsv). */
  hideCost?: boolean | undefined;
  /** Archived items too, marked in a last `Archived` column; without it, active items only and no such column. */
  archived?: boolean | undefined;
}

/**
 * The export as text chunks: a UTF-8 BOM (so spreadsheets detect the encoding), header, then rows.
 * `hideCost` (below manager): the cost column is left out, not emptied — an empty column would wipe
 * every cost if a manager imported the file back; a missing one leaves costs alone.
 */
export async function* exportCsv(db: Db, shopId: string, currency: string, options: ExportOptions = {}): AsyncGenerator<string> {
  const { batchSize = BATCH, hideCost = false, archived = false } = options;
  const fields = hideCost ? ITEM_FIELDS.filter((f) => f !== 'costCents') : ITEM_FIELDS;
  const header = fields.map((f) => HUMAN_HEADERS[f]);
  yield `\uFEFF${stringify([archived ? [...header, ARCHIVED_HEADER] : header])}`;
  let after: { createdAt: Date; id: string } | null = null;
  for (;;) {
    const position: { createdAt: Date; id: string } | null = after;
    const res: QueryResult<ItemRow> = await inTenant(db, shopId, (tx) =>
      tx.query<ItemRow>(
        `SELECT ${ITEM_COLUMNS} FROM items
         WHERE shop_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::uuid))
           AND ($5 OR archived_at IS NULL)
         ORDER BY created_at, id LIMIT $4`,
        [shopId, position?.createdAt ?? null, position?.id ?? null, batchSize, archived],
      ),
    );
    if (res.rows.length > 0) yield stringify(res.rows.map((row) => cells(toItem(row), fields, currency, archived)));
    const last = res.rows[res.rows.length - 1];
    if (!last || res.rows.length < batchSize) return;
    after = { createdAt: new Date(last.created_at), id: last.id };
  }
}
