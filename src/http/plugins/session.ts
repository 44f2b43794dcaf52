import cookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { SessionEngine } from '../../sessions/engine.js';
import type { SessionCookie } from '../cookies.js';

/**
 * Cookie → request.auth, once per request, before any route runs. The token is read from the cookie
 * and nowhere else (no query parameter, header or body). A cookie that names no live session is cleared
 * on the way out, and the request goes on anonymous: routes that need a user answer 401.
 */

declare module 'fastify' {
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
}

async function session(app: FastifyInstance, opts: SessionPluginOptions) {
  await app.register(cookie, { hook: 'onRequest' });
  app.decorateRequest('auth', null);
  app.decorateRequest('sessionToken', null);
  app.decorateRequest('hasSessionCookie', false);

  const name = opts.cookie.name;
  app.addHook('onRequest', async (request, reply) => {
    const token = request.cookies[name];
    if (token === undefined) return;
    request.hasSessionCookie = true;
    const auth = await opts.engine.validate(token);
    if (auth) {
      request.auth = auth;
      request.sessionToken = token;
      // Every later line of this request names who (user id, the session's public id; never the token),
      // under `auth`, apart from the `userId`/`sessionId` an audit line names as its subject (an admin
      // acting on another user). setBindings adds to the request's child logger; no second logger.
      (request.log as { setBindings?: (b: object) => void }).setBindings?.({ auth: { userId: auth.user.id, sessionId: auth.session.id } });
    } else {
      opts.cookie.clear(reply);
    }
  });
}

export const sessionPlugin = fp(session, { name: 'stockade-session', fastify: '5.x' });
