import type { FastifyRequest } from 'fastify';
import type { AuditLog, AuditType } from '../auth/audit.js';
import type { Metrics } from '../observability/metrics.js';
import { truncateIp } from '../lib/client-info.js';
import { PerKeyBudget } from './per-key-budget.js';

/**
 * Refused requests (a CSRF refusal, a signed-in user refused by role) recorded so that refusing stays
 * cheap (docs/security.md S-87): anyone can send refused requests as fast as they like, so none of them may
 * cost an unbounded number of durable rows or log lines.
 *
 * - Every refusal counts in `stockade_requests_refused_total{type, session}` (memory only).
 * - Anonymous (no live session): no audit row — it names nobody, and 3,000 forged POSTs used to write
 *   3,000 rows kept for 90 days. A warn log line instead, at most LINES_PER_ADDRESS per truncated address
 *   (/24, /48) per minute and LINES_TOTAL per minute in all.
 * - Signed in: audited (row and line, as before; it names the user whose session was used), but at most
 *   ROWS_PER_SESSION per session per hour; beyond that, log lines under the same per-minute budgets as
 *   anonymous ones. The bound is per server process (see per-key-budget.ts).
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const REFUSAL_BUDGETS = {
  LINES_PER_ADDRESS: 10,
  LINES_TOTAL: 100,
  ROWS_PER_SESSION: 10,
  /** Keys remembered per budget: a few hundred kilobytes at most. */
  MAX_KEYS: 10_000,
} as const;

export type RefusalType = Extract<AuditType, 'csrf.failure' | 'authz.denied'>;
export type RecordRefusal = (request: FastifyRequest, type: RefusalType, details: Readonly<Record<string, string>>) => void;

export function refusalRecorder(
  audit: Pick<AuditLog, 'event'>,
  metrics: Pick<Metrics, 'requestsRefused'>,
  now: () => number = Date.now,
): RecordRefusal {
  const { requestsRefused } = metrics;
  const { LINES_PER_ADDRESS, LINES_TOTAL, ROWS_PER_SESSION, MAX_KEYS } = REFUSAL_BUDGETS;
  const linesPerKey = new PerKeyBudget({ perKey: LINES_PER_ADDRESS, windowMs: MINUTE, maxKeys: MAX_KEYS, now });
  const linesTotal = new PerKeyBudget({ perKey: LINES_TOTAL, windowMs: MINUTE, maxKeys: 1, now });
  const rowsPerSession = new PerKeyBudget({ perKey: ROWS_PER_SESSION, windowMs: HOUR, maxKeys: MAX_KEYS, now });

  return (request, type, details) => {
    const auth = request.auth;
    requestsRefused.inc({ type, session: auth ? 'signed_in' : 'anonymous' });
    if (auth && rowsPerSession.take(auth.session.id)) {
      void audit.event(request, type, { userId: auth.user.id, details });
      return;
    }
    const ip = truncateIp(request.ip);
    const key = auth ? `session ${auth.session.id}` : `address ${ip}`;
    if (linesPerKey.take(key) && linesTotal.take('all')) {
      request.log.warn({ event: type, userId: auth?.user.id, ip, audited: false, ...details }, type);
    }
  };
}
