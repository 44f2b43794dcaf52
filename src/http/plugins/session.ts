import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionEngine } from '../../sessions/engine.js';
import { logAs } from '../../observability/logger.js';
import type { Authenticated, SessionRecord } from '../../sessions/session.js';
import type { SessionCookie } from '../cookies.js';

/**
 * Cookie → request.auth, once per request, before any route runs (a step of request-guard.ts). The token is read from the cookie
 * and nowhere else (no query parameter, header or body). A cookie that names no live session is cleared
 * on the way out, and the request goes on anonymous: routes that need a user answer 401.
 */

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * false: a request to this route is not activity, and never renews the session (GET /api/events:
     * a stream held open by a forgotten tab must not keep its session alive). Default: renews.
     */
    renews?: boolean;
  }
  interface FastifyRequest {
    /** The raw session token of a validated session; used for CSRF and rotation, never logged. */
    sessionToken: string | null;
    /** A session cookie came with the request (valid or not). */
    hasSessionCookie: boolean;
  }
}

export interface SessionPluginOptions {
  engine: SessionEngine;
  cookie: SessionCookie;
  /** A refused cookie named a session that had expired (idle or absolute): for the log (S-69). */
  onExpired?: (request: FastifyRequest, session: SessionRecord, lifetime: 'idle' | 'absolute') => void;
}

/**
 * Asked by the engine only when a renewal is due (at most once a minute per session): reading the route's
 * options allocates (Fastify builds `routeOptions` on each access), which the hot path must not pay.
 */
const routeRenews = (request: FastifyRequest): boolean => request.routeOptions.config.renews !== false;

/**
 * The session step of the request guard (request-guard.ts): with `request.cookies` parsed, it sets
 * request.auth and request.sessionToken, or clears a refused cookie. Returns nothing when the engine
 * answered from memory (a local-cache hit), a promise only when it had to ask a store: this runs on
 * every request, and a promise costs a microtask and an allocation each time. Throws (or rejects) when
 * the store fails.
 */
export type SessionCheck = (request: FastifyRequest, reply: FastifyReply) => Promise<void> | undefined;

export function sessionCheck(opts: SessionPluginOptions): SessionCheck {
  const name = opts.cookie.name;
  const accept = (request: FastifyRequest, reply: FastifyReply, token: string, auth: Authenticated | null) => {
    if (auth) {
      request.auth = auth;
      request.sessionToken = token;
      // Every later line of this request names who (user id, the session's public id; never the token).
      logAs(request.log, { userId: auth.user.id, sessionId: auth.session.id });
    } else {
      opts.cookie.clear(reply);
      // Why it was refused is asked afterwards and off the request's path (a refused cookie is rare:
      // it is cleared here).
      const onExpired = opts.onExpired;
      if (onExpired) {
        opts.engine.expiry(token).then(
          (e) => e && onExpired(request, e.session, e.lifetime),
          (err: unknown) => request.log.warn({ err }, 'could not tell why a session was refused'),
        );
      }
    }
  };

  return (request, reply) => {
    const token = request.cookies[name];
    if (token === undefined) return undefined;
    request.hasSessionCookie = true;
    const verdict = opts.engine.validate(token, routeRenews, request);
    if (verdict instanceof Promise) return verdict.then((auth) => accept(request, reply, token, auth));
    accept(request, reply, token, verdict);
    return undefined;
  };
}

/** What the session step needs on every request object (the request guard registers them). */
export function decorateForSessions(app: FastifyInstance): void {
  app.decorateRequest('auth', null);
  app.decorateRequest('sessionToken', null);
  app.decorateRequest('hasSessionCookie', false);
}
