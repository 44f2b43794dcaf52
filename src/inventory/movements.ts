import type { Db } from '../db/db.js';
import { AppError, notFound, validation } from '../errors.js';
import { checkLimit, decodeCursor, encodeCursor, expectCursor } from './cursor.js';
import { checkAdjustment, LIMITS, stockValueError } from './fields.js';
import { idempotent } from './idempotency.js';
import { findItem } from './items.js';
import { recordMovement } from './ledger.js';
import { usernamesOf } from './people.js';
import { ITEM_COLUMNS, type ItemRow, MOVEMENT_COLUMNS, type MovementRow, toItem, toMovement } from './rows.js';
import { assertItemId, inTenant, isUuid } from './tenant.js';
import type { Item, Movement, Outcome, WriteContext } from './types.js';

/*
 * The stock ledger. Stock changes only here: one conditional UPDATE per adjustment and its ledger row in
 * the same transaction. The condition lives in the UPDATE itself, so concurrent adjustments cannot both
 * pass a check and then both write (no read-modify-write): on a server, each waits for the row lock and
 * re-evaluates `quantity + delta >= 0` against the committed quantity.
 */

/**
 * Applies `delta` to an item's stock and writes the ledger row. 404 if the item is not the merchant's;
 * 409 `conflict` (nothing written) if stock would go below 0 or above the maximum, or the item is
 * archived, with the current item.
 */
export async function adjustStock(
  db: Db,
  shopId: string,
  itemId: string,
  input: unknown,
  ctx: WriteContext,
): Promise<Outcome<{ item: Item; movement: Movement }>> {
  assertItemId(itemId);
  const checked = checkAdjustment(input);
  if (!checked.ok) throw validation(checked.errors);
  const { delta, reason, note } = checked.value;
  // The movement in the answer (and in an idempotent replay of it) names its writer; the route passes
  // the name it has, other callers get it looked up here (the tenant transaction cannot read users).
  const byName = ctx.byName ?? (await usernamesOf(db, [ctx.by])).get(ctx.by);
  return inTenant(db, shopId, (tx) =>
    idempotent(tx, shopId, ctx.idempotency, async () => {
      // ::bigint and ::numeric so the bound checks themselves cannot overflow. The stock-value bound
      // (fields.ts) is part of the same condition, so it holds under concurrent adjustments too; it
      // never refuses a decrease (an item stored before the bound can always be sold down).
      const res = await tx.query<ItemRow>(
        `UPDATE items SET quantity = quantity + $3, updated_at = date_trunc('milliseconds', now())
         WHERE shop_id = $1 AND id = $2 AND archived_at IS NULL AND quantity::bigint + $3 BETWEEN 0 AND $4
           AND ($3 < 0 OR (quantity::numeric + $3) * greatest(coalesce(price_cents, 0), coalesce(cost_cents, 0)) <= $5)
         RETURNING ${ITEM_COLUMNS}`,
        [shopId, itemId, delta, LIMITS.quantity, LIMITS.stockValue],
      );
      const row = res.rows[0];
      if (!row) {
        const current = await findItem(tx, shopId, itemId);
        if (!current) throw notFound('No such item.');
        // Stock of an archived item stays as it was archived: restore it first.
        if (current.archivedAt !== null) {
          throw new AppError('conflict', 'The item is archived; restore it to change its stock.', { extra: { current } });
        }
        const after = current.quantity + delta;
        if (delta > 0 && after <= LIMITS.quantity) {
          const tooValuable = stockValueError({ ...current, quantity: after }, '', 'delta');
          if (tooValuable) throw validation([tooValuable]);
        }
        const detail =
          current.quantity + delta < 0 ? `Not enough stock: ${current.quantity} in stock.` : `Stock cannot exceed ${LIMITS.quantity}.`;
        throw new AppError('conflict', detail, { extra: { current } });
      }
      const item = toItem(row);
      const movement = await recordMovement(tx, shopId, ctx.by, { itemId, delta, quantityAfter: item.quantity, reason, note }, byName);
      return { item, movement };
    }),
  );
}

/**
 * An item's ledger, newest first, keyset-paginated on the insertion sequence.
 *
 * The cursor names the last movement of the page by its id (a random uuid), never by its `seq`: the
 * sequence is global, so its jumps between one merchant's movements would show how busy the other
 * shops are (issue 11 item 12). The next page starts below that movement's seq, looked up within this
 * merchant and item (RLS and the WHERE), so a cursor that names no movement of this item — tampered,
 * invented, another item's or another merchant's — is a 400, like any cursor that does not fit.
 */
export async function listMovements(
  db: Db,
  shopId: string,
  itemId: string,
  opts: { cursor?: string | undefined; limit?: number | undefined },
): Promise<{ movements: Movement[]; nextCursor: string | null }> {
  assertItemId(itemId);
  const limit = checkLimit(opts.limit);
  let after: string | null = null;
  if (opts.cursor !== undefined) {
    const c = decodeCursor(opts.cursor);
    expectCursor(c.t === 'm' && typeof c.id === 'string' && isUuid(c.id));
    after = c.id as string;
  }
  return inTenant(db, shopId, async (tx) => {
    const exists = await tx.query('SELECT 1 FROM items WHERE shop_id = $1 AND id = $2', [shopId, itemId]);
    if (exists.rows.length === 0) throw notFound('No such item.');
    let before: string | number | null = null;
    if (after !== null) {
      const at = await tx.query<{ seq: string | number }>('SELECT seq FROM movements WHERE shop_id = $1 AND item_id = $2 AND id = $3', [
        shopId,
        itemId,
        after,
      ]);
      expectCursor(at.rows.length === 1);
      before = (at.rows[0] as { seq: string | number }).seq;
    }
    const res = await tx.query<MovementRow>(
      `SELECT ${MOVEMENT_COLUMNS} FROM movements
       WHERE shop_id = $1 AND item_id = $2 AND ($3::bigint IS NULL OR seq < $3)
       ORDER BY seq DESC LIMIT $4`,
      [shopId, itemId, before, limit + 1],
    );
    const page = res.rows.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor = res.rows.length > limit && last ? encodeCursor({ t: 'm', id: last.id }) : null;
    return { rows: page, nextCursor };
  }).then(async ({ rows, nextCursor }) => {
    const names = await usernamesOf(
      db,
      rows.map((r) => r.created_by),
    );
    return { movements: rows.map((r) => toMovement(r, names)), nextCursor };
  });
}
