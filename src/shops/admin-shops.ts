import type { Queryable } from '../db/db.js';
import { isUuid } from '../inventory/tenant.js';

/*
 * GET /api/admin/shops: the shops that exist, with their head counts — never their stock (admins do not
 * read inventory, docs/api.md). Oldest first, keyset-paginated on (created_at, id) like the other admin
 * lists: a page never skips or repeats a shop however many are opened meanwhile.
 */

export interface AdminShopView {
  readonly id: string;
  readonly name: string;
  readonly members: number;
  readonly owners: number;
  readonly createdAt: Date;
}

export interface ShopCursor {
  readonly createdAt: Date;
  readonly id: string;
}

/** Opaque: base64url of "<epoch ms>.<id>" of a page's last shop. */
export const encodeShopCursor = (c: ShopCursor) => Buffer.from(`${c.createdAt.getTime()}.${c.id}`, 'utf8').toString('base64url');

/** Null for anything that is not a cursor of this list (the route answers 400). */
export function decodeShopCursor(cursor: string): ShopCursor | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  const m = /^(\d{1,15})\.(.+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m || !isUuid(m[2] as string)) return null;
  const createdAt = new Date(Number(m[1]));
  return Number.isNaN(createdAt.getTime()) ? null : { createdAt, id: (m[2] as string).toLowerCase() };
}

export async function listShops(
  db: Queryable,
  opts: { after?: ShopCursor; limit: number },
): Promise<{ shops: AdminShopView[]; nextCursor: string | null }> {
  const res = await db.query<{ id: string; name: string; members: string | number; owners: string | number; created_at: Date }>(
    `SELECT s.id, s.name, s.created_at,
            (SELECT count(*) FROM memberships m WHERE m.shop_id = s.id) AS members,
            (SELECT count(*) FROM memberships m WHERE m.shop_id = s.id AND m.role = 'owner') AS owners
       FROM shops s
      WHERE $1::timestamptz IS NULL OR (s.created_at, s.id) > ($1::timestamptz, $2::uuid)
      ORDER BY s.created_at, s.id
      LIMIT $3`,
    [opts.after?.createdAt ?? null, opts.after?.id ?? null, opts.limit + 1],
  );
  const more = res.rows.length > opts.limit;
  const rows = res.rows.slice(0, opts.limit);
  const last = rows[rows.length - 1];
  return {
    shops: rows.map((r) => ({ id: r.id, name: r.name, members: Number(r.members), owners: Number(r.owners), createdAt: r.created_at })),
    nextCursor: more && last ? encodeShopCursor({ createdAt: last.created_at, id: last.id }) : null,
  };
}
