import type { Db, Queryable } from '../db/db.js';
import { isUuid } from '../inventory/tenant.js';
import { keepingAnOwner } from './shops.js';
import type { ShopRole } from './shops.js';

/*
 * A shop's members (docs/api.md "Shops, members, invitations": GET/PATCH/DELETE /api/shop/members).
 * Every change is one membership row in the caller's active shop: a member of another shop, an unknown
 * or a malformed id is "no such member" (the route answers 404), never a 403 that would confirm the id.
 * "A shop always has an owner" is the database's (migration 010's deferred trigger, checked at commit
 * under a lock on the shop row); keepingAnOwner turns its refusal into 409. Nothing here ends a session:
 * the role is read per request (membership.ts), so the change bites on the member's next request on
 * every server; the route tells their open tabs through the bus.
 */

export interface Member {
  readonly userId: string;
  readonly username: string;
  readonly role: ShopRole;
  readonly joinedAt: Date;
  /** Whether the member has a confirmed second factor (what requireMfa asks for). */
  readonly mfa: boolean;
}

interface MemberRow {
  user_id: string;
  username: string;
  role: ShopRole;
  joined_at: Date;
  mfa: boolean;
}

const toMember = (r: MemberRow): Member => ({
  userId: r.user_id,
  username: r.username,
  role: r.role,
  joinedAt: r.joined_at,
  mfa: r.mfa === true,
});

// auth/second-factor/second-factors.ts confirmedFactorCount: every kind of second factor counts.
const MEMBER_COLUMNS = `m.user_id, u.username, m.role, m.joined_at,
  EXISTS (SELECT 1 FROM totp_factors t WHERE t.user_id = m.user_id AND t.confirmed_at IS NOT NULL) AS mfa`;

/** Owners first, then managers, clerks, viewers; by name within a role. */
export async function listMembers(db: Queryable, shopId: string): Promise<Member[]> {
  const res = await db.query<MemberRow>(
    `SELECT ${MEMBER_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE m.shop_id = $1
      ORDER BY array_position(ARRAY['owner', 'manager', 'clerk', 'viewer'], m.role), u.username_key, m.user_id`,
    [shopId],
  );
  return res.rows.map(toMember);
}

export interface RoleChange {
  readonly member: Member;
  readonly before: ShopRole;
}

/** Sets a member's role; null when `userId` is not a member of the shop. 409 when no owner would be left. */
export async function changeRole(db: Db, shopId: string, userId: string, role: ShopRole): Promise<RoleChange | null> {
  if (!isUuid(userId)) return null;
  return keepingAnOwner(db, async (tx) => {
    const current = await tx.query<{ role: ShopRole }>('SELECT role FROM memberships WHERE shop_id = $1 AND user_id = $2 FOR UPDATE', [
      shopId,
      userId,
    ]);
    const before = current.rows[0]?.role;
    if (!before) return null;
    await tx.query('UPDATE memberships SET role = $3 WHERE shop_id = $1 AND user_id = $2', [shopId, userId, role]);
    const res = await tx.query<MemberRow>(
      `SELECT ${MEMBER_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.shop_id = $1 AND m.user_id = $2`,
      [shopId, userId],
    );
    return { member: toMember(res.rows[0] as MemberRow), before };
  });
}

/**
 * Removes a member (an owner's removal, or the member leaving); false when `userId` is not a member.
 * 409 when no owner would be left. Their sessions keep `active_shop_id` pointing here: shop routes
 * answer 403 until the tab switches (never a silent move into another shop, where a form still open
 * would write), and who-am-I says `shop: null`.
 */
export async function removeMember(db: Db, shopId: string, userId: string): Promise<boolean> {
  if (!isUuid(userId)) return false;
  return keepingAnOwner(db, async (tx) => {
    const res = await tx.query('DELETE FROM memberships WHERE shop_id = $1 AND user_id = $2', [shopId, userId]);
    return (res.rowCount ?? 0) > 0;
  });
}
