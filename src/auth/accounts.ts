import type { Db, Queryable } from '../db/db.js';
import { AppError } from '../errors.js';
import type { SessionEngine } from '../sessions/engine.js';
import type { Role } from './user.js';
import { isUserId } from './users.js';

/**
 * Account administration: the list with live-session counts, the kill switch (revoke every session of
 * a user), disable/enable and role changes. Sessions always die through the session engine, so every
 * cache and every server learns of it at once.
 *
 * The last-admin rule: no change may leave the installation without an enabled admin (409). Changes
 * that could remove an admin first lock every enabled admin row, in id order; two admins demoting each
 * other at once therefore take turns, and the second sees that it would remove the last one.
 */

export interface AdminUserView {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  activeSessions: number;
  createdAt: string;
  lastLoginAt: string | null;
}

export interface AccountChange {
  disabled?: boolean;
  role?: Role;
}

export interface UpdateResult {
  user: AdminUserView;
  before: { role: Role; disabled: boolean };
  /** Sessions revoked because the change was real (disabling, or a new role). */
  revoked: number;
}

interface Row {
  id: string;
  username: string;
  username_key: string;
  role: Role;
  disabled: boolean;
  created_at: Date;
  last_login_at: Date | null;
  active_sessions: number | string;
}

const SELECT_VIEW = `SELECT u.id, u.username, u.username_key, u.role, u.disabled, u.created_at, u.last_login_at,
    (SELECT count(*) FROM sessions s
      WHERE s.user_id = u.id AND s.idle_expires_at > $1 AND s.absolute_expires_at > $1)::int AS active_sessions
  FROM users u`;

function toView(r: Row): AdminUserView {
  return {
    id: r.id,
    username: r.username,
    role: r.role,
    disabled: r.disabled,
    activeSessions: Number(r.active_sessions),
    createdAt: r.created_at.toISOString(),
    lastLoginAt: r.last_login_at ? r.last_login_at.toISOString() : null,
  };
}

/** Paging cursors are opaque: the last username key of a page, base64url. */
export const encodeUserCursor = (usernameKey: string) => Buffer.from(usernameKey, 'utf8').toString('base64url');
export function decodeUserCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) return null;
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  // Only a username key can be a cursor of this list: NUL bytes (a 500 in the SQL) or invalid UTF-8
  // (read as U+FFFD) decoded from a forged cursor are refused like any other malformed one.
  return /^[a-z0-9._-]{1,64}$/.test(key) ? key : null;
}

export class Accounts {
  constructor(
    private readonly db: Db,
    private readonly sessions: SessionEngine,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Users in username order, `limit` per page; `after` is the last username key of the previous page. */
  async list(opts: { after?: string; limit: number }): Promise<{ users: AdminUserView[]; nextCursor: string | null }> {
    const res = await this.db.query<Row>(
      `${SELECT_VIEW} WHERE ($2::text IS NULL OR u.username_key COLLATE "C" > $2::text)
        ORDER BY u.username_key COLLATE "C" LIMIT $3`,
      [new Date(this.clock()), opts.after ?? null, opts.limit + 1],
    );
    const more = res.rows.length > opts.limit;
    const rows = res.rows.slice(0, opts.limit);
    const last = rows[rows.length - 1];
    return { users: rows.map(toView), nextCursor: more && last ? encodeUserCursor(last.username_key) : null };
  }

  async get(id: string, q: Queryable = this.db): Promise<AdminUserView | null> {
    if (!isUserId(id)) return null;
    const res = await q.query<Row>(`${SELECT_VIEW} WHERE u.id = $2`, [new Date(this.clock()), id]);
    return res.rows[0] ? toView(res.rows[0]) : null;
  }

  /** The kill switch. Null when there is no such user. */
  async revokeSessions(id: string): Promise<number | null> {
    if (!(await this.get(id))) return null;
    return this.sessions.revokeUser(id);
  }

  /** Disable/enable and role change; 404 for an unknown id, 409 when it would leave no enabled admin. */
  async update(id: string, change: AccountChange): Promise<UpdateResult> {
    if (!isUserId(id)) throw new AppError('not_found', 'No such user.');
    const { before, after } = await this.db.transaction(async (tx) => {
      const mayRemoveAdmin = change.disabled === true || change.role === 'merchant';
      const admins = mayRemoveAdmin ? await lockEnabledAdmins(tx) : [];
      const res = await tx.query<{ role: Role; disabled: boolean }>('SELECT role, disabled FROM users WHERE id = $1 FOR UPDATE', [id]);
      const current = res.rows[0];
      if (!current) throw new AppError('not_found', 'No such user.');
      const next = { role: change.role ?? current.role, disabled: change.disabled ?? current.disabled };
      const wasAdmin = current.role === 'admin' && !current.disabled;
      const staysAdmin = next.role === 'admin' && !next.disabled;
      if (wasAdmin && !staysAdmin && admins.filter((a) => a !== id).length === 0) {
        throw new AppError('conflict', 'This is the last enabled administrator; make another one first.');
      }
      await tx.query('UPDATE users SET role = $2, disabled = $3 WHERE id = $1', [id, next.role, next.disabled]);
      return { before: current, after: next };
    });
    // After the commit: every session of the user dies, so no stale privilege (or access of a disabled
    // account) survives in a cache. Sign-ins in flight cannot slip past (S-72): the session store
    // writes a session under a share lock on this user row (stores/postgres.ts `create`), so a sign-in
    // either committed its session before the UPDATE above could lock the row — and this revocation,
    // a later statement, deletes it — or it waited for this commit and wrote the new state (or nothing).
    const changed = before.role !== after.role || (after.disabled && !before.disabled);
    const why = after.disabled && !before.disabled ? 'disabled' : 'revoked';
    const revoked = changed ? await this.sessions.revokeUser(id, undefined, why) : 0;
    const user = await this.get(id);
    if (!user) throw new AppError('not_found', 'No such user.');
    return { user, before: { role: before.role, disabled: before.disabled }, revoked };
  }

  /** Throws 409 when removing `id` would leave no enabled admin. Call inside the removing transaction. */
  async assertNotLastAdmin(tx: Queryable, id: string): Promise<void> {
    const admins = await lockEnabledAdmins(tx);
    if (admins.includes(id) && admins.length === 1) {
      throw new AppError('conflict', 'This is the last enabled administrator; make another one first.');
    }
  }
}

/** Locks every enabled admin row (id order, so concurrent callers cannot deadlock); returns their ids. */
async function lockEnabledAdmins(tx: Queryable): Promise<string[]> {
  const res = await tx.query<{ id: string }>(`SELECT id FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE`);
  return res.rows.map((r) => r.id);
}
