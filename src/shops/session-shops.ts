import { type Queryable, prepared } from '../db/db.js';
import type { ActiveShop, ShopRole } from './shops.js';

/*
 * What "who am I" (GET /api/auth/session) says about shops: the session's active shop with the caller's
 * role, currency and time zone, and every shop the user belongs to (the web app's shop switcher). Read
 * in one prepared statement with the same rule as the access guard (membership.ts): the session's
 * `active_shop_id`, or the user's earliest membership when it has none; an active shop the user no
 * longer belongs to is no shop (null), never a silent fall-back to another. The route serves it from
 * this server's copy when there is one (session-shops-cache.ts, emptied through the bus on every change).
 */

export interface ShopListing {
  readonly id: string;
  readonly name: string;
  readonly role: ShopRole;
}

export interface SessionShops {
  readonly shop: ActiveShop | null;
  readonly shops: ShopListing[];
}

const SESSION_SHOPS = prepared(
  'stockade_session_shops',
  `SELECT sh.id, sh.name, m.role, sh.currency, sh.timezone,
          sh.id = coalesce(
            (SELECT s.active_shop_id FROM sessions s WHERE s.id_hash = $2 AND s.user_id = $1),
            (SELECT f.shop_id FROM memberships f WHERE f.user_id = $1 ORDER BY f.joined_at, f.shop_id LIMIT 1)) AS active
     FROM memberships m JOIN shops sh ON sh.id = m.shop_id
    WHERE m.user_id = $1
    ORDER BY m.joined_at, sh.id`,
);

interface Row {
  id: string;
  name: string;
  role: ShopRole;
  currency: string;
  timezone: string;
  active: boolean | null;
}

export async function sessionShops(db: Queryable, userId: string, sessionIdHash: Buffer): Promise<SessionShops> {
  const res = await db.query<Row>(SESSION_SHOPS, [userId, sessionIdHash]);
  let shop: ActiveShop | null = null;
  const shops: ShopListing[] = [];
  for (const r of res.rows) {
    shops.push({ id: r.id, name: r.name, role: r.role });
    if (r.active === true) shop = { id: r.id, name: r.name, role: r.role, currency: r.currency.trim(), timezone: r.timezone };
  }
  return { shop, shops };
}

/** An admin's memberships are dormant (docs/api.md): no active shop, nothing to switch to. */
export const NO_SHOPS: SessionShops = Object.freeze({ shop: null, shops: [] });
