import type { Db } from '../../db/db.js';
import { hashToken, isWellFormedToken, newToken } from '../../sessions/tokens.js';

/**
 * The state between the two steps of a sign-in (S-79): the right password for a user with a second
 * factor yields this, not a session. Its token (256 bits) travels in the pending cookie; only SHA-256
 * of it is stored. It is bound to the sign-in that made it — user, "remember me", and the
 * password_changed_at of the password that was checked (the session is created only while the password
 * is still that one: sessions/engine.ts) — lives PENDING_TTL_SECONDS, and is used once.
 *
 * It grants nothing else: no route reads the pending cookie but the second step, and the session
 * plugin knows only the session cookie.
 */

export const PENDING_TTL_SECONDS = 300;
/** Pending sign-ins one user may hold; older ones go (each needs the right password, so this is the owner or a thief who has it). */
const MAX_PER_USER = 5;

export interface PendingSignIn {
  readonly userId: string;
  readonly remember: boolean;
  readonly passwordChangedAt: Date;
}

export class PendingSignIns {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async create(user: { id: string; passwordChangedAt: Date }, remember: boolean): Promise<string> {
    const token = newToken();
    const now = new Date(this.now());
    await this.db.transaction(async (tx) => {
      await tx.query(
        `DELETE FROM pending_sign_ins WHERE user_id = $1 AND (expires_at <= $2 OR token_hash IN (
           SELECT token_hash FROM pending_sign_ins WHERE user_id = $1 ORDER BY created_at DESC OFFSET $3))`,
        [user.id, now, MAX_PER_USER - 1],
      );
      await tx.query(
        `INSERT INTO pending_sign_ins (token_hash, user_id, remember, password_changed_at, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [hashToken(token), user.id, remember, user.passwordChangedAt, now, new Date(now.getTime() + PENDING_TTL_SECONDS * 1000)],
      );
    });
    return token;
  }

  /** The live pending sign-in this token names, or null (unknown, used, expired, malformed). */
  async find(token: string | undefined): Promise<PendingSignIn | null> {
    if (!token || !isWellFormedToken(token)) return null;
    const res = await this.db.query<{ user_id: string; remember: boolean; password_changed_at: Date }>(
      'SELECT user_id, remember, password_changed_at FROM pending_sign_ins WHERE token_hash = $1 AND expires_at > $2',
      [hashToken(token), new Date(this.now())],
    );
    const row = res.rows[0];
    return row ? { userId: row.user_id, remember: row.remember, passwordChangedAt: row.password_changed_at } : null;
  }

  /** Uses it up: true for exactly one of any number of racing calls. */
  async consume(token: string): Promise<boolean> {
    if (!isWellFormedToken(token)) return false;
    const res = await this.db.query('DELETE FROM pending_sign_ins WHERE token_hash = $1 AND expires_at > $2', [
      hashToken(token),
      new Date(this.now()),
    ]);
    return res.rowCount === 1;
  }

  async purgeExpired(now: Date, limit: number): Promise<number> {
    const res = await this.db.query(
      'DELETE FROM pending_sign_ins WHERE token_hash IN (SELECT token_hash FROM pending_sign_ins WHERE expires_at <= $1 LIMIT $2)',
      [now, limit],
    );
    return res.rowCount;
  }
}
