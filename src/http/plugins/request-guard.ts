import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import { type CsrfCheck, type CsrfOptions, csrfCheck } from './csrf.js';
import { decorateRoutePattern, routePattern } from '../route-pattern.js';
import { hygieneRefusal } from './request-hygiene.js';
import { type SecurityOptions, securityHeaderSets } from './security.js';
import { decorateForSessions, type SessionPluginOptions, sessionCheck } from './session.js';

/**
 * The one onRequest hook every request meets first, before any route's own hooks (the access check):
 *
 *   1. security headers (security.ts), by the route the router matched — on every answer, refusals too;
 *   2. request hygiene (request-hygiene.ts): a non-canonical target, a broken query, a body labelled
 *      with another charset is refused before the session is looked at or renewed;
 *   3. cookies parsed (@fastify/cookie's parser, its own hook off), then the session (session.ts):
 *      request.auth;
 *   4. CSRF (csrf.ts) on unsafe requests under /api, with the session known.
 *
 * Each step was its own hook (five with @fastify/cookie's); one hook runs each of them in the same
 * order with one look at the matched route (Fastify builds `request.routeOptions` anew on each access)
 * (remembered for the metrics and the access line: route-pattern.ts) and no closure per request. A session answered from memory keeps the whole hook synchronous.
 */
export interface RequestGuardOptions {
  readonly security: SecurityOptions;
  readonly session: SessionPluginOptions;
  readonly csrf: CsrfOptions;
}

/** Step 4, after the session: module-level, so a session read from a store allocates no closure for it. */
function finish(
  csrf: CsrfCheck,
  request: FastifyRequest,
  reply: FastifyReply,
  route: string | undefined,
  done: HookHandlerDoneFunction,
): void {
  const refusal = csrf(request, reply, route);
  if (refusal) done(refusal);
  else done();
}

async function requestGuard(app: FastifyInstance, opts: RequestGuardOptions) {
  await app.register(cookie, { hook: false });
  decorateForSessions(app);
  decorateRoutePattern(app);
  const headers = securityHeaderSets(opts.security);
  const session = sessionCheck(opts.session);
  const csrf = csrfCheck(opts.csrf);

  // Callback style: no promise per request on the hot path.
  app.addHook('onRequest', (request, reply, done) => {
    // Decided on the route the router matched, never on the raw target (S-71: `/%61pi/items` and
    // `http://host/api/items` reach /api/items too, and are refused only later, by request hygiene — whose
    // answer must carry no-store as well). No route matched (a 404, under /api or not, spelled any way):
    // a browser may show it as a page, so the document set, plus no-store.
    const route = routePattern(request);
    reply.headers(route === undefined ? headers.unmatched : route.startsWith('/api/') ? headers.api : headers.all);
    reply.header('x-request-id', request.id);

    const refused = hygieneRefusal(request);
    if (refused) return done(refused);

    const header = request.headers.cookie;
    // A new object per request, as @fastify/cookie's own hook makes (a route may add to it).
    request.cookies = header ? app.parseCookie(header) : {};
    let pending: Promise<void> | undefined;
    try {
      pending = session(request, reply);
    } catch (err) {
      return done(err as Error);
    }
    if (pending === undefined) finish(csrf, request, reply, route, done);
    else pending.then(() => finish(csrf, request, reply, route, done), done);
  });
}

export const requestGuardPlugin = fp(requestGuard, { name: 'stockade-request-guard', fastify: '5.x' });
