import type { Db, Queryable } from '../db/db.js';
import { AppError, notFound, validation } from '../errors.js';
import { checkNewItem, checkPatch, LIMITS, stockValueError } from './fields.js';
import { idempotent } from './idempotency.js';
import { recordMovement } from './ledger.js';
import { COLUMN_OF, ITEM_COLUMNS, type ItemRow, toItem } from './rows.js';
import { lockShopMoneyShared } from '../shops/money-lock.js';
import { assertItemId, inTenant, isUniqueViolation } from './tenant.js';
import { fold } from './text.js';
import type { Item, ItemFields, ItemPatch, Outcome, WriteContext } from './types.js';

/* Items: create, read, edit (optimistic concurrency), delete. Every function takes the shop first. */

function skuTaken(): AppError {
  return new AppError('conflict', 'An item with this SKU already exists.', {
    errors: [{ path: 'sku', message: 'already exists' }],
  });
}

function barcodeTaken(): AppError {
  return new AppError('conflict', 'An item with this barcode already exists.', {
    errors: [{ path: 'barcode', message: 'already exists' }],
  });
}

/**
 * The 409 for a write that broke one of an item's uniqueness rules (SKU, barcode), decided by the
 * database's unique indexes — so two requests at once with one value cannot both pass a check and both
 * write: the second insert waits for the first and then fails here. Undefined for any other error.
 */
export function uniquenessConflict(err: unknown): AppError | undefined {
  if (isUniqueViolation(err, 'items_shop_sku_key')) return skuTaken();
  if (isUniqueViolation(err, 'items_shop_barcode_key')) return barcodeTaken();
  return undefined;
}

/** Inserts one item (no ledger row; callers that set a quantity record it). Used by create and import. */
export async function insertItem(tx: Queryable, shopId: string, f: ItemFields): Promise<Item> {
  // A price or cost is in the shop's currency: not while it changes (shops/money-lock.ts).
  if (f.priceCents !== null || f.costCents !== null) await lockShopMoneyShared(tx, shopId);
  const res = await tx.query<ItemRow>(
    `INSERT INTO items (shop_id, sku, sku_key, name, name_key, description, quantity, unit, price_cents,
       cost_cents, low_stock_threshold, location, tags, barcode)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
     RETURNING ${ITEM_COLUMNS}`,
    [
      shopId,
      f.sku,
      fold(f.sku),
      f.name,
      fold(f.name),
      f.description,
      f.quantity,
      f.unit,
      f.priceCents,
      f.costCents,
      f.lowStockThreshold,
      f.location,
      f.tags,
      f.barcode,
    ],
  );
  return toItem(res.rows[0] as ItemRow);
}

/** A new item. A starting quantity is written to the ledger too (reason `opening`), so the ledger
 * always sums to the stock. 409 `conflict` if the SKU (case- and width-insensitively) exists. */
export async function createItem(db: Db, shopId: string, input: unknown, ctx: WriteContext): Promise<Outcome<{ item: Item }>> {
  const checked = checkNewItem(input);
  if (!checked.ok) throw validation(checked.errors);
  const fields = checked.value;
  return writeItem(db, shopId, fields, ctx).catch(async (err: unknown) => {
    throw await explainConflict(db, shopId, err, fields);
  });
}

function writeItem(db: Db, shopId: string, fields: ItemFields, ctx: WriteContext): Promise<Outcome<{ item: Item }>> {
  return inTenant(db, shopId, (tx) =>
    idempotent(tx, shopId, ctx.idempotency, async () => {
      let item: Item;
      try {
        item = await insertItem(tx, shopId, fields);
      } catch (err) {
        throw uniquenessConflict(err) ?? err;
      }
      if (item.quantity > 0) {
        await recordMovement(tx, shopId, ctx.by, {
          itemId: item.id,
          delta: item.quantity,
          quantityAfter: item.quantity,
          reason: 'opening',
          note: 'Initial quantity',
        });
      }
      return { item };
    }),
  );
}

