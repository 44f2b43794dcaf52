import type { Db, Queryable } from '../db/db.js';
import { notFound } from '../errors.js';

/*
 * The only door from the inventory to the database. Every repository function passes through
 * inTenant(), so every statement runs as stockade_app with app.shop_id set (Db.tenant), and the SQL
 * itself names shop_id too: two walls, either of which alone keeps shops apart.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function inTenant<T>(db: Db, shopId: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  // The shop id comes from the session, never the client; a malformed one is a bug upstream, and
  // failing here beats a uuid cast error inside the RLS policy.
  if (!isUuid(shopId)) throw new Error('inventory: shop id is not a uuid');
  return db.tenant(shopId, fn);
}

/**
 * An item id from a URL. Anything that is not a uuid cannot name an item, so it is answered exactly like
 * an unknown or foreign id (404), and never reaches SQL as a failing cast (which would be a 500).
 */
export function assertItemId(id: string): void {
  if (!isUuid(id)) throw notFound('No such item.');
}

/** A PostgreSQL error's SQLSTATE and constraint, from either driver (both expose `code`, `constraint`). */
export function pgError(err: unknown): { code?: string; constraint?: string } {
  if (typeof err !== 'object' || err === null) return {};
  const e = err as { code?: unknown; constraint?: unknown };
  return {
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.constraint === 'string' ? { constraint: e.constraint } : {}),
  };
}

/** True for a unique violation, optionally of one named constraint. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = pgError(err);
  return e.code === '23505' && (constraint === undefined || e.constraint === constraint);
}
