import type { Queryable } from '../db/db.js';

/*
 * Who made a ledger row (docs/api.md: `movement.by` = `{userId, username}`). Movements keep only the
 * user's id (`created_by`, SET NULL when the account is erased), and the tenant role (stockade_app)
 * cannot read `users`, so names are looked up afterwards, as the schema owner, for the ids of one page.
 * An erased account — a null id, or an id whose row is gone by the time of the lookup — shows as
 * "deleted user", never as an error.
 */

export interface Person {
  readonly userId: string | null;
  readonly username: string;
}

export const DELETED_USER = 'deleted user';

/** Username by id, for the given ids (nulls and repeats are fine). */
export async function usernamesOf(db: Queryable, ids: Iterable<string | null>): Promise<ReadonlyMap<string, string>> {
  const wanted = [...new Set([...ids].filter((id): id is string => id !== null))];
  if (wanted.length === 0) return new Map();
  const res = await db.query<{ id: string; username: string }>('SELECT id, username FROM users WHERE id = ANY($1::uuid[])', [wanted]);
  return new Map(res.rows.map((r) => [r.id, r.username]));
}

export function personOf(names: ReadonlyMap<string, string>, id: string | null): Person {
  const username = id === null ? undefined : names.get(id);
  return id !== null && username !== undefined ? { userId: id, username } : { userId: null, username: DELETED_USER };
}
