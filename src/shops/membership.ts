import { type Queryable, prepared } from '../db/db.js';
import type { ShopRole } from './shops.js';

/*
 * Who the signed-in user is in the shop their session works in: read from the database on every request
 * to a shop route, in one prepared statement, never from a copy. A role change, a removal or a deleted
 * shop therefore bites on the member's next request, on every server, with nothing to invalidate (S-72).
 * (Carrying it in the cached session record, forgotten through the revocation bus on a change, is the
 * next step of issue 13; this read is the semantics that cache must keep.)
 *
 * The active shop is the session row's `active_shop_id`; a session without one (every session created
 * since migration 010 until `POST /api/auth/shop` exists, or one held by a store other than PostgreSQL)
 * works in the user's earliest membership. An active shop the user no longer belongs to yields null —
 * never a silent fall-back to another shop, which would show a tab someone else's stock.
 */

export interface Membership {
  readonly shopId: string;
  readonly role: ShopRole;
}

/** viewer < clerk < manager < owner. */
const RANK: Readonly<Record<ShopRole, number>> = { viewer: 0, clerk: 1, manager: 2, owner: 3 };

export const SHOP_ROLES = Object.keys(RANK) as ShopRole[];

export const atLeast = (role: ShopRole, min: ShopRole): boolean => RANK[role] >= RANK[min];

const ACTIVE = prepared(
  'stockade_active_membership',
  `SELECT m.shop_id, m.role FROM memberships m
    WHERE m.user_id = $1
      AND m.shop_id = coalesce(
            (SELECT s.active_shop_id FROM sessions s WHERE s.id_hash = $2 AND s.user_id = $1),
            (SELECT f.shop_id FROM memberships f WHERE f.user_id = $1 ORDER BY f.joined_at, f.shop_id LIMIT 1))`,
);

export async function activeMembership(db: Queryable, userId: string, sessionIdHash: Buffer): Promise<Membership | null> {
  const res = await db.query<{ shop_id: string; role: ShopRole }>(ACTIVE, [userId, sessionIdHash]);
  const row = res.rows[0];
  return row ? { shopId: row.shop_id, role: row.role } : null;
}
