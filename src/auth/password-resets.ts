import type { Db, Queryable } from '../db/db.js';
import { AppError } from '../errors.js';
import { hashToken, newToken } from '../sessions/tokens.js';
import type { HashLimiter } from './hash-limiter.js';
import { checkNewPassword } from './password-policy.js';
import { hashPassword } from './passwords.js';
import { usernameKey } from './usernames.js';
import { isUserId } from './users.js';

/**
 * One-time password-reset links: the way back into an account whose password is lost or leaked, without
 * anyone else ever knowing the new password (an administrator hands out a link, not a password).
 *
 * How it can fail, and why it is written so:
 * - The link is a 256-bit random token; only SHA-256 of it is stored, so a leaked row or backup opens
 *   nothing. Issuing a new link deletes the user's older unused ones ("newer voids older"), and so does
 *   a password change.
 * - Use is a conditional `UPDATE … SET used_at WHERE used_at IS NULL AND expires_at > now() RETURNING`
 *   inside the transaction that sets the password: of two racing uses exactly one wins; the other sees
 *   404, as for an unknown, used or expired link — one answer, so a probe learns nothing.
 * - A weak new password is refused *before* the link is touched, so the user can try again with it.
 * - `invalidatePassword` replaces the stored hash with a value no password verifies (verification then
 *   costs the same as a wrong password: passwords.ts treats an unknown hash format that way). That is
 *   the incident case: a leaked password must stop working *before* the account is re-enabled, so the
 *   account never opens with it; the owner's new password arrives only through the link.
 * - Ending the user's sessions (every server, through the engine's revocation path) is the caller's
 *   step after this returns, because it must follow the commit.
 */

/** Wrong second factors on one link before the link dies (docs/security.md S-83). */
export const MAX_FACTOR_FAILURES = 5;

/** Stored instead of a password hash while a reset is pending; no password verifies against it. */
export const NO_PASSWORD = '!reset-pending';

export interface IssuedReset {
  readonly token: string;
  readonly expiresAt: Date;
  readonly userId: string;
  readonly username: string;
}

export interface CompletedReset {
  readonly userId: string;
  readonly username: string;
}

const notFound = () => new AppError('not_found', 'This reset link is not valid: it may have been used or have expired.');

/** A token as we issue them (43 base64url characters); anything else is not looked up at all. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export class PasswordResets {
  constructor(
    private readonly db: Db,
    private readonly limiter: HashLimiter,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new link for the user (by id or username); older unused ones die. Null when there is no such user. */
  async issue(
    who: { id: string } | { username: string },
    opts: { issuedBy: 'admin' | 'cli' | 'mail'; invalidatePassword?: boolean },
  ): Promise<IssuedReset | null> {
    if ('id' in who && !isUserId(who.id)) return null;
    return this.db.transaction((tx) => this.issueIn(tx, who, opts));
  }

  /** issue() inside the caller's transaction (a mailed link is queued in the same one: reset-requests.ts). */
  async issueIn(
    tx: Queryable,
    who: { id: string } | { username: string },
    opts: { issuedBy: 'admin' | 'cli' | 'mail'; invalidatePassword?: boolean },
  ): Promise<IssuedReset | null> {
    if ('id' in who && !isUserId(who.id)) return null;
    const token = newToken();
    const expiresAt = new Date(this.now() + this.ttlSeconds * 1000);
    const found = await tx.query<{ id: string; username: string }>(
      'id' in who
        ? 'SELECT id, username FROM users WHERE id = $1 FOR UPDATE'
        : 'SELECT id, username FROM users WHERE username_key = $1 FOR UPDATE',
      ['id' in who ? who.id : usernameKey(who.username)],
    );
    const user = found.rows[0];
    if (!user) return null;
    await tx.query('DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL', [user.id]);
    await tx.query('INSERT INTO password_resets (token_hash, user_id, expires_at, issued_by) VALUES ($1, $2, $3, $4)', [
      hashToken(token),
      user.id,
      expiresAt,
      opts.issuedBy,
    ]);
    if (opts.invalidatePassword) {
      await tx.query('UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1', [user.id, NO_PASSWORD]);
    }
    return { token, expiresAt, userId: user.id, username: user.username };
  }

  /** Whose link this is, without consuming it (mail scanners and previews open links). */
  async peek(token: string): Promise<{ username: string; userId: string }> {
    if (!TOKEN_SHAPE.test(token)) throw notFound();
    const res = await this.db.query<{ username: string; id: string }>(
      `SELECT u.username, u.id FROM password_resets r JOIN users u ON u.id = r.user_id
        WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2`,
      [hashToken(token), new Date(this.now())],
    );
    const row = res.rows[0];
    if (!row) throw notFound();
    return { username: row.username, userId: row.id };
  }

  /**
   * Sets the new password and uses the link up, once. 404 for a link that is not (or no longer) valid.
   * `checkFactor` runs after the password policy and before the hash: it throws (401, 429) when the
   * user's second factor is enrolled and not proven, and the link stays (recordFactorFailure counts).
   */
  async complete(
    token: string,
    newPassword: string,
    checkFactor: (user: { userId: string; username: string }) => Promise<void> = async () => {},
  ): Promise<CompletedReset> {
    const { username, userId } = await this.peek(token);
    const errors = checkNewPassword(newPassword, { username }).map((e) => ({ ...e, path: 'newPassword' }));
    if (errors.length > 0) throw new AppError('validation', 'Choose another password.', { errors });
    await checkFactor({ userId, username });
    const hash = await this.limiter.run(() => hashPassword(newPassword));
    const done = await this.db.transaction(async (tx) => {
      const used = await tx.query<{ user_id: string }>(
        `UPDATE password_resets SET used_at = $2
          WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id`,
        [hashToken(token), new Date(this.now())],
      );
      const userId = used.rows[0]?.user_id;
      if (!userId) return null;
      const user = await tx.query<{ username: string }>(
        'UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1 RETURNING username',
        [userId, hash],
      );
      await tx.query('DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL', [userId]);
      return { userId, username: user.rows[0]?.username ?? username };
    });
    if (!done) throw notFound();
    return done;
  }

  /**
   * A wrong or missing second factor on this link: counted, and the fifth kills the link (S-83), so a
   * stolen mailbox cannot be used to guess codes at leisure.
   */
  async recordFactorFailure(token: string): Promise<void> {
    if (!TOKEN_SHAPE.test(token)) return;
    // One statement: the failure that reaches the limit marks the link used, so it answers 404 like any dead link.
    await this.db.query(
      `UPDATE password_resets
          SET factor_failures = factor_failures + 1,
              used_at = CASE WHEN factor_failures + 1 >= $2 THEN now() ELSE used_at END
        WHERE token_hash = $1 AND used_at IS NULL`,
      [hashToken(token), MAX_FACTOR_FAILURES],
    );
  }

  /** A password change voids every outstanding link: whoever held one no longer needs it. */
  async voidAll(userId: string): Promise<void> {
    await this.db.query('DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL', [userId]);
  }

  /** Purge: links past their expiry, and used ones, are kept for nothing. */
  async purgeExpired(now: Date, limit: number): Promise<number> {
    const res = await this.db.query(
      `DELETE FROM password_resets WHERE token_hash IN (
         SELECT token_hash FROM password_resets WHERE expires_at <= $1 OR used_at IS NOT NULL LIMIT $2)`,
      [now, limit],
    );
    return res.rowCount;
  }
}

/** The link a user opens: built from PUBLIC_URL, never from anything the request said. */
export function resetLink(publicUrl: string, token: string): string {
  return `${publicUrl}/#/reset/${token}`;
}
