import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { Authenticated } from '../sessions/session.js';

/*
 * Authorization is the first line of every handler, visible where it is applied:
 *   const { user } = requireMerchant(request);
 * Default deny: a route that calls none of these is public, and only auth/ops routes are.
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the session plugin when the cookie names a live session; null otherwise. */
    auth: Authenticated | null;
  }
}

export function requireUser(request: FastifyRequest): Authenticated {
  if (!request.auth) throw new AppError('unauthenticated', 'Sign in to continue.');
  return request.auth;
}

/** A merchant is the tenant: `user.id` is the merchant id every inventory query is scoped by. */
export function requireMerchant(request: FastifyRequest): Authenticated & { merchantId: string } {
  const auth = requireUser(request);
  if (auth.user.role !== 'merchant') throw new AppError('forbidden', 'Only merchants have an inventory.');
  return { ...auth, merchantId: auth.user.id };
}

export function requireAdmin(request: FastifyRequest): Authenticated {
  const auth = requireUser(request);
  if (auth.user.role !== 'admin') throw new AppError('forbidden', 'Administrators only.');
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
