import { type Db, prepared } from '../../db/db.js';
import type { Role } from '../../auth/user.js';
import type { SessionRecord } from '../session.js';
import type { CreatedSession, SessionStore, StoredSession } from './store.js';

/** The truth: sessions in PostgreSQL (a server, or embedded PGlite). */

interface Row {
  id_hash: Uint8Array;
  public_id: string;
  user_id: string;
  created_at: Date;
  last_seen_at: Date;
  authenticated_at: Date;
  idle_expires_at: Date;
  absolute_expires_at: Date;
  remember: boolean;
  user_agent: string;
  ip: string;
}

const COLUMNS = `id_hash, public_id, user_id, created_at, last_seen_at, authenticated_at,
  idle_expires_at, absolute_expires_at, remember, user_agent, ip`;

// The two statements of every request the local cache cannot answer, prepared (db.ts `Statement`).
const GET = prepared(
  'stockade_session_get',
  `SELECT ${COLUMNS.replace(/(\w+)/g, 's.$1')}, u.username, u.role, u.created_at AS user_created_at
     FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.id_hash = $1 AND NOT u.disabled`,
);
const TOUCH = prepared(
  'stockade_session_touch',
  `UPDATE sessions SET last_seen_at = $2, idle_expires_at = $3
    WHERE id_hash = $1 AND idle_expires_at > $2 AND absolute_expires_at > $2`,
);

function toRecord(r: Row): SessionRecord {
  return {
    idHash: Buffer.from(r.id_hash),
    id: r.public_id,
    userId: r.user_id,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    authenticatedAt: r.authenticated_at,
    idleExpiresAt: r.idle_expires_at,
    absoluteExpiresAt: r.absolute_expires_at,
    remember: r.remember,
    userAgent: r.user_agent,
    ip: r.ip,
  };
}

function values(s: SessionRecord): unknown[] {
  return [
    s.idHash,
    s.id,
    s.userId,
    s.createdAt,
    s.lastSeenAt,
    s.authenticatedAt,
    s.idleExpiresAt,
    s.absoluteExpiresAt,
    s.remember,
    s.userAgent,
    s.ip,
  ];
}

