import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditDetails } from '../auth/audit.js';
import type { SignInMethod } from '../auth/second-factor/second-factors.js';
import { wrongCredentials } from '../auth/password-checks.js';
import { publicUser, type UserRow } from '../auth/users.js';
import { deviceSummary, truncateIp } from '../lib/client-info.js';
import { publicSession } from '../sessions/public-session.js';
import type { AppDeps } from '../wiring/deps.js';
import type { SessionCookie } from './cookies.js';
import type { MfaCookie } from './mfa-cookie.js';

/**
 * The end of every sign-in, written once: a password alone (no second factor) and the second step of a
 * two-step sign-in both finish here, so both get a fresh token from the engine, the same S-72 checks,
 * the same cookie and the same audit row.
 */

export const clientOf = (request: FastifyRequest) => ({
  userAgent: deviceSummary(request.headers['user-agent']),
  ip: truncateIp(request.ip),
});

/**
 * A session for `user`, whose password (set at `user.passwordChangedAt`) was checked by this sign-in.
 * The store writes it only for an enabled user whose password is still that one (S-72): otherwise the
 * one 401 of every refused sign-in.
 */
export async function startSession(
  deps: AppDeps,
  cookie: SessionCookie,
  request: FastifyRequest,
  reply: FastifyReply,
  user: UserRow,
  remember: boolean,
  details: AuditDetails = {},
) {
  const created = await deps.sessions.create(user, clientOf(request), remember);
  if (!created) {
    await deps.audit.event(request, 'login.failure', { userId: user.id });
    throw wrongCredentials();
  }
  await deps.users.recordLogin(user.id);
  // A device (summary + network) this account has not signed in from before: the owner is mailed.
  await deps.notices.signedIn(user.id, created.session.userAgent, created.session.ip, { notify: true });
  cookie.set(reply, created.token, created.session, deps.sessions.cookieMaxAge(created.session));
  await deps.audit.event(request, 'login.success', {
    userId: user.id,
    details: { sessionId: created.session.id, remember, ...details },
  });
  return { user: publicUser(created.user), session: publicSession(created.session), csrfToken: created.csrfToken };
}

/**
 * The right password of a user with a second factor: no session, a pending sign-in bound to this one
 * (user, remember, the password checked) and its cookie. The answer names the ways to finish.
 */
export async function startSecondStep(
  deps: AppDeps,
  mfa: MfaCookie,
  reply: FastifyReply,
  user: UserRow,
  remember: boolean,
  methods: SignInMethod[],
) {
  const token = await deps.pendingSignIns.create(user, remember);
  mfa.set(reply, token);
  return { mfaRequired: true as const, methods };
}
