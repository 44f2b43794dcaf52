import type { Db, Queryable } from '../db/db.js';
import { AppError } from '../errors.js';
import { memoisedPerObject } from '../lib/memoise.js';
import type { Role, SessionUser } from './user.js';
import { usernameKey } from './usernames.js';

/** The users table. Accounts are not tenant data (an admin belongs to no tenant), so no RLS here. */

export interface UserRow extends SessionUser {
  readonly passwordHash: string;
  readonly disabled: boolean;
  readonly lastLoginAt: Date | null;
  /** When the password was last set (not by a hash upgrade): a session is only written for this one (S-72). */
  readonly passwordChangedAt: Date;
}

interface Row {
  id: string;
  username: string;
  password_hash: string;
  role: Role;
  disabled: boolean;
  created_at: Date;
  last_login_at: Date | null;
  password_changed_at: Date;
}

const COLUMNS = 'id, username, password_hash, role, disabled, created_at, last_login_at, password_changed_at';

function toUser(r: Row): UserRow {
  return {
    id: r.id,
    username: r.username,
    role: r.role,
    createdAt: r.created_at,
    passwordHash: r.password_hash,
    disabled: r.disabled,
    lastLoginAt: r.last_login_at,
    passwordChangedAt: r.password_changed_at,
  };
}

/** The public shape of a user in API responses. */
export interface PublicUser {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly createdAt: string;
}

// Memoised per object, as public-session.ts does and for the same reason: the session's user snapshot
// is the same object on every local-cache hit, and never mutated.
export const publicUser = memoisedPerObject(
  (u: SessionUser): PublicUser => Object.freeze({ id: u.id, username: u.username, role: u.role, createdAt: u.createdAt.toISOString() }),
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUserId = (id: string) => UUID.test(id);

export class Users {
  constructor(private readonly db: Db) {}

  /** 409 `conflict` when the name is taken (registration says so openly: S-42 allows it for sign-up). */
  async create(username: string, passwordHash: string, role: Role = 'merchant', q: Queryable = this.db): Promise<UserRow> {
    const res = await q.query<Row>(
      `INSERT INTO users (username, username_key, password_hash, role) VALUES ($1, $2, $3, $4)
       ON CONFLICT (username_key) DO NOTHING RETURNING ${COLUMNS}`,
      [username.normalize('NFKC'), usernameKey(username), passwordHash, role],
    );
    const row = res.rows[0];
    if (!row)
      throw new AppError('conflict', 'That username is taken.', { errors: [{ path: 'username', message: 'That username is taken.' }] });
    return toUser(row);
  }

  /**
   * `create`, and `setUp` in the same transaction: sign-up opens the user's shop with the account, so a
   * failure of either leaves neither.
   */
  async createWith(
    username: string,
    passwordHash: string,
    role: Role,
    setUp: (tx: Queryable, user: UserRow) => Promise<void>,
  ): Promise<UserRow> {
    return this.db.transaction(async (tx) => {
      const user = await this.create(username, passwordHash, role, tx);
      await setUp(tx, user);
      return user;
    });
  }

  async findByUsername(username: string): Promise<UserRow | null> {
    // PostgreSQL text cannot hold NUL: the query would fail (500). No stored name contains one.
    if (username.includes('\u0000')) return null;
    const res = await this.db.query<Row>(`SELECT ${COLUMNS} FROM users WHERE username_key = $1`, [usernameKey(username)]);
    return res.rows[0] ? toUser(res.rows[0]) : null;
  }

  async findById(id: string): Promise<UserRow | null> {
    if (!isUserId(id)) return null;
    const res = await this.db.query<Row>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return res.rows[0] ? toUser(res.rows[0]) : null;
  }

  async setPasswordHash(id: string, passwordHash: string, changed: boolean): Promise<void> {
    await this.db.query(`UPDATE users SET password_hash = $2${changed ? ', password_changed_at = now()' : ''} WHERE id = $1`, [
      id,
      passwordHash,
    ]);
  }

  async recordLogin(id: string): Promise<void> {
    await this.db.query('UPDATE users SET last_login_at = now() WHERE id = $1', [id]);
  }
}
