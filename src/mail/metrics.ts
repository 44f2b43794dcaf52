import { Counter, Gauge, type Registry } from 'prom-client';
import type { MailQueue } from './queue.js';

/**
 * The mail subsystem's metrics, in the app's registry (observability/metrics.ts makes one per app):
 * messages sent and failed attempts by kind, and the queue's depth, counted when Prometheus scrapes
 * (one count over mail_queue; never on a request's path). No label carries an address.
 */
export interface MailMetrics {
  readonly sent: Counter<'kind'>;
  readonly failures: Counter<'kind' | 'final'>;
}

export function createMailMetrics(registry: Registry, queue: MailQueue): MailMetrics {
  const sent = new Counter({
    name: 'stockade_mail_sent_total',
    help: 'Mails handed to SMTP or written to the outbox.',
    labelNames: ['kind'],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'stockade_mail_failures_total',
    help: 'Failed send attempts; final="true" when the message was given up on.',
    labelNames: ['kind', 'final'],
    registers: [registry],
  });
  // Both gauges from one count per scrape: whichever is collected first reads, the other shares it.
  let reading: Promise<{ waiting: number; failed: number }> | undefined;
  const depth = () => {
    reading ??= queue
      .depth()
      .catch(() => ({ waiting: Number.NaN, failed: Number.NaN }))
      .finally(() => setImmediate(() => (reading = undefined)));
    return reading;
  };
  new Gauge({
    name: 'stockade_mail_queue_depth',
    help: 'Mails waiting to be sent (all servers).',
    registers: [registry],
    async collect() {
      this.set((await depth()).waiting);
    },
  });
  new Gauge({
    name: 'stockade_mail_queue_failed',
    help: 'Mails given up on and kept for the operator.',
    registers: [registry],
    async collect() {
      this.set((await depth()).failed);
    },
  });
  return { sent, failures };
}
