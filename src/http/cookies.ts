import type { FastifyReply } from 'fastify';
import type { SessionRecord } from '../sessions/session.js';

/**
 * The session cookie, exactly as docs/api.md says: `__Host-sid` (Secure, Path=/, no Domain) — or `sid`
 * without Secure on a plain-HTTP deployment — always HttpOnly and SameSite=Lax. No Max-Age (it dies with
 * the browser) unless the user asked to be remembered.
 */
export interface SessionCookie {
  readonly name: string;
  set(reply: FastifyReply, token: string, session: SessionRecord, maxAgeSeconds: number): void;
  clear(reply: FastifyReply): void;
}

export function sessionCookie(secure: boolean): SessionCookie {
  const name = secure ? '__Host-sid' : 'sid';
  const base = { path: '/', httpOnly: true, secure, sameSite: 'lax' as const };
  return {
    name,
    set(reply, token, session, maxAgeSeconds) {
      reply.setCookie(name, token, session.remember ? { ...base, maxAge: maxAgeSeconds } : base);
    },
    clear(reply) {
      reply.setCookie(name, '', { ...base, maxAge: 0, expires: new Date(0) });
    },
  };
}
