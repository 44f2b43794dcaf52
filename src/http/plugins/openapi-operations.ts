import type { Access } from '../access.js';
import { cursor, obj, ref } from './openapi-components.js';

/*
 * What the OpenAPI document says about each route beyond its validation schemas: tag, summary and its
 * answers. Who may call it is not here: it is the route's own `config.access` (access.ts), which
 * openapi.ts reads from the registered route. Keyed by "METHOD /pattern" exactly as Fastify registers the route; the ops
 * test fails when a registered route has no entry here (or an entry names no route), so a new route
 * cannot ship undocumented.
 */

export interface OperationDoc {
  tag: 'auth' | 'sessions' | 'inventory' | 'admin' | 'privacy' | 'operations';
  summary: string;
  description?: string;
  /** Success status and body (JSON schema; a string is a content type with a text body). */
  ok: { status: number; description: string; schema?: unknown; contentType?: string };
  /** Statuses beyond the ones implied by access, method and parameters (see responsesFor). */
  errors?: number[];
  /** Takes an Idempotency-Key header. */
  idempotent?: boolean;
  /** A request body the route's schema does not describe (CSV). */
  requestBody?: { contentType: string; description: string };
}

const json = (schema: unknown) => schema;
const list = (key: string, item: string, withCursor = true) =>
  obj(withCursor ? { [key]: { type: 'array', items: ref(item) }, nextCursor: cursor } : { [key]: { type: 'array', items: ref(item) } });

