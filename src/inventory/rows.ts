import { personOf } from './people.js';
import type { Item, Movement, Reason } from './types.js';

/*
 * Database rows → API objects. Both drivers return the same columns but not the same JS types:
 * node-postgres gives int8 (bigint) as a string, PGlite as a number; timestamps are Dates from both.
 */

/** Columns every item query selects, in a stable order (never SELECT *: no shop_id, no keys). */
export const ITEM_COLUMNS =
  'id, sku, name, description, quantity, unit, price_cents, cost_cents, low_stock_threshold, location, tags, barcode, version, created_at, updated_at, archived_at';

export const MOVEMENT_COLUMNS = 'id, item_id, delta, quantity_after, reason, note, created_by, created_at';

export interface ItemRow {
  id: string;
  sku: string;
  name: string;
  description: string | null;
  quantity: number;
  unit: string | null;
  price_cents: number | string | bigint | null;
  cost_cents: number | string | bigint | null;
  low_stock_threshold: number;
  location: string | null;
  tags: string[];
  barcode: string | null;
  version: number;
  created_at: Date | string;
  updated_at: Date | string;
  archived_at: Date | string | null;
}

export interface MovementRow {
  id: string;
  item_id: string;
  delta: number;
  quantity_after: number;
  reason: string;
  note: string | null;
  created_by: string | null;
  created_at: Date | string;
}

/** An int8 or numeric from either driver as a JS number; refuses values a double cannot hold exactly. */
export function toInt(value: number | string | bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`integer out of the safe range: ${String(value)}`);
  return n;
}

export function toIso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

export function toItem(row: ItemRow): Item {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    quantity: row.quantity,
    unit: row.unit,
    priceCents: row.price_cents === null ? null : toInt(row.price_cents),
    costCents: row.cost_cents === null ? null : toInt(row.cost_cents),
    lowStockThreshold: row.low_stock_threshold,
    location: row.location,
    tags: row.tags,
    barcode: row.barcode,
    version: row.version,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    archivedAt: row.archived_at === null ? null : toIso(row.archived_at),
  };
}

/** `names`: usernames by id for this row's `created_by` (people.ts); a missing one reads "deleted user". */
export function toMovement(row: MovementRow, names: ReadonlyMap<string, string>): Movement {
  return {
    id: row.id,
    itemId: row.item_id,
    delta: row.delta,
    quantityAfter: row.quantity_after,
    reason: row.reason as Reason,
    note: row.note,
    createdAt: toIso(row.created_at),
    by: personOf(names, row.created_by),
  };
}

/** Item field (API name) → column, for the writes that build their SET list from a patch. */
export const COLUMN_OF = {
  sku: 'sku',
  name: 'name',
  description: 'description',
  quantity: 'quantity',
  unit: 'unit',
  priceCents: 'price_cents',
  costCents: 'cost_cents',
  lowStockThreshold: 'low_stock_threshold',
  location: 'location',
  tags: 'tags',
  barcode: 'barcode',
} as const;
