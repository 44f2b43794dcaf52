import { createHash } from 'node:crypto';
import type { Db, Queryable } from '../db/db.js';
import type { OutgoingMail } from '../mail/message.js';
import type { MailQueue } from '../mail/queue.js';
import { newDeviceMail, passwordChangedMail, secondFactorRemovedMail } from '../mail/templates.js';

/**
 * Security notices (S-85): mails to a user's verified address when something happened to their account
 * that they should know of if it was not them. A user without a verified address gets none (there is
 * nowhere to send them); the audit trail still has the event.
 *
 * Each notice is queued (mail/queue.ts), never sent on the request path: a dead mail server neither
 * slows nor fails a sign-in or a password change. Pass the caller's transaction as `q` to tie the
 * notice to the change it reports.
 *
 * "A device not seen before": what Stockade keeps of a client is the device summary of its User-Agent
 * ("Firefox on Linux") and its network (the address truncated to /24 or /48; lib/client-info.ts), so a
 * device is that pair, stored as its SHA-256 per user (known_devices). A new browser, or the same
 * browser from another network, is new; a laptop moving within its office /24 is not. The first device
 * of an account (sign-up, or the first sign-in after this was introduced) is recorded without a notice:
 * there is nothing yet to compare with.
 */
export class Notices {
  constructor(
    private readonly db: Db,
    private readonly queue: MailQueue,
  ) {}

  private async send(userId: string, build: (to: string, username: string) => OutgoingMail, q: Queryable): Promise<boolean> {
    const res = await q.query<{ username: string; email: string | null }>('SELECT username, email FROM users WHERE id = $1', [userId]);
    const user = res.rows[0];
    if (!user?.email) return false;
    await this.queue.enqueue(build(user.email, user.username), userId, q);
    return true;
  }

  passwordChanged(userId: string, how: 'changed' | 'reset', q: Queryable = this.db): Promise<boolean> {
    return this.send(userId, (to, username) => passwordChangedMail(to, username, how), q);
  }

  /** For the second-factor work: call when a factor is removed by its user (`removed`) or by an admin (`reset`). */
  secondFactorRemoved(userId: string, how: 'removed' | 'reset', q: Queryable = this.db): Promise<boolean> {
    return this.send(userId, (to, username) => secondFactorRemovedMail(to, username, how), q);
  }

  /**
   * Records a sign-in's device; queues a notice when the device is new for an account that already
   * had one. `notify: false` at sign-up (the account's first device). True when a notice was queued.
   */
  async signedIn(
    userId: string,
    device: string,
    network: string,
    opts: { notify: boolean; at?: Date } = { notify: true },
  ): Promise<boolean> {
    const id = createHash('sha256').update(`${device}\u0000${network}`).digest();
    return this.db.transaction(async (tx) => {
      const seen = await tx.query<{ first: boolean }>(
        `INSERT INTO known_devices (user_id, device) VALUES ($1, $2)
         ON CONFLICT (user_id, device) DO UPDATE SET last_seen = now()
         RETURNING (xmax = 0) AS first`,
        [userId, id],
      );
      if (!seen.rows[0]?.first || !opts.notify) return false;
      const others = await tx.query('SELECT 1 FROM known_devices WHERE user_id = $1 AND device <> $2 LIMIT 1', [userId, id]);
      if (others.rows.length === 0) return false;
      return this.send(userId, (to, username) => newDeviceMail(to, username, device, network, opts.at ?? new Date()), tx);
    });
  }
}
