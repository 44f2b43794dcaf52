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
  /**
   * The shop requires a second factor (`requireMfa`) and this member has none confirmed: the access
   * guard answers 403 `mfa_required` on the shop's routes (the mfa routes, declared `user`, stay open so
   * the member can enrol). Read in the same statement, so turning requireMfa on, or removing one's
   * factor, bites on the next request like a role change.
   */
  readonly secondFactorMissing: boolean;
}

/** viewer < clerk < manager < owner. */
const RANK: Readonly<Record<ShopRole, number>> = { viewer: 0, clerk: 1, manager: 2, owner: 3 };

export const SHOP_ROLES = Object.keys(RANK) as ShopRole[];

export const atLeast = (role: ShopRole, min: ShopRole): boolean => RANK[role] >= RANK[min];

const ACTIVE = prepared(
  'stockade_active_membership',
  `SELECT m.shop_id, m.role,
          sh.require_mfa AND NOT EXISTS (
            -- auth/second-factor/second-factors.ts confirmedFactorCount: every kind of second factor
            -- (a passkey table joins here too).
            SELECT 1 FROM totp_factors t WHERE t.user_id = $1 AND t.confirmed_at IS NOT NULL) AS second_factor_missing
     FROM memberships m JOIN shops sh ON sh.id = m.shop_id
    WHERE m.user_id = $1
      AND m.shop_id = coalesce(
            (SELECT s.active_shop_id FROM sessions s WHERE s.id_hash = $2 AND s.user_id = $1),
            (SELECT f.shop_id FROM memberships f WHERE f.user_id = $1 ORDER BY f.joined_at, f.shop_id LIMIT 1))`,
);

export async function activeMembership(db: Queryable, userId: string, sessionIdHash: Buffer): Promise<Membership | null> {
  const res = await db.query<{ shop_id: string; role: ShopRole; second_factor_missing: boolean }>(ACTIVE, [userId, sessionIdHash]);
  const row = res.rows[0];
  return row ? { shopId: row.shop_id, role: row.role, secondFactorMissing: row.second_factor_missing === true } : null;
}
