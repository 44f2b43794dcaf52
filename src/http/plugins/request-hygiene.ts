import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, ERROR_CODES } from '../../errors.js';
import { nonCanonicalTarget } from '../request-target.js';
import { sendProblem } from './errors.js';

/**
 * Malformed requests that never reach the error handler, answered as problem JSON like every other
 * failure (found by the fault suite's fuzz; before, each had its own bare Fastify or Node body):
 *
 * - a request target the router would read differently than it is written: absolute-form, a fragment,
 *   a percent-encoded letter or digit in the path (request-target.ts, S-71): 400;
 * - a query string whose percent-encoding is broken or not UTF-8 (`?q=%FF`, `?q=%`): the router
 *   decodes it leniently into U+FFFD or leaves it raw, so two components could read two different
 *   values; it is refused (400) instead;
 * - a path that is not valid percent-encoded UTF-8, or a path parameter over the router's 100
 *   characters (Fastify `frameworkErrors`): 400;
 * - a request the HTTP parser rejects (bad syntax, control characters in a header, a head over 16 KiB,
 *   too slow to arrive; `clientErrorHandler`): 400, 431 or 408, written straight to the socket.
 *
 * - a JSON body that is not valid UTF-8 (Fastify would read it with U+FFFD in place of the bad bytes);
 * - a body labelled with a charset other than UTF-8 (`application/json; charset=utf-16`): every body is
 *   decoded as UTF-8, so the label would be silently ignored; 415 instead.
 *
 * The checks cost an `includes` or two per request; decoding happens only when there is a `%`.
 */

/** Headers the security plugin would have set; these answers are written before any hook runs. */
const BARE_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function queryIsWellFormed(url: string): boolean {
  const q = url.indexOf('?');
  if (q < 0 || !url.includes('%', q)) return true;
  try {
    decodeURIComponent(url.slice(q + 1).replace(/\+/g, ' '));
    return true;
  } catch {
    return false; // URIError: a % without two hex digits, or bytes that are not UTF-8
  }
}

/** A charset other than UTF-8 on a body: we decode every body as UTF-8 (RFC 8259 for JSON), so refuse. */
function charsetIsUtf8(contentType: string | undefined): boolean {
  if (contentType === undefined || !contentType.includes('charset')) return true;
  const m = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType);
  return !m || /^utf-?8$/i.test(m[1] ?? '');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

async function requestHygiene(app: FastifyInstance) {
  // JSON bodies decoded strictly: Fastify's own parser turns invalid UTF-8 into U+FFFD, so a body the
  // client never meant would be accepted. Parsing itself stays Fastify's (prototype keys refused).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = strictUtf8.decode(body as Buffer);
    } catch {
      done(
        new AppError('validation', 'The body is not valid UTF-8.', { errors: [{ path: 'body', message: 'is not valid UTF-8' }] }),
        undefined,
      );
      return;
    }
    parseJson(request, text, done);
  });
}

/**
 * Why this request's target, query or body label is refused, or null when it may go on. Run by the
 * request guard (request-guard.ts) right after the security headers, before the session is looked at
 * or renewed (see request-target.ts).
 */
export function hygieneRefusal(request: FastifyRequest): AppError | null {
  const nonCanonical = nonCanonicalTarget(request.url);
  if (nonCanonical !== null) {
    request.log.info({ reason: nonCanonical }, 'non-canonical request target refused');
    return new AppError('validation', 'Send the request target in canonical form: a path, without encoded letters or digits.', {
      errors: [{ path: 'url', message: nonCanonical }],
    });
  }
  if (!charsetIsUtf8(request.headers['content-type'])) return new AppError('unsupported_media_type', 'Send bodies as UTF-8.');
  if (!queryIsWellFormed(request.url)) {
    return new AppError('validation', 'The query string is not valid percent-encoded UTF-8.', {
      errors: [{ path: 'querystring', message: 'is not valid percent-encoded UTF-8' }],
    });
  }
  return null;
}

export const requestHygienePlugin = fp(requestHygiene, {
  name: 'stockade-request-hygiene',
  fastify: '5.x',
  dependencies: ['stockade-errors'],
});

/** Fastify `frameworkErrors`: a URL the router cannot decode, or a path parameter over its limit. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  for (const [name, value] of Object.entries(BARE_HEADERS)) reply.header(name, value);
  reply.header('x-request-id', request.id);
  const known = error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  request.log.info({ code: error.code }, 'malformed url refused');
  sendProblem(
    request,
    reply,
    known ? new AppError('validation', 'The URL is not valid.') : new AppError('internal', 'Something went wrong on our side.'),
  );
}

/** Fastify `clientErrorHandler`: the HTTP parser refused the request; no Fastify request exists. */
export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? ([431, 'payload_too_large', 'The request line or headers are too large.'] as const)
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ([408, 'validation', 'The request did not arrive in time.'] as const)
        : ([400, 'validation', 'The request is not valid HTTP.'] as const);
  const id = randomUUID();
  this.log.debug({ err: error, requestId: id }, 'client error');
  const body = JSON.stringify({ type: `/docs/problems#${code}`, title: ERROR_CODES[code].title, status, detail, code, instance: id });
  const headers = Object.entries({ ...BARE_HEADERS, 'x-request-id': id, 'content-type': 'application/problem+json; charset=utf-8' })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\n${headers}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