export const OPERATIONS: Record<string, OperationDoc> = {
  'GET /healthz': { tag: 'operations', summary: 'Liveness: the process is up', ok: { status: 200, description: 'Alive.', schema: obj({ status: { type: 'string', enum: ['ok'] } }) } },
  'GET /readyz': {
    tag: 'operations',
    summary: 'Readiness: the database (and Redis, when configured) answers',
    ok: { status: 200, description: 'Ready, or degraded (an optional part such as the Redis cache is down).', schema: ref('Readiness') },
    errors: [503],
  },
  'GET /metrics': {
    tag: 'operations',
    summary: 'Prometheus metrics',
    description:
      'Text exposition format. With METRICS_TOKEN set, send `Authorization: Bearer <token>` (METRICS_TOKEN_PREVIOUS works too); otherwise served to direct loopback clients only, and to nobody when TRUST_PROXY is set.',
    ok: { status: 200, description: 'Prometheus text format 0.0.4.', contentType: 'text/plain; version=0.0.4' },
  },

  'POST /api/auth/register': {
    tag: 'auth',
    summary: 'Create a merchant account and sign in',
    ok: { status: 201, description: 'Signed in; sets the session cookie.', schema: obj({ user: ref('User'), csrfToken: { type: 'string' } }) },
    errors: [409, 429],
  },
  'POST /api/auth/login': {
    tag: 'auth',
    summary: 'Sign in',
    description: 'Unknown user, wrong password and disabled account get the same 401 in about the same time. Too many failures: 429 with Retry-After.',
    ok: { status: 200, description: 'Signed in with a fresh token; sets the session cookie.', schema: ref('SignedIn') },
    errors: [401, 429],
  },
  'POST /api/auth/logout': { tag: 'auth', summary: 'Sign out (deletes the server-side session)', ok: { status: 204, description: 'Signed out; cookie cleared.' } },
  'GET /api/auth/session': { tag: 'auth', summary: 'Who am I', ok: { status: 200, description: 'The current user, session and CSRF token.', schema: ref('SignedIn') } },
  'POST /api/auth/reauthenticate': {
    tag: 'auth',
    summary: 'Step-up: confirm the password (rotates the token)',
    ok: { status: 200, description: 'Freshly authenticated.', schema: obj({ session: ref('Session'), csrfToken: { type: 'string' } }) },
    errors: [429],
  },
  'POST /api/auth/password': {
    tag: 'auth',
    summary: 'Change the password (rotates this session, revokes every other)',
    ok: { status: 200, description: 'Changed; sets the new cookie.', schema: obj({ csrfToken: { type: 'string' } }) },
    errors: [429],
  },
  'GET /api/auth/password-reset/:token': {
    tag: 'auth',
    summary: 'Whose password-reset link this is (does not use it up)',
    description: 'Unknown, used and expired links all answer the same 404. Opening the link (a mail scanner, a preview) never consumes it.',
    ok: { status: 200, description: 'The link is valid.', schema: obj({ username: { type: 'string' }, mfaRequired: { type: 'boolean' } }) },
    errors: [404],
  },
  'POST /api/auth/password-reset/:token': {
    tag: 'auth',
    summary: 'Set a new password with a reset link',
    description:
      'Uses the link up (once, even under concurrent use), sets the password and ends every session of the user on every server. A weak password is 400 and leaves the link usable; an unknown, used or expired link is 404.',
    ok: { status: 204, description: 'Password set; sign in with it.' },
    errors: [404],
  },

  'GET /api/sessions': { tag: 'sessions', summary: "The signed-in user's sessions", ok: { status: 200, description: 'Sessions.', schema: list('sessions', 'SessionListEntry', false) } },
  'DELETE /api/sessions/:id': { tag: 'sessions', summary: 'End one of your sessions', ok: { status: 204, description: 'Ended.' } },
  'POST /api/sessions/revoke-others': {
    tag: 'sessions',
    summary: 'End every other session (needs a fresh authentication)',
    ok: { status: 200, description: 'How many ended.', schema: obj({ revoked: { type: 'integer' } }) },
    errors: [403],
  },

  'GET /api/items': { tag: 'inventory', summary: 'List, search and sort items', ok: { status: 200, description: 'A page of items.', schema: list('items', 'Item') } },
  'POST /api/items': { tag: 'inventory', summary: 'Create an item', idempotent: true, ok: { status: 201, description: 'Created.', schema: obj({ item: ref('Item') }) }, errors: [409] },
  'GET /api/items/export.csv': {
    tag: 'inventory',
    summary: "Export all the merchant's items as CSV",
    description: "Cells starting with = + - @, tab or CR are prefixed with ' against formula injection.",
    ok: { status: 200, description: 'CSV, streamed.', contentType: 'text/csv' },
  },
  'POST /api/items/import': {
    tag: 'inventory',
    summary: 'Import items from CSV (all rows or none)',
    idempotent: true,
    requestBody: { contentType: 'text/csv', description: 'UTF-8 CSV with a header row, up to 20 MiB.' },
    description:
      'Parsed on a worker thread, written in one transaction. One import at a time per merchant (409 with Retry-After while another runs, on any server); `IMPORT_MAX` per `IMPORT_WINDOW` (429).',
    ok: { status: 200, description: 'Counts.', schema: obj({ created: { type: 'integer' }, updated: { type: 'integer' } }) },
    errors: [409, 422, 429],
  },
  'GET /api/items/:id': { tag: 'inventory', summary: 'One item', ok: { status: 200, description: 'The item.', schema: obj({ item: ref('Item') }) } },
  'PATCH /api/items/:id': {
    tag: 'inventory',
    summary: 'Edit an item (not its quantity)',
    ok: { status: 200, description: 'Edited.', schema: obj({ item: ref('Item') }) },
    errors: [409],
  },
  'DELETE /api/items/:id': { tag: 'inventory', summary: 'Delete an item and its ledger', ok: { status: 204, description: 'Deleted.' } },
  'POST /api/items/:id/adjustments': {
    tag: 'inventory',
    summary: 'Adjust stock (one ledger row)',
    description: '409 if the stock would go below zero.',
    idempotent: true,
    ok: { status: 201, description: 'Adjusted.', schema: obj({ item: ref('Item'), movement: ref('Movement') }) },
    errors: [409],
  },
  'GET /api/items/:id/movements': { tag: 'inventory', summary: "An item's ledger, newest first", ok: { status: 200, description: 'A page of movements.', schema: list('movements', 'Movement') } },
  'GET /api/inventory/summary': { tag: 'inventory', summary: 'Totals for the dashboard', ok: { status: 200, description: 'Totals.', schema: ref('Summary') } },
  'GET /api/inventory/movements/daily': {
    tag: 'inventory',
    summary: 'Units in and out per UTC day, for the dashboard chart (extension to API.md)',
    description: '`days` 1..90 (default 14): one entry per day up to today, oldest first, zero days included.',
    ok: {
      status: 200,
      description: 'Per-day totals.',
      schema: obj({
        days: {
          type: 'array',
          items: obj({ date: { type: 'string', format: 'date' }, unitsIn: { type: 'integer' }, unitsOut: { type: 'integer' }, movements: { type: 'integer' } }),
        },
      }),
    },
  },

  'GET /api/admin/users': { tag: 'admin', summary: 'Users, in username order', ok: { status: 200, description: 'A page of users.', schema: list('users', 'AdminUser') } },
  'POST /api/admin/users/:id/revoke-sessions': {
    tag: 'admin',
    summary: "End every session of a user, on every server (kill switch)",
    ok: { status: 200, description: 'How many ended.', schema: obj({ revoked: { type: 'integer' } }) },
  },
  'POST /api/admin/users/:id/password-reset': {
    tag: 'admin',
    summary: 'Issue a one-time password-reset link for a user',
    description:
      'The link (`PUBLIC_URL/#/reset/<token>`, valid for PASSWORD_RESET_TTL) is for the user, handed over out of band; a newer link voids older ones. With `invalidatePassword: true` the current password stops working at once and every session of the user ends: the leaked-password playbook, so the account never opens with the leaked password.',
    ok: { status: 201, description: 'The link.', schema: obj({ link: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } }) },
  },
  'PATCH /api/admin/users/:id': {
    tag: 'admin',
    summary: 'Disable, enable, or change the role of a user',
    description: 'Disabling (and a role change) revokes all the user’s sessions.',
    ok: { status: 200, description: 'The user.', schema: obj({ user: ref('AdminUser') }) },
    errors: [409],
  },
  'GET /api/admin/audit': { tag: 'admin', summary: 'The audit trail, newest first', ok: { status: 200, description: 'A page of events.', schema: list('events', 'AuditEvent') } },

  'GET /api/me/activity': { tag: 'privacy', summary: 'Your security activity', ok: { status: 200, description: 'Events.', schema: list('events', 'ActivityEvent', false) } },
  'POST /api/me/export': {
    tag: 'privacy',
    summary: 'Everything stored about you, as JSON',
    description: 'At most once per EXPORT_MIN_INTERVAL (429 otherwise).',
    ok: { status: 200, description: 'Profile, sessions, items, movements, auth events.', schema: { type: 'object', additionalProperties: true } },
    errors: [429],
  },
  'DELETE /api/me': {
    tag: 'privacy',
    summary: 'Delete your account and all its data',
    description: 'Needs a fresh authentication and the password.',
    ok: { status: 204, description: 'Deleted; cookie cleared.' },
    errors: [429],
  },
};

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every answer of one operation, success first: the failures follow from who may call it (401/403),
 * whether it is unsafe (403 csrf), whether it has a body (400/413/415) or an id (404), plus its own.
 * 500 and 503 can happen anywhere.
 */
