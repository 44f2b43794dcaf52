import { randomUUID } from 'node:crypto';
import type { MailMetrics } from '../mail/metrics.js';
import type { MailQueue } from '../mail/queue.js';
import { type MailTransport, safeReason } from '../mail/transport.js';

/**
 * Sends queued mail (mail/queue.ts) off the request path, on every server: a poll every second, and a
 * nudge when this server queues a message, so a mail normally leaves within milliseconds.
 *
 * Retries with exponential backoff: 1 s, 2 s, 4 s … capped at 15 min, for up to MAX_ATTEMPTS (about a
 * day and a half of trying); then the message is given up on (its bodies blanked) and counted. A mail
 * server that is down for an hour costs some failed attempts and delays the mail; it never fails or
 * slows the request that queued it. A failing tick is logged and the next one tries again; it never
 * takes the server down.
 *
 * Logs say which message (queue id, kind) and where it went (the outbox path or SMTP message id), never
 * the recipient's mail content: the bodies hold links.
 */

export interface MailWorkerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface MailWorkerOptions {
  log: MailWorkerLogger;
  metrics?: MailMetrics;
  pollMs?: number;
  leaseSeconds?: number;
  maxAttempts?: number;
  /** Seconds before attempt n+1, after n failed ones. */
  backoff?: (attempts: number) => number;
  batchSize?: number;
}

export const MAX_ATTEMPTS = 150;
export const backoffSeconds = (attempts: number) => Math.min(900, 2 ** Math.min(attempts - 1, 20));

export interface MailWorker {
  /** One claim-and-send round; how many messages were sent (tests, and the nudge). */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

export function startMailWorker(queue: MailQueue, transport: MailTransport, opts: MailWorkerOptions): MailWorker {
  const worker = randomUUID();
  const leaseSeconds = opts.leaseSeconds ?? 300;
  const maxAttempts = opts.maxAttempts ?? MAX_ATTEMPTS;
  const backoff = opts.backoff ?? backoffSeconds;
  const batchSize = opts.batchSize ?? 20;
  let stopped = false;
  let running: Promise<number> | null = null;
  let again = false;

  const sendOne = async (mail: Awaited<ReturnType<MailQueue['claim']>>[number]): Promise<boolean> => {
    try {
      const where = await transport.send(mail);
      await queue.sent(mail.id, worker);
      opts.metrics?.sent.inc({ kind: mail.kind });
      opts.log.info({ event: 'mail.sent', mailId: mail.id, kind: mail.kind, via: transport.kind, where }, 'mail sent');
      return true;
    } catch (err) {
      const reason = safeReason(err);
      const final = mail.attempts >= maxAttempts;
      opts.metrics?.failures.inc({ kind: mail.kind, final: String(final) });
      if (final) {
        await queue.giveUp(mail.id, worker, reason);
        opts.log.error({ event: 'mail.given_up', mailId: mail.id, kind: mail.kind, attempts: mail.attempts, reason }, 'mail given up');
      } else {
        const retryIn = backoff(mail.attempts);
        await queue.retry(mail.id, worker, retryIn, reason);
        opts.log.warn(
          { event: 'mail.retry', mailId: mail.id, kind: mail.kind, attempts: mail.attempts, retryIn, reason },
          'mail not sent; will retry',
        );
      }
      return false;
    }
  };

  const round = async (): Promise<number> => {
    let sent = 0;
    for (;;) {
      const batch = await queue.claim(worker, leaseSeconds, batchSize);
      const results = await Promise.all(batch.map(sendOne));
      sent += results.filter(Boolean).length;
      if (batch.length < batchSize || stopped) return sent;
    }
  };

  const runOnce = (): Promise<number> => {
    if (running) {
      // A nudge during a round: run once more after it, so a mail queued meanwhile is not left to the poll.
      again = true;
      return running;
    }
    running = round()
      .catch((err) => {
        opts.log.error(
          { event: 'mail.worker_failed', reason: safeReason(err), err: { message: (err as Error).message } },
          'mail round failed; retrying',
        );
        return 0;
      })
      .finally(() => {
        running = null;
        if (again && !stopped) {
          again = false;
          void runOnce();
        }
      });
    return running;
  };

  const timer = setInterval(() => void runOnce(), opts.pollMs ?? 1000);
  timer.unref();
  // Queued on this server: a short delay, so the enqueuing transaction has committed.
  const stopListening = queue.onEnqueue(() => {
    if (!stopped) setTimeout(() => void runOnce(), 25).unref();
  });
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      stopListening();
      await running;
      transport.close();
    },
  };
}