const INSERT = `INSERT INTO sessions (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;

export class PostgresSessionStore implements SessionStore {
  constructor(private readonly db: Db) {}

  /**
   * S-72: the user row is read again under a share lock (FOR SHARE), in the transaction that inserts
   * the session, and the session is written only for an enabled user, with the role read here. Why
   * this closes the race with an admin's disable or role change (accounts.ts), under READ COMMITTED:
   * - The admin's UPDATE of the row needs a lock that conflicts with FOR SHARE. If our lock comes first,
   *   the UPDATE waits until this transaction has committed the session; the admin's revocation of the
   *   user's sessions runs after its own commit, so its DELETE (a later statement, a later snapshot)
   *   sees this session and removes it — and the bus then empties every cache of it.
   * - If the admin's UPDATE comes first, our SELECT waits for it and, once it commits, re-reads the
   *   *updated* row (PostgreSQL re-checks the WHERE on the newest version of a locked row): a disabled
   *   user matches nothing and nothing is written; a demoted one is written with the new role.
   * Either way the snapshot answered is current as of the commit, which is what makes it safe to cache.
   * The same holds for a password set or voided meanwhile (a reset, the leaked-password playbook): with
   * `passwordChangedAt` nothing is written once password_changed_at is later than the one checked
   * (compared to the millisecond: the column keeps microseconds, a Date does not).
   * FOR SHARE rather than FOR KEY SHARE: the latter does not conflict with a plain UPDATE of non-key
   * columns. Concurrent sign-ins share the lock; `recordLogin` and password upgrades wait a moment.
   * PGlite runs one transaction at a time, where the same order holds trivially.
   */
  async create(session: SessionRecord, _user: unknown, maxPerUser: number, passwordChangedAt?: Date): Promise<CreatedSession | null> {
    return this.db.transaction(async (tx) => {
      const current = await tx.query<{ username: string; role: Role; created_at: Date }>(
        `SELECT username, role, created_at FROM users
          WHERE id = $1 AND NOT disabled
            AND ($2::timestamptz IS NULL OR password_changed_at < $2::timestamptz + interval '1 millisecond')
          FOR SHARE`,
        [session.userId, passwordChangedAt ?? null],
      );
      const u = current.rows[0];
      if (!u) return null;
      await tx.query(INSERT, values(session));
      const evicted = await tx.query<Row>(
        `DELETE FROM sessions WHERE id_hash IN (
           SELECT id_hash FROM sessions WHERE user_id = $1
           ORDER BY created_at DESC, id_hash OFFSET $2)
         RETURNING ${COLUMNS}`,
        [session.userId, maxPerUser],
      );
      return {
        user: { id: session.userId, username: u.username, role: u.role, createdAt: u.created_at },
        evicted: evicted.rows.map(toRecord),
      };
    });
  }

  async get(idHash: Buffer): Promise<StoredSession | null> {
    const res = await this.db.query<Row & { username: string; role: Role; user_created_at: Date }>(GET, [idHash]);
    const r = res.rows[0];
    if (!r) return null;
    return {
      session: toRecord(r),
      user: { id: r.user_id, username: r.username, role: r.role, createdAt: r.user_created_at },
    };
  }

  async touch(idHash: Buffer, lastSeenAt: Date, idleExpiresAt: Date): Promise<boolean> {
    // Conditional on a live row: a revoked (deleted) or expired session matches nothing and stays dead.
    const res = await this.db.query(TOUCH, [idHash, lastSeenAt, idleExpiresAt]);
    return res.rowCount > 0;
  }

  async rotate(oldIdHash: Buffer, next: SessionRecord): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // The user row, shared, before anything else: deleteUser holds it exclusively while it deletes, so a
      // rotation either finishes before the kill switch's DELETE starts (whose fresh snapshot then sees the
      // new row) or starts after it (and finds its old row gone). Without it, a DELETE … WHERE user_id that
      // waited on the old row's lock missed the row this transaction inserted: the rotated session survived
      // "sign out everywhere" (store contract: rotations racing deleteUser, on a PostgreSQL server).
      await tx.query('SELECT 1 FROM users WHERE id = $1 FOR SHARE', [next.userId]);
      const gone = await tx.query('DELETE FROM sessions WHERE id_hash = $1 RETURNING id_hash', [oldIdHash]);
      if (gone.rows.length === 0) return false;
      await tx.query(INSERT, values(next));
      return true;
    });
  }

  async delete(idHash: Buffer): Promise<SessionRecord | null> {
    const res = await this.db.query<Row>(`DELETE FROM sessions WHERE id_hash = $1 RETURNING ${COLUMNS}`, [idHash]);
    return res.rows[0] ? toRecord(res.rows[0]) : null;
  }

  async deleteById(userId: string, publicId: string): Promise<SessionRecord | null> {
    const res = await this.db.query<Row>(`DELETE FROM sessions WHERE user_id = $1 AND public_id = $2 RETURNING ${COLUMNS}`, [
      userId,
      publicId,
    ]);
    return res.rows[0] ? toRecord(res.rows[0]) : null;
  }

  async deleteUser(userId: string, keep?: Buffer): Promise<Buffer[]> {
    // The user row exclusively first: every session write of this user (create, rotate) holds it shared,
    // so none is half-way while the DELETE below takes its snapshot (see rotate). The hashes come from
    // the statement that ends the sessions: every session it ended is named, and no other (the Redis
    // tier deletes exactly these keys, tiers/redis-tier.ts).
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
      const res = keep
        ? await tx.query<{ id_hash: Uint8Array }>('DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2 RETURNING id_hash', [
            userId,
            keep,
          ])
        : await tx.query<{ id_hash: Uint8Array }>('DELETE FROM sessions WHERE user_id = $1 RETURNING id_hash', [userId]);
      return res.rows.map((r) => Buffer.from(r.id_hash));
    });
  }

  /** Already gone from the truth: only the tiers above have something to forget. */
  async forgetEnded(_userId: string, idHashes: readonly Buffer[]): Promise<Buffer[]> {
    return [...idHashes];
  }

  async deleteAll(): Promise<number> {
    // EXCLUSIVE lets reads on but waits for every transaction that is writing sessions (a sign-in, a
    // rotation) and holds off new ones, so the DELETE's snapshot misses no row written half-way.
    return this.db.transaction(async (tx) => {
      await tx.query('LOCK TABLE sessions IN EXCLUSIVE MODE');
      return (await tx.query('DELETE FROM sessions')).rowCount;
    });
  }

  async listUser(userId: string): Promise<SessionRecord[]> {
    const res = await this.db.query<Row>(`SELECT ${COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY last_seen_at DESC`, [userId]);
    return res.rows.map(toRecord);
  }

  async purgeExpired(now: Date, limit: number): Promise<number> {
    // idle_expires_at never exceeds absolute_expires_at (the engine clamps it), so one indexed test covers both.
    const res = await this.db.query(
      `DELETE FROM sessions WHERE id_hash IN (
         SELECT id_hash FROM sessions WHERE idle_expires_at <= $1 LIMIT $2)`,
      [now, limit],
    );
    return res.rowCount;
  }
}