export function responsesFor(method: string, url: string, op: OperationDoc, access: Access): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const { ok } = op;
  out[String(ok.status)] = {
    description: ok.description,
    ...(ok.contentType
      ? { content: { [ok.contentType]: { schema: { type: 'string' } } } }
      : ok.schema
        ? { content: { 'application/json': { schema: json(ok.schema) } } }
        : {}),
  };
  const statuses = new Set<number>(op.errors ?? []);
  if (access !== 'public') statuses.add(401);
  if (access === 'merchant' || access === 'admin' || access === 'scraper' || UNSAFE.has(method)) statuses.add(403);
  if (UNSAFE.has(method) && url.startsWith('/api/')) statuses.add(400).add(413).add(415);
  if (url.includes(':id')) statuses.add(404);
  if (url.startsWith('/api/')) statuses.add(400);
  statuses.add(500).add(503);
  for (const status of [...statuses].sort((a, b) => a - b)) {
    out[String(status)] = {
      description: ERROR_DESCRIPTIONS[status] ?? 'See `code`.',
      content: { 'application/problem+json': { schema: ref('Problem') } },
      ...(status === 429 || status === 503 ? { headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } } } : {}),
    };
  }
  return out;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: '`validation`: the request is not valid (`errors` lists the fields).',
  401: '`unauthenticated`: no, unknown, expired or revoked session (the cookie is cleared).',
  403: '`forbidden` (role), `csrf` (missing or wrong X-CSRF-Token, foreign Origin, cross-site), or `reauth_required` (sensitive action: re-authenticate).',
  404: '`not_found`: no such object, or another tenant’s.',
  409: '`conflict`: already exists, stale `version`, stock below zero, or an Idempotency-Key reused with another body.',
  413: '`payload_too_large`: body over 1 MiB (CSV import: 20 MiB).',
  415: '`unsupported_media_type`: send JSON (CSV import: text/csv).',
  422: '`validation` with row errors (CSV import); nothing was written.',
  429: '`rate_limited`: too many attempts; wait Retry-After seconds.',
  500: '`internal`: our fault; no details are given (the request id is in `instance`).',
  503: '`unavailable`: a dependency (the database) is unreachable, or the server is shutting down; retry after Retry-After seconds.',
};
