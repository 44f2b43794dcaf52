import type { Db } from '../db/db.js';
import { AppError } from '../errors.js';
import { checkLimit, decodeCursor, encodeCursor, expectCursor } from './cursor.js';
import { usernamesOf } from './people.js';
import { MOVEMENT_COLUMNS, type MovementRow, toMovement } from './rows.js';
import { inTenant, isUuid } from './tenant.js';
import { type Movement, REASONS, type Reason } from './types.js';

/*
 * The shop-wide ledger (GET /api/movements): every movement of the shop, newest first, optionally only
 * one item's, one reason's or one person's. Keyset-paginated on the insertion sequence like an item's
 * history (movements.ts), and for the same reason the cursor names the last movement by its random id,
 * never by `seq` (a global counter would show how busy other shops are).
 *
 * How it can fail, and why it is written so:
 * - A filter that is not well formed (an id that is not a uuid, an unknown reason) is a 400 naming it,
 *   never a cast error (500) in SQL. A well-formed id of another shop's item or of a stranger simply
 *   matches nothing: RLS and the WHERE keep the query in this shop.
 * - A cursor from another query (other filters) or naming a movement that is not this shop's is a 400,
 *   like any cursor that does not fit: the cursor carries the filters it was made for.
 */

export interface LedgerFilters {
  itemId?: string | undefined;
  reason?: string | undefined;
  by?: string | undefined;
}

function invalidFilter(path: string, message: string): AppError {
  return new AppError('validation', 'The filter is not valid.', { errors: [{ path, message }] });
}

function checkFilters(f: LedgerFilters): { itemId: string | null; reason: Reason | null; by: string | null } {
  if (f.itemId !== undefined && !isUuid(f.itemId)) throw invalidFilter('itemId', 'must be an item id');
  if (f.by !== undefined && !isUuid(f.by)) throw invalidFilter('by', 'must be a user id');
  if (f.reason !== undefined && !(REASONS as readonly string[]).includes(f.reason)) {
    throw invalidFilter('reason', `must be one of ${REASONS.join(', ')}`);
  }
  return {
    itemId: f.itemId?.toLowerCase() ?? null,
    reason: (f.reason as Reason | undefined) ?? null,
    by: f.by?.toLowerCase() ?? null,
  };
}

export async function listShopMovements(
  db: Db,
  shopId: string,
  opts: LedgerFilters & { cursor?: string | undefined; limit?: number | undefined },
): Promise<{ movements: Movement[]; nextCursor: string | null }> {
  const limit = checkLimit(opts.limit);
  const filters = checkFilters(opts);
  const fingerprint = [filters.itemId, filters.reason, filters.by];
  let after: string | null = null;
  if (opts.cursor !== undefined) {
    const c = decodeCursor(opts.cursor);
    expectCursor(c.t === 'l' && typeof c.id === 'string' && isUuid(c.id) && JSON.stringify(c.f) === JSON.stringify(fingerprint));
    after = c.id as string;
  }
  const { rows, nextCursor } = await inTenant(db, shopId, async (tx) => {
    let before: string | number | null = null;
    if (after !== null) {
      const at = await tx.query<{ seq: string | number }>('SELECT seq FROM movements WHERE shop_id = $1 AND id = $2', [shopId, after]);
      expectCursor(at.rows.length === 1);
      before = (at.rows[0] as { seq: string | number }).seq;
    }
    const res = await tx.query<MovementRow>(
      `SELECT ${MOVEMENT_COLUMNS} FROM movements
        WHERE shop_id = $1
          AND ($2::uuid IS NULL OR item_id = $2)
          AND ($3::text IS NULL OR reason = $3)
          AND ($4::uuid IS NULL OR created_by = $4)
          AND ($5::bigint IS NULL OR seq < $5)
        ORDER BY seq DESC LIMIT $6`,
      [shopId, filters.itemId, filters.reason, filters.by, before, limit + 1],
    );
    const page = res.rows.slice(0, limit);
    const last = page[page.length - 1];
    return { rows: page, nextCursor: res.rows.length > limit && last ? encodeCursor({ t: 'l', id: last.id, f: fingerprint }) : null };
  });
  const names = await usernamesOf(
    db,
    rows.map((r) => r.created_by),
  );
  return { movements: rows.map((r) => toMovement(r, names)), nextCursor };
}
