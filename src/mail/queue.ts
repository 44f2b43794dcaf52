import type { Queryable } from '../db/db.js';
import type { OutgoingMail } from './message.js';

/**
 * The durable outbound queue (table mail_queue, migration 012). A request that wants a mail sent
 * inserts a row — in its own transaction when it has one, so the mail exists exactly when the change it
 * reports was committed — and returns at once: SMTP never runs on the request path, so a slow or dead
 * mail server neither delays nor fails the request (S-86). A worker (jobs/mail-worker.ts) sends.
 *
 * How it can fail, and why it is written so:
 * - Several servers, one queue: a worker claims due rows with `FOR UPDATE SKIP LOCKED` (two workers
 *   never claim one row) and a lease (`leased_until`, in the database's clock, so servers with skewed
 *   clocks agree). Only the lease holder may settle a row (`AND leased_by = $worker`). A worker that dies
 *   mid-send leaves a lease that runs out, and the row is sent again by whoever claims it next: at least
 *   once, never twice while the lease holds. The lease (5 min) is far longer than the SMTP timeouts
 *   (transport.ts, 1 min), so a live worker always settles before anyone else may claim.
 * - A restart loses nothing: rows are committed before the request answers, and a claimed row whose
 *   server stopped is claimed again when its lease runs out.
 * - No token once sent: a sent row is deleted; a row given up on keeps its recipient, kind and last error
 *   for the operator, but its subject and bodies are blanked in the same UPDATE.
 */

export interface QueuedMail extends OutgoingMail {
  readonly id: string;
  /** Including this one. */
  readonly attempts: number;
}

interface Row {
  id: string;
  kind: string;
  recipient: string;
  subject: string;
  text_body: string;
  html_body: string;
  attempts: number;
}

export class MailQueue {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly db: Queryable) {}

  /**
   * Queues `mail` for `userId` (erasure deletes what still waits for them). `q`: the caller's
   * transaction, so the mail is committed with the change it reports; this server's worker is then
   * nudged (other servers find it on their next poll).
   */
  async enqueue(mail: OutgoingMail, userId: string | null, q: Queryable = this.db): Promise<void> {
    await q.query('INSERT INTO mail_queue (user_id, kind, recipient, subject, text_body, html_body) VALUES ($1, $2, $3, $4, $5, $6)', [
      userId,
      mail.kind,
      mail.to,
      mail.subject,
      mail.text,
      mail.html,
    ]);
    for (const l of this.listeners) l();
  }

  /** Called after each enqueue on this server (the worker's nudge); returns the function that stops it. */
  onEnqueue(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Due rows nobody holds, at most `limit`, leased to `worker` for `leaseSeconds`. */
  async claim(worker: string, leaseSeconds: number, limit: number): Promise<QueuedMail[]> {
    const res = await this.db.query<Row>(
      `UPDATE mail_queue SET leased_until = now() + make_interval(secs => $2), leased_by = $1, attempts = attempts + 1
        WHERE id IN (
          SELECT id FROM mail_queue
           WHERE failed_at IS NULL AND next_attempt_at <= now() AND (leased_until IS NULL OR leased_until < now())
           ORDER BY next_attempt_at, id LIMIT $3
           FOR UPDATE SKIP LOCKED)
        RETURNING id, kind, recipient, subject, text_body, html_body, attempts`,
      [worker, leaseSeconds, limit],
    );
    return res.rows.map((r) => ({
      id: String(r.id),
      kind: r.kind,
      to: r.recipient,
      subject: r.subject,
      text: r.text_body,
      html: r.html_body,
      attempts: r.attempts,
    }));
  }

  /** Sent: the row, and with it any link it carried, is gone. */
  async sent(id: string, worker: string): Promise<void> {
    await this.db.query('DELETE FROM mail_queue WHERE id = $1 AND leased_by = $2', [id, worker]);
  }

  /** Not sent this time: due again after `retryInSeconds`. `error` must hold no message content (transport.ts). */
  async retry(id: string, worker: string, retryInSeconds: number, error: string): Promise<void> {
    await this.db.query(
      `UPDATE mail_queue SET leased_until = NULL, leased_by = NULL, next_attempt_at = now() + make_interval(secs => $3), last_error = $4
        WHERE id = $1 AND leased_by = $2`,
      [id, worker, retryInSeconds, error],
    );
  }

  /** Given up: kept for the operator to see (kind, recipient, error), without subject or bodies. */
  async giveUp(id: string, worker: string, error: string): Promise<void> {
    await this.db.query(
      `UPDATE mail_queue SET failed_at = now(), leased_until = NULL, leased_by = NULL, subject = '', text_body = '', html_body = '', last_error = $3
        WHERE id = $1 AND leased_by = $2`,
      [id, worker, error],
    );
  }

  /** Messages waiting to be sent, and messages given up on (metrics, `stockade stats`). */
  async depth(): Promise<{ waiting: number; failed: number }> {
    const res = await this.db.query<{ waiting: number; failed: number }>(
      'SELECT count(*) FILTER (WHERE failed_at IS NULL)::int AS waiting, count(*) FILTER (WHERE failed_at IS NOT NULL)::int AS failed FROM mail_queue',
    );
    return { waiting: Number(res.rows[0]?.waiting ?? 0), failed: Number(res.rows[0]?.failed ?? 0) };
  }

  /** Rows given up on longer ago than `before`: kept for the operator for a while, then purged. */
  async purgeFailed(before: Date, limit: number): Promise<number> {
    const res = await this.db.query('DELETE FROM mail_queue WHERE id IN (SELECT id FROM mail_queue WHERE failed_at < $1 LIMIT $2)', [
      before,
      limit,
    ]);
    return res.rowCount;
  }
}
