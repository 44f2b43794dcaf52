import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { Authenticated } from '../sessions/session.js';
import type { Membership } from '../shops/membership.js';

/*
 * Typed accessors of what the access guard (access.ts) has already decided. Who may call a route is its
 * `config: { access }` declaration, enforced before the handler runs; a handler that needs the user, the
 * session, or the shop and role, reads them here:
 *   const { shopId, role, user } = requireShop(request);
 * These never refuse a caller. Reaching one without what it returns means the route's declaration and its
 * handler disagree (say `access: 'user'` on a route that needs a merchant): a programming error, answered
 * as a 500 with nothing in it and logged, so it shows up in the first test that calls the route rather
 * than being papered over with a second authorization decision here.
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the session plugin when the cookie names a live session; null otherwise. */
    auth: Authenticated | null;
  }
}

function misdeclared(request: FastifyRequest, needs: string): Error {
  return new Error(
    `${request.method} ${request.routeOptions.url ?? request.url} needs ${needs} but declares access "${String(request.routeOptions.config.access)}"`,
  );
}

/** The signed-in user and session of a route declared `user` (or any role). */
export function requireUser(request: FastifyRequest): Authenticated {
  if (!request.auth) throw misdeclared(request, 'a session');
  return request.auth;
}

/** The merchant of a route declared `merchant`. */
export function requireMerchant(request: FastifyRequest): Authenticated {
  const auth = requireUser(request);
  if (auth.user.role !== 'merchant') throw misdeclared(request, 'a merchant');
  return auth;
}

/**
 * The shop a route declared `shop:*` works in, and the caller's role there: the access check read them
 * (fresh, for this request) and decided already. `shopId` scopes every inventory query.
 */
export function requireShop(request: FastifyRequest): Authenticated & Membership {
  const auth = requireUser(request);
  const membership = request.membership;
  if (!membership) throw misdeclared(request, 'a shop membership');
  return { ...auth, ...membership };
}

/** The administrator of a route declared `admin` (actions are recorded with their id). */
export function requireAdmin(request: FastifyRequest): Authenticated {
  const auth = requireUser(request);
  if (auth.user.role !== 'admin') throw misdeclared(request, 'an administrator');
  return auth;
}

/**
 * Step-up: sensitive actions need a recent sign-in or re-authentication. `windowSeconds` comes from
 * config (SESSION_REAUTH_WINDOW).
 */
export function requireFreshAuth(auth: Authenticated, windowSeconds: number, now = Date.now()): void {
  if (now - auth.session.authenticatedAt.getTime() > windowSeconds * 1000) {
    throw new AppError('reauth_required', 'Confirm your password to continue.');
  }
}