export async function findItem(tx: Queryable, shopId: string, id: string): Promise<Item | undefined> {
  const res = await tx.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM items WHERE shop_id = $1 AND id = $2`, [shopId, id]);
  const row = res.rows[0];
  return row ? toItem(row) : undefined;
}

export async function getItem(db: Db, shopId: string, id: string): Promise<Item> {
  assertItemId(id);
  const item = await inTenant(db, shopId, (tx) => findItem(tx, shopId, id));
  if (!item) throw notFound('No such item.');
  return item;
}

/**
 * Edits fields (never quantity) if `version` is still the current one, and bumps it. A stale version is
 * 409 `conflict` with the current item in the problem (`current`), so the client can merge and retry.
 */
export async function updateItem(db: Db, shopId: string, id: string, input: unknown): Promise<Item> {
  assertItemId(id);
  const checked = checkPatch(input);
  if (!checked.ok) throw validation(checked.errors);
  return editItem(db, shopId, id, checked.value).catch(async (err: unknown) => {
    throw await explainConflict(db, shopId, err, checked.value);
  });
}

async function editItem(db: Db, shopId: string, id: string, checkedPatch: ItemPatch): Promise<Item> {
  const { version, ...patch } = checkedPatch;
  const params: unknown[] = [shopId, id, version];
  const sets: string[] = [];
  for (const [field, value] of Object.entries(patch)) {
    const column = COLUMN_OF[field as keyof typeof COLUMN_OF];
    params.push(value);
    sets.push(`${column} = $${params.length}`);
    if (field === 'sku' || field === 'name') {
      params.push(fold(value as string));
      sets.push(`${column}_key = $${params.length}`);
    }
  }
  sets.push('version = version + 1', `updated_at = date_trunc('milliseconds', now())`);
  // The stock-value bound (fields.ts) against the quantity in the row, checked by the UPDATE itself, so
  // a concurrent adjustment cannot slip between a check and the write. Only when a price or cost changes:
  // an item stored before the bound existed can still be renamed.
  const pricing = patch.priceCents !== undefined || patch.costCents !== undefined;
  let withinBound = 'true';
  if (pricing) {
    // Every parameter must be referenced (PostgreSQL cannot type an unused one): push only what is used.
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    const price = patch.priceCents === undefined ? 'price_cents' : `${param(patch.priceCents)}::bigint`;
    const cost = patch.costCents === undefined ? 'cost_cents' : `${param(patch.costCents)}::bigint`;
    withinBound = `quantity::numeric * greatest(coalesce(${price}, 0), coalesce(${cost}, 0)) <= ${param(LIMITS.stockValue)}`;
  }
  return inTenant(db, shopId, async (tx) => {
    if (pricing) await lockShopMoneyShared(tx, shopId);
    let res: { rows: ItemRow[] };
    try {
      res = await tx.query<ItemRow>(
        `UPDATE items SET ${sets.join(', ')} WHERE shop_id = $1 AND id = $2 AND version = $3 AND ${withinBound}
         RETURNING ${ITEM_COLUMNS}`,
        params,
      );
    } catch (err) {
      throw uniquenessConflict(err) ?? err;
    }
    const row = res.rows[0];
    if (row) return toItem(row);
    const current = await findItem(tx, shopId, id);
    if (!current) throw notFound('No such item.');
    if (pricing && current.version === version) {
      const next = {
        quantity: current.quantity,
        priceCents: patch.priceCents === undefined ? current.priceCents : patch.priceCents,
        costCents: patch.costCents === undefined ? current.costCents : patch.costCents,
      };
      // Name the changed amount that is the larger one: that is the one to lower.
      const priceNamed = patch.costCents == null || (patch.priceCents != null && patch.priceCents >= patch.costCents);
      const tooValuable = stockValueError(next, '', priceNamed ? 'priceCents' : 'costCents');
      if (tooValuable) throw validation([tooValuable]);
    }
    throw new AppError('conflict', 'The item was changed by someone else; reload it and retry.', {
      extra: { current },
    });
  });
}

/*
 * Archive instead of delete (docs/api.md "Shop floor"). An archived item keeps its ledger (history), its
 * SKU and its barcode: both stay reserved, so restoring never collides and a CSV import keyed by SKU
 * never has two candidates. A new item with an archived item's SKU or barcode is a 409 that says so
 * (restore it instead). Archiving and restoring bump the version like any edit, so a PATCH prepared
 * before either is refused as stale.
 */

/** Archives an item (DELETE). Archiving an archived item changes nothing and succeeds. */
export async function archiveItem(db: Db, shopId: string, id: string): Promise<void> {
  assertItemId(id);
  await inTenant(db, shopId, async (tx) => {
    const res = await tx.query(
      `UPDATE items SET archived_at = date_trunc('milliseconds', now()), version = version + 1,
         updated_at = date_trunc('milliseconds', now())
       WHERE shop_id = $1 AND id = $2 AND archived_at IS NULL RETURNING id`,
      [shopId, id],
    );
    if (res.rows.length === 0 && !(await findItem(tx, shopId, id))) throw notFound('No such item.');
  });
}

/** Restores an archived item; restoring an active one changes nothing and answers it as it is. */
export async function restoreItem(db: Db, shopId: string, id: string): Promise<Item> {
  assertItemId(id);
  return inTenant(db, shopId, async (tx) => {
    const res = await tx.query<ItemRow>(
      `UPDATE items SET archived_at = NULL, version = version + 1, updated_at = date_trunc('milliseconds', now())
       WHERE shop_id = $1 AND id = $2 AND archived_at IS NOT NULL RETURNING ${ITEM_COLUMNS}`,
      [shopId, id],
    );
    const row = res.rows[0];
    if (row) return toItem(row);
    const current = await findItem(tx, shopId, id);
    if (!current) throw notFound('No such item.');
    return current;
  });
}

/**
 * A uniqueness 409 made precise: when the SKU or barcode belongs to an archived item, the problem says
 * so and names it (`archivedItemId`), so the client can offer to restore it. Read after the failed
 * transaction (it cannot run inside it); the unique index already decided, this only explains.
 */
export async function explainConflict(
  db: Db,
  shopId: string,
  err: unknown,
  f: Partial<Pick<ItemFields, 'sku' | 'barcode'>>,
): Promise<unknown> {
  if (!(err instanceof AppError) || err.code !== 'conflict') return err;
  const field = err.options.errors?.[0]?.path;
  if (field !== 'sku' && field !== 'barcode') return err;
  const value = field === 'sku' ? (f.sku === undefined ? undefined : fold(f.sku)) : f.barcode;
  if (value == null) return err;
  const res = await inTenant(db, shopId, (tx) =>
    tx.query<{ id: string }>(
      `SELECT id FROM items WHERE shop_id = $1 AND ${field === 'sku' ? 'sku_key' : 'barcode'} = $2 AND archived_at IS NOT NULL`,
      [shopId, value],
    ),
  );
  const archived = res.rows[0];
  if (!archived) return err;
  return new AppError('conflict', `An archived item has this ${field === 'sku' ? 'SKU' : 'barcode'}: restore it instead.`, {
    errors: [{ path: field, message: 'belongs to an archived item' }],
    extra: { archivedItemId: archived.id },
  });
}
