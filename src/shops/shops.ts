import type { Db, Queryable } from '../db/db.js';
import { AppError } from '../errors.js';

/*
 * Shops (the tenant) and who belongs to them (docs/api.md "Shops, members, invitations"). Shops,
 * memberships and invitations are not tenant data: they decide who reaches a tenant, so they are read
 * and written as the schema owner, outside Db.tenant (stockade_app has no rights on them).
 *
 * "A shop always has an owner" is kept by the database (migration 010: a constraint trigger checked at
 * commit under a lock on the shop row), because two owners demoting each other at once is a race code
 * alone loses. The code checks first to answer a readable 409; the trigger is the wall.
 */

export type ShopRole = 'owner' | 'manager' | 'clerk' | 'viewer';

export interface Shop {
  readonly id: string;
  readonly name: string;
  readonly currency: string;
  readonly timezone: string;
  readonly requireMfa: boolean;
  readonly createdAt: Date;
}

interface ShopRow {
  id: string;
  name: string;
  currency: string;
  timezone: string;
  require_mfa: boolean;
  created_at: Date;
}

const SHOP_COLUMNS = 'id, name, currency, timezone, require_mfa, created_at';

const toShop = (r: ShopRow): Shop => ({
  id: r.id,
  name: r.name,
  currency: r.currency,
  timezone: r.timezone,
  requireMfa: r.require_mfa,
  createdAt: r.created_at,
});

/**
 * A shop name as typed: trimmed, 1 to 100 characters, no control characters (PostgreSQL text cannot
 * hold NUL: it would be a 500) and no lone surrogates (not text at all; with the u flag a paired surrogate is one code point, never Cs). 400 `validation` otherwise.
 */
export function checkShopName(raw: string, path = 'name'): string {
  const name = raw.normalize('NFC').trim();
  const length = [...name].length;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (length < 1 || length > 100 || /[\u0000-\u001f\u007f]/.test(name) || /\p{Cs}/u.test(name)) {
    const message = 'Use 1 to 100 characters, without control characters.';
    throw new AppError('validation', message, { errors: [{ path, message }] });
  }
  return name;
}

/** The name a new account's shop gets when the user gives none (and every pre-shops merchant's). */
export const defaultShopName = (username: string): string => `${username}'s shop`.slice(0, 100);

/** A new shop owned by `ownerId`, in the caller's transaction (the trigger wants its owner by commit). */
export async function openShop(tx: Queryable, ownerId: string, name: string): Promise<Shop> {
  const res = await tx.query<ShopRow>(`INSERT INTO shops (name) VALUES ($1) RETURNING ${SHOP_COLUMNS}`, [name]);
  const shop = res.rows[0];
  if (!shop) throw new Error('shops: INSERT returned no row');
  await tx.query(`INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, 'owner')`, [shop.id, ownerId]);
  return toShop(shop);
}

/** A shop as the session sees it: the shop and the caller's role in it. */
export interface ActiveShop {
  readonly id: string;
  readonly name: string;
  readonly role: ShopRole;
  readonly currency: string;
  readonly timezone: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Makes `shopId` the active shop of one session (POST /api/auth/shop): no token rotation, the role is
 * read per request anyway (membership.ts). Null — and nothing changed — when the user is not a member
 * (a foreign, unknown or malformed id alike: the caller answers 404) or the session row is gone.
 */
export async function switchShop(db: Queryable, userId: string, sessionIdHash: Buffer, shopId: string): Promise<ActiveShop | null> {
  if (!UUID.test(shopId)) return null;
  const res = await db.query<ShopRow & { role: ShopRole }>(
    `WITH switched AS (
       UPDATE sessions s SET active_shop_id = m.shop_id
         FROM memberships m
        WHERE s.id_hash = $1 AND s.user_id = $2 AND m.user_id = $2 AND m.shop_id = $3
       RETURNING m.shop_id, m.role)
     SELECT sh.${SHOP_COLUMNS.split(', ').join(', sh.')}, sw.role FROM switched sw JOIN shops sh ON sh.id = sw.shop_id`,
    [sessionIdHash, userId, shopId],
  );
  const r = res.rows[0];
  return r ? { id: r.id, name: r.name, role: r.role, currency: r.currency, timezone: r.timezone } : null;
}

/** POST /api/shops: a new shop owned by the user, made the active shop of the calling session. */
export async function openShopFor(db: Db, userId: string, sessionIdHash: Buffer, name: string): Promise<ActiveShop> {
  return db.transaction(async (tx) => {
    const shop = await openShop(tx, userId, name);
    await tx.query('UPDATE sessions SET active_shop_id = $1 WHERE id_hash = $2 AND user_id = $3', [shop.id, sessionIdHash, userId]);
    return { id: shop.id, name: shop.name, role: 'owner', currency: shop.currency, timezone: shop.timezone };
  });
}

const LAST_OWNER = 'shops_keep_an_owner';

/** The database refused a change that would leave a shop without an owner (migration 010's trigger). */
export function isLastOwnerViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; constraint?: unknown; message?: unknown };
  // node-postgres exposes the constraint; PGlite's error carries it too, but match the message as well
  // so a driver that drops the field still maps to 409 rather than 500.
  return e.code === '23514' && (e.constraint === LAST_OWNER || (typeof e.message === 'string' && e.message.includes('without an owner')));
}

export const lastOwner = () => new AppError('conflict', 'A shop needs an owner: make someone else owner first.');

/** Runs a transaction that changes memberships; the last-owner wall answers 409, not 500. */
export async function keepingAnOwner<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  try {
    return await db.transaction(fn);
  } catch (err) {
    if (isLastOwnerViolation(err)) throw lastOwner();
    throw err;
  }
}

/**
 * Account deletion's part (DELETE /api/me): the shops the user alone belongs to go with the account;
 * being the last owner of a shop that has other members is refused (409) before anything is touched.
 * In the deletion's transaction; the shop rows are locked so a membership change cannot slip between
 * this check and the user row's delete (and the trigger would catch it if it did).
 */
export async function releaseShopsOf(tx: Queryable, userId: string): Promise<void> {
  const owned = await tx.query<{ shop_id: string; members: number | string; owners: number | string }>(
    `SELECT s.id AS shop_id,
            (SELECT count(*) FROM memberships o WHERE o.shop_id = s.id) AS members,
            (SELECT count(*) FROM memberships o WHERE o.shop_id = s.id AND o.role = 'owner') AS owners
       FROM shops s JOIN memberships m ON m.shop_id = s.id
      WHERE m.user_id = $1 AND m.role = 'owner'
      ORDER BY s.id
        FOR UPDATE OF s`,
    [userId],
  );
  const alone: string[] = [];
  for (const r of owned.rows) {
    if (Number(r.members) === 1) alone.push(r.shop_id);
    else if (Number(r.owners) === 1) throw lastOwner();
  }
  if (alone.length > 0) await tx.query('DELETE FROM shops WHERE id = ANY($1::uuid[])', [alone]);
}
