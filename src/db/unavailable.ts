/**
 * Is this error "the database is not there right now" (connection refused, reset, timed out, server
 * shutting down, or it refuses our credentials) rather than a bug or a bad statement? Those become 503
 * `unavailable` with Retry-After, never a 500, `/readyz` reports them (its ping fails the same way) so a
 * load balancer takes the server out of rotation, and the pool reconnects by itself when the cause goes.
 *
 * Credentials count: after the database password changes, a server not yet restarted can no longer open
 * connections (28P01), yet it is not a bug in this request and a retry elsewhere succeeds.
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const PG_UNAVAILABLE = new Set([
  '57P01', // admin_shutdown (also pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, or in recovery)
  '57P04', // database_dropped
  '28000', // invalid_authorization_specification: pg_hba.conf rejects us, or the role may not log in
  '28P01', // invalid_password: the password changed under a running server
  '3D000', // invalid_catalog_name: the database in DATABASE_URL does not exist (renamed during a restore)
]);
/**
 * TLS failures while connecting (sslmode=verify-full): the database's certificate expired, or was
 * replaced by one our CA does not sign. Like a changed password, the cure is on the operator's side and
 * a load balancer should take the server out of rotation; it is not a bug in the request.
 */
const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
/** Class 53, insufficient resources: too many connections, disk full, out of memory. Transient, not ours. */
const PG_UNAVAILABLE_CLASSES = ['08', '53'];

export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (
    NETWORK_CODES.has(code) ||
    TLS_CODES.has(code) ||
    PG_UNAVAILABLE.has(code) ||
    PG_UNAVAILABLE_CLASSES.some((c) => code.startsWith(c))
  ) {
    return true;
  }
  const message = typeof e.message === 'string' ? e.message : '';
  if (
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection closed|PGlite is closed|does not support SSL connections/i.test(
      message,
    )
  ) {
    return true;
  }
  // AggregateError from net.connect trying several addresses.
  return Array.isArray(e.errors) && e.errors.some(isDatabaseUnavailable);
}
