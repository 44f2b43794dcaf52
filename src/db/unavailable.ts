/**
 * Is this error "the database is not there right now" (connection refused, reset, timed out, server
 * shutting down) rather than a bug or a bad statement? Those become 503 `unavailable` with Retry-After,
 * never a 500, and the pool reconnects by itself when the server is back.
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300']); // shutdown, crash, starting, too many connections

export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (NETWORK_CODES.has(code) || PG_UNAVAILABLE.has(code) || code.startsWith('08')) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection closed|PGlite is closed/i.test(message)) {
    return true;
  }
  // AggregateError from net.connect trying several addresses.
  return Array.isArray(e.errors) && e.errors.some(isDatabaseUnavailable);
}
