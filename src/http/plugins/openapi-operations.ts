import type { Access } from '../access.js';
import type { Operation } from '../operation.js';
import { ref } from './openapi-components.js';

/*
 * The answers of an operation in the OpenAPI document. The success answer is the route's own (its
 * response schema, declared in the route module with its summary: src/http/operation.ts); the failures
 * follow from what the route is, and all share the Problem schema.
 */

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every answer of one operation, success first: the failures follow from who may call it (401/403),
 * whether it is unsafe (403 csrf), whether it has a body (400/413/415) or an id (404), plus its own.
 * 500 and 503 can happen anywhere.
 */
export function responsesFor(
  method: string,
  url: string,
  op: Operation,
  access: Access,
  generated: Record<string, { content?: unknown }> = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const { ok } = op;
  // @fastify/swagger has already turned the route's response schema into `generated[status].content`.
  const content = generated[String(ok.status)]?.content;
  out[String(ok.status)] = {
    description: ok.description,
    ...(ok.contentType ? { content: { [ok.contentType]: { schema: { type: 'string' } } } } : content ? { content } : {}),
  };
  const statuses = new Set<number>(op.errors ?? []);
  if (access !== 'public') statuses.add(401);
  if (access === 'merchant' || access === 'admin' || access === 'scraper' || access.startsWith('shop:') || UNSAFE.has(method))
    statuses.add(403);
  if (UNSAFE.has(method) && url.startsWith('/api/')) statuses.add(400).add(413).add(415);
  if (url.includes(':id')) statuses.add(404);
  if (url.startsWith('/api/')) statuses.add(400);
  statuses.add(500).add(503);
  for (const status of [...statuses].sort((a, b) => a - b)) {
    // A route may also answer a failure with its own JSON shape (readiness: 503 with the checks); a
    // problem is always possible too (the server shutting down is 503 `unavailable` everywhere).
    const own = generated[String(status)]?.content as object | undefined;
    const shared = PROBLEM_RESPONSE_NAMES[status];
    out[String(status)] = own || !shared ? problemAnswer(status, own) : { $ref: `#/components/responses/${shared}` };
  }
  return out;
}

/** A failure answer: a problem (and the route's own JSON, if it has one for this status). */
function problemAnswer(status: number, own?: object) {
  return {
    description: ERROR_DESCRIPTIONS[status] ?? 'See `code`.',
    content: { ...own, 'application/problem+json': { schema: ref('Problem') } },
    ...(status === 429 || status === 503
      ? { headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } } }
      : {}),
  };
}

/*
 * The failure answers are the same on every operation, so the document writes each once, under
 * components.responses, and the operations reference it (as they reference the Problem schema): the
 * web's generated types name each once instead of repeating it for every operation.
 */
const PROBLEM_RESPONSE_NAMES: Record<number, string> = {
  400: 'Invalid',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Unprocessable',
  429: 'RateLimited',
  500: 'Internal',
  503: 'Unavailable',
};

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: '`validation`: the request is not valid (`errors` lists the fields).',
  401: '`unauthenticated`: no, unknown, expired or revoked session (the cookie is cleared).',
  403: '`forbidden` (role), `csrf` (missing or wrong X-CSRF-Token, foreign Origin, cross-site), or `reauth_required` (sensitive action: re-authenticate); on a shop route also `mfa_required` (the shop requires a second factor you have not turned on).',
  404: '`not_found`: no such object, or another tenant’s.',
  409: '`conflict`: already exists, stale `version`, stock below zero, or an Idempotency-Key reused with another body.',
  413: '`payload_too_large`: body over 1 MiB (CSV import: 20 MiB).',
  415: '`unsupported_media_type`: send JSON (CSV import: text/csv).',
  422: '`validation` with row errors (CSV import); nothing was written.',
  429: '`rate_limited`: too many attempts; wait Retry-After seconds.',
  500: '`internal`: our fault; no details are given (the request id is in `instance`).',
  503: '`unavailable`: a dependency (the database) is unreachable, or the server is shutting down; retry after Retry-After seconds.',
};

/** components.responses of the document: one problem answer per status of PROBLEM_RESPONSE_NAMES (after ERROR_DESCRIPTIONS, which it reads). */
export const PROBLEM_RESPONSES: Record<string, unknown> = Object.fromEntries(
  Object.entries(PROBLEM_RESPONSE_NAMES).map(([status, name]) => [name, problemAnswer(Number(status))]),
);
