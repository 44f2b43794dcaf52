import type { Db, Queryable } from '../db/db.js';
import { AppError } from '../errors.js';
import type { MailQueue } from '../mail/queue.js';
import { addressInUseMail, emailChangeRequestedMail, verifyEmailMail } from '../mail/templates.js';
import { hashToken, newToken } from '../sessions/tokens.js';
import { parseEmail } from './email-address.js';
import { isUserId } from './users.js';

/**
 * A user's e-mail address: optional, used only once verified by a link sent to it
 * (`PUBLIC_URL/#/verify-email/<token>`, usable signed in or not), one account per verified address.
 *
 * How it can fail, and why it is written so:
 * - Uniqueness is the database's (users_email_key, migration 012): only verified addresses are stored
 *   on users, so two accounts verifying one address at once cannot both win; the loser's link answers
 *   409, which only the holder of the mailbox (who read the link) ever sees.
 * - No enumeration: asking for an address another account has verified answers the same 202 as any
 *   other; the address's owner gets a notice that someone tried (addressInUseMail) instead of a link,
 *   and the asker gets nothing to click. So a 202 says nothing about whether an address is in use.
 * - The link is a 256-bit token, hashed at rest, 24 hours, single use (deleted as it is used); a newer
 *   request replaces the older (one pending row per user). The old address hears of every change
 *   request (S-85), so a stolen session cannot quietly move the account's mail elsewhere.
 * - Verifying an address voids the user's outstanding password-reset links: they went to the old one.
 */

export const EMAIL_VERIFY_TTL_SECONDS = 86_400;

/** A token as we issue them (43 base64url characters); anything else is not looked up at all. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface EmailState {
  readonly email: string | null;
  readonly emailVerified: boolean;
  /** An address waiting for its link to be opened. */
  readonly pendingEmail: string | null;
}

export class EmailAddresses {
  constructor(
    private readonly db: Db,
    private readonly queue: MailQueue,
    private readonly publicUrl: string,
    private readonly now: () => number = Date.now,
  ) {}

  async state(userId: string): Promise<EmailState> {
    if (!isUserId(userId)) return { email: null, emailVerified: false, pendingEmail: null };
    const res = await this.db.query<{ email: string | null; pending: string | null }>(
      `SELECT u.email, v.email AS pending FROM users u
         LEFT JOIN email_verifications v ON v.user_id = u.id AND v.expires_at > $2
        WHERE u.id = $1`,
      [userId, new Date(this.now())],
    );
    const row = res.rows[0];
    return { email: row?.email ?? null, emailVerified: Boolean(row?.email), pendingEmail: row?.pending ?? null };
  }

  /** Queues the link (or, for an address taken by another account, a notice to it) and a notice to the old address. */
  async requestChange(userId: string, rawEmail: string): Promise<void> {
    const { email, key } = parseEmail(rawEmail);
    const token = newToken();
    const expiresAt = new Date(this.now() + EMAIL_VERIFY_TTL_SECONDS * 1000);
    await this.db.transaction(async (tx) => {
      const me = await tx.query<{ username: string; email: string | null; email_key: string | null }>(
        'SELECT username, email, email_key FROM users WHERE id = $1 FOR UPDATE',
        [userId],
      );
      const user = me.rows[0];
      if (!user) throw new AppError('unauthenticated', 'Your session has ended.');
      await tx.query('DELETE FROM email_verifications WHERE user_id = $1', [userId]);
      if (user.email_key === key) return; // already this user's verified address: nothing to prove
      const taken = await tx.query('SELECT 1 FROM users WHERE email_key = $1', [key]);
      if (taken.rows.length > 0) {
        await this.queue.enqueue(addressInUseMail(email), null, tx);
      } else {
        await tx.query('INSERT INTO email_verifications (token_hash, user_id, email, email_key, expires_at) VALUES ($1, $2, $3, $4, $5)', [
          hashToken(token),
          userId,
          email,
          key,
          expiresAt,
        ]);
        await this.queue.enqueue(verifyEmailMail(email, user.username, verifyEmailLink(this.publicUrl, token), '24 hours'), userId, tx);
      }
      if (user.email) await this.queue.enqueue(emailChangeRequestedMail(user.email, user.username), userId, tx);
    });
  }

  /** Uses the link: the address becomes the user's verified address. 404 for a link that is not (or no longer) valid. */
  async verify(token: string): Promise<{ userId: string; email: string }> {
    if (!TOKEN_SHAPE.test(token)) throw notFound();
    try {
      return await this.db.transaction(async (tx) => {
        const used = await tx.query<{ user_id: string; email: string; email_key: string }>(
          'DELETE FROM email_verifications WHERE token_hash = $1 AND expires_at > $2 RETURNING user_id, email, email_key',
          [hashToken(token), new Date(this.now())],
        );
        const row = used.rows[0];
        if (!row) throw notFound();
        await tx.query('UPDATE users SET email = $2, email_key = $3, email_verified_at = now() WHERE id = $1', [
          row.user_id,
          row.email,
          row.email_key,
        ]);
        // Reset links went to the old address (or to none): they die with the change.
        await tx.query('DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL', [row.user_id]);
        return { userId: row.user_id, email: row.email };
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new AppError('conflict', 'This address already belongs to another account.', {
          errors: [{ path: 'token', message: 'This address already belongs to another account.' }],
        });
      }
      throw err;
    }
  }

  /** Links past their expiry are kept for nothing. */
  async purgeExpired(now: Date, limit: number, q: Queryable = this.db): Promise<number> {
    const res = await q.query(
      'DELETE FROM email_verifications WHERE token_hash IN (SELECT token_hash FROM email_verifications WHERE expires_at <= $1 LIMIT $2)',
      [now, limit],
    );
    return res.rowCount;
  }
}

const notFound = () => new AppError('not_found', 'This link is not valid: it may have been used or have expired.');

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

/** The link a user opens: built from PUBLIC_URL, never from anything the request said. */
export function verifyEmailLink(publicUrl: string, token: string): string {
  return `${publicUrl}/#/verify-email/${token}`;
}
