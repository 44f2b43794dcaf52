import type { Db, Queryable } from '../db/db.js';
import { AppError, notFound } from '../errors.js';
import { lockShopMoneyExclusive } from './money-lock.js';
import { checkShopName, type Shop } from './shops.js';

/*
 * A shop's settings (docs/api.md "Shops, members, invitations": GET/PATCH/DELETE /api/shop): name,
 * currency (ISO 4217), time zone (IANA; the daily totals bucket by the shop's day) and whether members
 * need a second factor. Shops are not tenant data: read and written as the schema owner.
 */

const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));
// Intl lists canonical zones only ('UTC' is not among them on every runtime) — the contract's default is 'UTC'.
const TIME_ZONES: ReadonlySet<string> = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);

const invalid = (path: string, message: string) => new AppError('validation', message, { errors: [{ path, message }] });

export interface ShopPatch {
  readonly name?: string;
  readonly currency?: string;
  readonly timezone?: string;
  readonly requireMfa?: boolean;
}

/** Checked and normalised, or 400 `validation` naming the field; nothing is written before this passes. */
export function checkShopPatch(raw: ShopPatch): ShopPatch {
  const out: { -readonly [K in keyof ShopPatch]: ShopPatch[K] } = {};
  if (raw.name !== undefined) out.name = checkShopName(raw.name);
  if (raw.currency !== undefined) {
    // Codes are upper case (ISO 4217); 'eur' is refused rather than guessed, like every other field.
    if (!CURRENCIES.has(raw.currency)) throw invalid('currency', 'Use an ISO 4217 currency code, such as EUR or USD.');
    out.currency = raw.currency;
  }
  if (raw.timezone !== undefined) {
    if (!TIME_ZONES.has(raw.timezone)) throw invalid('timezone', 'Use an IANA time zone, such as Europe/Paris or UTC.');
    out.timezone = raw.timezone;
  }
  if (raw.requireMfa !== undefined) out.requireMfa = raw.requireMfa;
  return out;
}

interface ShopRow {
  id: string;
  name: string;
  currency: string;
  timezone: string;
  require_mfa: boolean;
  created_at: Date;
}

const COLUMNS = 'id, name, currency, timezone, require_mfa, created_at';

const toShop = (r: ShopRow): Shop => ({
  id: r.id,
  name: r.name,
  currency: r.currency.trim(),
  timezone: r.timezone,
  requireMfa: r.require_mfa,
  createdAt: r.created_at,
});

export async function getShop(db: Queryable, shopId: string): Promise<Shop> {
  const res = await db.query<ShopRow>(`SELECT ${COLUMNS} FROM shops WHERE id = $1`, [shopId]);
  const row = res.rows[0];
  // The access guard read the membership a moment ago; a shop deleted since is simply gone.
  if (!row) throw notFound('No such shop.');
  return toShop(row);
}

export interface ShopChange {
  readonly shop: Shop;
  readonly before: Shop;
}

const currencyInUse = () =>
  new AppError('conflict', 'Items already have prices or costs in the current currency; the currency cannot change now.', {
    errors: [{ path: 'currency', message: 'items already have prices or costs' }],
  });

/** Whether any item of the shop (archived ones too: they are rows like the others) has a price or cost. */
async function anyPricedItem(tx: Queryable, shopId: string): Promise<boolean> {
  // Items are FORCEd under row-level security, which binds the schema owner too: enter the shop first.
  await tx.query(`SELECT set_config('app.shop_id', $1, true)`, [shopId]);
  const res = await tx.query<{ priced: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM items WHERE shop_id = $1 AND (price_cents IS NOT NULL OR cost_cents IS NOT NULL)) AS priced`,
    [shopId],
  );
  return res.rows[0]?.priced === true;
}

/**
 * PATCH /api/shop, checked already (checkShopPatch). One transaction: the shop row locked, and for a
 * currency change the money lock taken exclusively before the priced-items check (money-lock.ts), so no
 * item can be priced in the old currency after the change succeeds. A time zone PostgreSQL does not know
 * (its tz database may lag the runtime's) is refused too: the daily totals compute in it.
 */
export async function updateShop(db: Db, shopId: string, patch: ShopPatch): Promise<ShopChange> {
  return db.transaction(async (tx) => {
    // The money lock before the shop row, never after: a priced INSERT holds it shared and then takes
    // FOR KEY SHARE on the shop row (its foreign key), so row-then-lock here would deadlock with it.
    // And NO KEY UPDATE, not UPDATE: the shop's key does not change, so item writes are not blocked.
    if (patch.currency !== undefined) await lockShopMoneyExclusive(tx, shopId);
    const current = await tx.query<ShopRow>(`SELECT ${COLUMNS} FROM shops WHERE id = $1 FOR NO KEY UPDATE`, [shopId]);
    const row = current.rows[0];
    if (!row) throw notFound('No such shop.');
    const before = toShop(row);
    if (patch.currency !== undefined && patch.currency !== before.currency && (await anyPricedItem(tx, shopId))) throw currencyInUse();
    if (patch.timezone !== undefined && patch.timezone !== before.timezone) {
      const known = await tx.query('SELECT 1 FROM pg_timezone_names WHERE name = $1', [patch.timezone]);
      if (known.rows.length === 0) throw invalid('timezone', 'This time zone is not known to the database; choose another.');
    }
    const updated = await tx.query<ShopRow>(
      `UPDATE shops SET name = coalesce($2, name), currency = coalesce($3, currency), timezone = coalesce($4, timezone),
              require_mfa = coalesce($5, require_mfa)
        WHERE id = $1 RETURNING ${COLUMNS}`,
      [shopId, patch.name ?? null, patch.currency ?? null, patch.timezone ?? null, patch.requireMfa ?? null],
    );
    return { shop: toShop(updated.rows[0] as ShopRow), before };
  });
}

/** The user ids of a shop's members (whom a shop-wide change is told to). */
export async function memberIds(db: Queryable, shopId: string): Promise<string[]> {
  const res = await db.query<{ user_id: string }>('SELECT user_id FROM memberships WHERE shop_id = $1', [shopId]);
  return res.rows.map((r) => r.user_id);
}

/**
 * DELETE /api/shop: the shop and everything of it — items, movements, idempotency keys, memberships and
 * invitations go by ON DELETE CASCADE (migration 010); sessions that worked in it keep living with
 * `active_shop_id` set NULL (they fall back to the user's earliest membership, or none). Returns the
 * members it had, to be told; null when the shop was already gone.
 */
export async function deleteShop(db: Db, shopId: string): Promise<string[] | null> {
  return db.transaction(async (tx) => {
    const locked = await tx.query('SELECT 1 FROM shops WHERE id = $1 FOR UPDATE', [shopId]);
    if (locked.rows.length === 0) return null;
    const members = await memberIds(tx, shopId);
    await tx.query('DELETE FROM shops WHERE id = $1', [shopId]);
    return members;
  });
}
