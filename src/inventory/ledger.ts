import type { Queryable } from '../db/db.js';
import { MOVEMENT_COLUMNS, type MovementRow, toMovement } from './rows.js';
import type { Movement, Reason } from './types.js';

/*
 * Writing one ledger row. Append-only: stockade_app has no UPDATE or DELETE on movements, so no code
 * path here could rewrite history even by mistake. The caller has already changed the item's quantity
 * in the same transaction and passes the quantity after the change.
 */

export interface NewMovement {
  itemId: string;
  delta: number;
  quantityAfter: number;
  reason: Reason;
  note: string | null;
}

/** `byName`: the writer's username, for the returned movement's `by` (the tenant role cannot read users). */
export async function recordMovement(tx: Queryable, shopId: string, by: string, m: NewMovement, byName?: string): Promise<Movement> {
  const res = await tx.query<MovementRow>(
    `INSERT INTO movements (shop_id, item_id, delta, quantity_after, reason, note, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${MOVEMENT_COLUMNS}`,
    [shopId, m.itemId, m.delta, m.quantityAfter, m.reason, m.note, by],
  );
  return toMovement(res.rows[0] as MovementRow, new Map(byName === undefined ? [] : [[by, byName]]));
}
