import type { AuditLog } from '../auth/audit.js';
import type { PasswordResets } from '../auth/password-resets.js';
import type { PendingSignIns } from '../auth/second-factor/pending-sign-ins.js';
import { dropExpiredPreviousKey } from '../auth/pseudonym-rotation.js';
import type { Queryable } from '../db/db.js';
import type { RateLimitStore } from '../auth/rate-limit-store.js';
import type { SessionEngine } from '../sessions/engine.js';
import type { EmailAddresses } from '../auth/email-addresses.js';
import type { MailQueue } from '../mail/queue.js';

/**
 * Retention (S-68, GDPR Art. 5(1)(e)): expired sessions, audit rows older than AUDIT_RETENTION and dead
 * throttling records are deleted in batches, off the request path: a timer every PURGE_INTERVAL, and
 * `stockade purge` on the command line.
 *
 * Batches keep each DELETE short (no long lock, no huge transaction), and the loop yields to the event
 * loop between them, so a backlog of a million rows slows nobody's request. A failing purge is logged
 * and retried at the next tick; it never takes the server down.
 */

export interface PurgeDeps {
  sessions: SessionEngine;
  audit: AuditLog;
  rateLimitStore: RateLimitStore;
  passwordResets: PasswordResets;
  /** Sign-ins that never took their second step (5 minutes each). */
  pendingSignIns: PendingSignIns;
  /** For the previous pseudonym key past its grace period (pseudonym-rotation.ts); skipped without. */
  db?: Queryable;
  /** Expired e-mail verification links; skipped without. */
  emailAddresses?: Pick<EmailAddresses, 'purgeExpired'>;
  /** Mails given up on more than MAIL_GIVEN_UP_RETENTION ago (kept that long for the operator); skipped without. */
  mailQueue?: Pick<MailQueue, 'purgeFailed'>;
}

/** Seconds a mail given up on stays in the queue (recipient, kind, error: no body) for the operator to see. */
export const MAIL_GIVEN_UP_RETENTION = 7 * 86_400;

export interface PurgeCounts {
  sessions: number;
  auditEvents: number;
  rateLimits: number;
  passwordResets: number;
  pendingSignIns: number;
  /** 1 when the previous pseudonym key's grace period was over and it was deleted. */
  pseudonymKeys: number;
  emailVerifications: number;
  mailGivenUp: number;
}

export interface PurgeOptions {
  /** Seconds an audit row is kept. */
  auditRetention: number;
  batchSize?: number;
  /** Batches per kind per run at most, so one run is bounded; the next run continues. */
  maxBatches?: number;
  clock?: () => number;
}

const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));

async function drain(purgeBatch: (limit: number) => Promise<number>, batchSize: number, maxBatches: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = await purgeBatch(batchSize);
    total += n;
    if (n < batchSize) break;
    await yieldToRequests();
  }
  return total;
}

export async function purgeOnce(deps: PurgeDeps, opts: PurgeOptions): Promise<PurgeCounts> {
  const batchSize = opts.batchSize ?? 500;
  const maxBatches = opts.maxBatches ?? 200;
  const clock = opts.clock ?? Date.now;
  const sessions = await drain((n) => deps.sessions.purgeExpired(n), batchSize, maxBatches);
  const cutoff = new Date(clock() - opts.auditRetention * 1000);
  const auditEvents = await drain((n) => deps.audit.purgeBefore(cutoff, n), batchSize, maxBatches);
  const rateLimits = await drain((n) => deps.rateLimitStore.purgeExpired(new Date(clock()), n), batchSize, maxBatches);
  const passwordResets = await drain((n) => deps.passwordResets.purgeExpired(new Date(clock()), n), batchSize, maxBatches);
  const pendingSignIns = await drain((n) => deps.pendingSignIns.purgeExpired(new Date(clock()), n), batchSize, maxBatches);
  const pseudonymKeys = deps.db && (await dropExpiredPreviousKey(deps.db)) ? 1 : 0;
  const { emailAddresses, mailQueue } = deps;
  const emailVerifications = emailAddresses
    ? await drain((n) => emailAddresses.purgeExpired(new Date(clock()), n), batchSize, maxBatches)
    : 0;
  const givenUpBefore = new Date(clock() - MAIL_GIVEN_UP_RETENTION * 1000);
  const mailGivenUp = mailQueue ? await drain((n) => mailQueue.purgeFailed(givenUpBefore, n), batchSize, maxBatches) : 0;
  return { sessions, auditEvents, rateLimits, passwordResets, pendingSignIns, pseudonymKeys, emailVerifications, mailGivenUp };
}

export interface PurgeLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Runs purgeOnce every `intervalSeconds`. The timer is unref()ed (it never keeps the process alive) and
 * never overlaps itself. Returns stop(), which clears the timer and waits for a run in progress.
 */
export function startPurgeJob(deps: PurgeDeps, opts: PurgeOptions & { intervalSeconds: number; log: PurgeLogger }): () => Promise<void> {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = purgeOnce(deps, opts)
      .then((counts) => {
        if (
          counts.sessions ||
          counts.auditEvents ||
          counts.rateLimits ||
          counts.pendingSignIns ||
          counts.pseudonymKeys ||
          counts.emailVerifications ||
          counts.mailGivenUp
        )
          opts.log.info({ event: 'purge', ...counts }, 'purged expired data');
      })
      .catch((err) => opts.log.error({ err, event: 'purge' }, 'purge failed; retrying at the next interval'))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, opts.intervalSeconds * 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
