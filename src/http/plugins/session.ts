import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { SessionEngine } from '../../sessions/engine.js';
import { logAs } from '../../observability/logger.js';
import type { Authenticated, SessionRecord } from '../../sessions/session.js';
import type { SessionCookie } from '../cookies.js';

/**
 * Cookie → request.auth, once per request, before any route runs. The token is read from the cookie
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

async function session(app: FastifyInstance, opts: SessionPluginOptions) {
  await app.register(cookie, { hook: 'onRequest' });
  app.decorateRequest('auth', null);
  app.decorateRequest('sessionToken', null);
  app.decorateRequest('hasSessionCookie', false);

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

  // Callback style, and no promise at all when the engine answers from memory (a local-cache hit): this
  // runs on every request, and a promise costs a microtask and an allocation each time.
  app.addHook('onRequest', (request, reply, done) => {
    const token = request.cookies[name];
    if (token === undefined) return done();
    request.hasSessionCookie = true;
    let verdict: ReturnType<SessionEngine['validate']>;
    try {
      verdict = opts.engine.validate(token, routeRenews, request);
    } catch (err) {
      return done(err as Error);
    }
    if (verdict instanceof Promise) {
      verdict.then((auth) => accept(request, reply, token, auth)).then(() => done(), done);
    } else {
      accept(request, reply, token, verdict);
      done();
    }
  });
}

export const sessionPlugin = fp(session, { name: 'stockade-session', fastify: '5.x' });
