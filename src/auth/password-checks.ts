import { AppError } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { AuditContext, AuditLog, AuditType } from './audit.js';
import type { Authenticator } from './authenticator.js';
import { type AttemptOutcome, type Counter, type LoginThrottle, tooManyAttempts } from './throttle.js';
import type { UserRow, Users } from './users.js';

/**
 * Every password check a client can trigger, throttled and audited the same way: sign-in, and the
 * signed-in user's own password (re-authentication, password change, account deletion). Each guess is
 * counted before it is checked (S-73). Sign-in counts per (account, address), per account and per
 * address; step-up per (account, address) and per session, so an attacker holding a stolen session
 * cannot use it as an unthrottled password oracle, and nobody else's failures lock the owner's own
 * step-up (S-74). throttle.ts has the keys and the reasons.
 */

export interface PasswordCheckDeps {
  users: Users;
  authenticator: Authenticator;
  throttle: LoginThrottle;
  audit: AuditLog;
  /** This app's metrics (stockade_signin_lockouts_total). */
  metrics: Pick<Metrics, 'signInLockouts'>;
}

const WRONG_CREDENTIALS = 'Wrong username or password.';

/** The one 401 for every kind of "no" at sign-in (S-40). */
export function wrongCredentials(): AppError {
  return new AppError('unauthenticated', WRONG_CREDENTIALS);
}

/**
 * Sign-in. The user on success; otherwise throws the one 401 for every kind of "no" (unknown user,
 * wrong password, disabled account: same status, body and headers, about the same time), or the one 429
 * for a locked account or address (the same whether or not the account exists).
 */
export async function checkSignIn(deps: PasswordCheckDeps, request: AuditContext, username: string, password: string): Promise<UserRow> {
  const counters = await deps.throttle.signIn(username, request.ip);
  const outcome = await deps.throttle.attempt(counters, () => deps.authenticator.verifyCredentials(username, password));
  if (outcome.kind === 'ok') return outcome.value;
  if (outcome.kind === 'locked') throw refuseLocked(deps, request, outcome.until);
  // Attribution for the audit only, done for unknown names too so both paths cost the same queries.
  const known = await deps.users.findByUsername(username);
  // An unknown name is kept only as its keyed pseudonym (it may be a mistyped password): enough to tell
  // one name tried a thousand times from a thousand names tried once.
  await deps.audit.event(request, 'login.failure', {
    userId: known?.id ?? null,
    details: known ? {} : { unknownUser: true, usernamePseudonym: pseudonymOfName(counters) },
  });
  await recordLockout(deps, request, known?.id ?? null, outcome);
  if (outcome.lockedUntil) throw tooManyAttempts(outcome.lockedUntil, deps.throttle.now());
  throw wrongCredentials();
}

export interface ConfirmOptions {
  /** Audit event for a wrong password. */
  failure: AuditType;
  /** The request field the 400 names. */
  field: string;
  message: string;
  /**
   * With a second factor enrolled (S-81): checked after the password, in the same counted attempt, so
   * one guess is one count whichever part is wrong, and a recovery code is not spent on a wrong password.
   */
  secondFactor?: { check: () => Promise<boolean>; field: string; message: string };
}

/**
 * The signed-in user's own password, for a sensitive action in session `sessionId` (its public id).
 * Resolves when right; a wrong one is 400 `validation` on `field` (docs/api.md), counted toward the
 * throttle of this (account, address) and of this session; a locked one is the sign-in 429, before any
 * hash is spent. Failures elsewhere, and the account's sign-in ceiling, do not lock it (S-74).
 */
export async function confirmPassword(
  deps: PasswordCheckDeps,
  request: AuditContext,
  user: UserRow,
  sessionId: string,
  password: string,
  opts: ConfirmOptions,
): Promise<void> {
  return confirmOwner(deps, request, user, sessionId, opts.failure, async () => {
    if (!(await deps.authenticator.checkPassword(user, password))) return { field: opts.field, message: opts.message };
    if (opts.secondFactor && !(await opts.secondFactor.check())) return opts.secondFactor;
    return null;
  });
}

/**
 * The signed-in user proving themselves again by any means (`check`: null when right, else the field and
 * message of the 400): the password above, or a user-verified passkey at step-up. Counted and refused
 * exactly as confirmPassword describes.
 */
export async function confirmOwner(
  deps: PasswordCheckDeps,
  request: AuditContext,
  user: UserRow,
  sessionId: string,
  failure: AuditType,
  check: () => Promise<{ field: string; message: string } | null>,
): Promise<void> {
  const counters = await deps.throttle.stepUp(user.username, request.ip, sessionId);
  let wrong = { field: 'password', message: 'That is not right.' };
  const outcome = await deps.throttle.attempt(counters, async () => {
    const refused = await check();
    if (refused) {
      wrong = refused;
      return null;
    }
    return user;
  });
  if (outcome.kind === 'ok') return;
  if (outcome.kind === 'locked') throw refuseLocked(deps, request, outcome.until);
  await deps.audit.event(request, failure, { userId: user.id });
  await recordLockout(deps, request, user.id, outcome);
  if (outcome.lockedUntil) throw tooManyAttempts(outcome.lockedUntil, deps.throttle.now());
  throw new AppError('validation', wrong.message, { errors: [{ path: wrong.field, message: wrong.message }] });
}

/** The username's pseudonym, as its account counter is keyed (for the audit of an unknown name). */
function pseudonymOfName(counters: readonly Counter[]): string {
  const key = counters.find((c) => c.scope === 'account')?.key ?? '';
  return key.slice(key.lastIndexOf(':') + 1);
}

/** A refusal while locked is logged, not stored: a flood of them must not flood the audit table. */
function refuseLocked(deps: PasswordCheckDeps, request: AuditContext, until: Date): AppError {
  request.log.warn({ event: 'login.throttled', lockedUntil: until.toISOString() }, 'refused while locked out');
  return tooManyAttempts(until, deps.throttle.now());
}

async function recordLockout(
  deps: PasswordCheckDeps,
  request: AuditContext,
  userId: string | null,
  outcome: Extract<AttemptOutcome<unknown>, { kind: 'failed' }>,
): Promise<void> {
  if (outcome.lockedNow.length === 0 || !outcome.lockedUntil) return;
  deps.metrics.signInLockouts.inc({ scope: outcome.lockedNow.join(',') });
  await deps.audit.event(request, 'login.lockout', {
    // An address lockout is not about the account that happened to be tried last.
    userId: outcome.lockedNow.some((scope) => scope !== 'address') ? userId : null,
    details: { scope: outcome.lockedNow.join(','), until: outcome.lockedUntil.toISOString() },
  });
}
