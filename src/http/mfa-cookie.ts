import type { FastifyReply, FastifyRequest } from 'fastify';
import { PENDING_TTL_SECONDS } from '../auth/second-factor/pending-sign-ins.js';

/**
 * The pending sign-in cookie (docs/api.md "Second factor"): `__Host-mfa` (Secure, no Domain) — or `mfa`
 * when COOKIE_SECURE=false — HttpOnly, SameSite=Strict, Path=/, Max-Age=300. It carries the token of a
 * pending sign-in (auth/second-factor/pending-sign-ins.ts) and is read by the second step alone; the
 * session plugin never looks at it, so it opens no other route (S-79). Strict, not Lax like the session
 * cookie: no other site has any business starting a second step.
 */
export interface MfaCookie {
  readonly name: string;
  read(request: FastifyRequest): string | undefined;
  set(reply: FastifyReply, token: string): void;
  clear(reply: FastifyReply): void;
}

export function mfaCookie(secure: boolean): MfaCookie {
  const name = secure ? '__Host-mfa' : 'mfa';
  const base = { path: '/', httpOnly: true, secure, sameSite: 'strict' as const };
  return {
    name,
    read: (request) => request.cookies[name] || undefined,
    set(reply, token) {
      reply.setCookie(name, token, { ...base, maxAge: PENDING_TTL_SECONDS });
    },
    clear(reply) {
      reply.setCookie(name, '', { ...base, maxAge: 0, expires: new Date(0) });
    },
  };
}
