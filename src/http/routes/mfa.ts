import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { type Counter, tooManyAttempts } from '../../auth/throttle.js';
import { isUserId } from '../../auth/users.js';
import { AppError } from '../../errors.js';
import type { AppDeps } from '../../wiring/deps.js';
import type { SessionCookie } from '../cookies.js';
import { requireAdmin, requireFreshAuth, requireUser } from '../guards.js';
import type { MfaCookie } from '../mfa-cookie.js';
import { MfaStatusSchema, RecoveryCodesSchema, TotpEnrolmentSchema } from '../schemas/mfa.js';
import { IdParams } from '../schemas/requests/common.js';
import { SecondStepBody, TotpConfirmBody } from '../schemas/requests/mfa.js';
import { SignedInSchema } from '../schemas/sessions.js';
import { checkSecondFactorProof } from '../second-factor-proof.js';
import { startSession } from '../sign-in.js';

/**
 * Second factor (docs/api.md "Second factor", docs/security.md S-79, S-81): the signed-in user's TOTP
 * and recovery codes, the second step of a sign-in, and the admin's reset.
 *
 * The second step is public (there is no session yet) and reads only the pending cookie. Every attempt
 * is counted on the sign-in throttle before the code is checked (S-73: throttle.ts `secondFactor`), so
 * the right code after the limit is refused like the right password is. Wrong, replayed, expired or
 * missing: one 401.
 */

export interface MfaRoutesOptions {
  deps: AppDeps;
  cookie: SessionCookie;
  mfa: MfaCookie;
}

const notSignedIn = () => new AppError('unauthenticated', 'The sign-in has expired or the code is not right. Sign in again.');

export const mfaRoutes: FastifyPluginAsyncTypebox<MfaRoutesOptions> = async (app, { deps, cookie, mfa }) => {
  const { secondFactors, audit, config, sessions, throttle } = deps;

  app.get(
    '/api/me/mfa',
    {
      config: {
        access: 'user',
        operation: { tag: 'auth', summary: 'My second factors', ok: { status: 200, description: 'TOTP, recovery codes left, passkeys.' } },
      },
      schema: { response: { 200: MfaStatusSchema } },
    },
    async (request) => {
      const { user } = requireUser(request);
      return { ...(await secondFactors.status(user.id)), passkeys: await deps.passkeys.list(user.id) };
    },
  );

  app.post(
    '/api/me/mfa/totp',
    {
      config: {
        access: 'user',
        operation: {
          tag: 'auth',
          summary: 'Start TOTP enrolment (needs a fresh authentication)',
          description: 'A new key, pending until confirmed with a code. 409 when TOTP is already on.',
          ok: { status: 200, description: 'The key, its otpauth URI and a QR code (SVG).' },
          errors: [409],
        },
      },
      schema: { response: { 200: TotpEnrolmentSchema } },
    },
    async (request) => {
      const auth = requireUser(request);
      requireFreshAuth(auth, config.session.reauthWindow);
      const enrolment = await secondFactors.beginTotp(auth.user.id, auth.user.username);
      await audit.event(request, 'mfa.totp_enrolled', { userId: auth.user.id });
      return enrolment;
    },
  );

  app.post(
    '/api/me/mfa/totp/confirm',
    {
      config: {
        access: 'user',
        operation: {
          tag: 'auth',
          summary: 'Confirm TOTP enrolment with a code',
          description:
            'The code counts as used. Ten recovery codes, shown this once, when this is the first second factor. Wrong code: 400 on `code`.',
          ok: { status: 200, description: 'On; `recoveryCodes` when this is the first second factor.' },
          errors: [409, 429],
        },
      },
      schema: {
        body: TotpConfirmBody,
        response: { 200: Type.Object({ recoveryCodes: Type.Optional(RecoveryCodesSchema) }) },
      },
    },
    async (request) => {
      const auth = requireUser(request);
      // Guesses here are bounded like step-up (a stolen session must be no oracle for the pending key;
      // the key is fresh and 160 bits, but the throttle costs nothing).
      const keys = await deps.pseudonyms.keys('mfa-confirm:', 'session', auth.session.id);
      const closed = await throttle.quota(keys, config.login.maxFailures * 4, config.login.failureWindow);
      if (closed) throw tooManyAttempts(closed, throttle.now());
      const { recoveryCodes } = await secondFactors.confirmTotp(auth.user.id, request.body.code.trim());
      await audit.event(request, 'mfa.totp_confirmed', { userId: auth.user.id, details: { recoveryCodesIssued: recoveryCodes !== null } });
      return recoveryCodes ? { recoveryCodes } : {};
    },
  );

  app.delete(
    '/api/me/mfa/totp',
    {
      config: {
        access: 'user',
        operation: {
          tag: 'auth',
          summary: 'Turn TOTP off (needs a fresh authentication; ends my other sessions)',
          ok: { status: 204, description: 'Off.' },
          errors: [404],
        },
      },
    },
    async (request, reply) => {
      const auth = requireUser(request);
      requireFreshAuth(auth, config.session.reauthWindow);
      if (!(await secondFactors.disableTotp(auth.user.id))) throw new AppError('not_found', 'Two-factor sign-in is not on.');
      // A weaker sign-in from now on: whoever signed in elsewhere with the factor's help is out.
      // The user's own doing, from this device: the others hear "signed out on another device".
      const revoked = await sessions.revokeUser(auth.user.id, auth.session, 'signed_out');
      // A reset link issued while the factor guarded it must not outlive the change; the owner is told.
      await deps.passwordResets.voidAll(auth.user.id);
      await deps.notices.secondFactorRemoved(auth.user.id, 'removed');
      await audit.event(request, 'mfa.totp_disabled', { userId: auth.user.id, details: { sessionsRevoked: revoked } });
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/me/mfa/recovery-codes',
    {
      config: {
        access: 'user',
        operation: {
          tag: 'auth',
          summary: 'New recovery codes (needs a fresh authentication; the old ones stop working)',
          ok: { status: 200, description: 'Ten codes, shown this once.' },
          errors: [409],
        },
      },
      schema: { response: { 200: Type.Object({ recoveryCodes: RecoveryCodesSchema }) } },
    },
    async (request) => {
      const auth = requireUser(request);
      requireFreshAuth(auth, config.session.reauthWindow);
      const recoveryCodes = await secondFactors.regenerateRecoveryCodes(auth.user.id);
      await audit.event(request, 'mfa.recovery_codes_regenerated', { userId: auth.user.id });
      return { recoveryCodes };
    },
  );

  app.post(
    '/api/auth/login/mfa',
    {
      config: {
        access: 'public',
        operation: {
          tag: 'auth',
          summary: 'Second step of a sign-in: a TOTP code, a recovery code or a passkey',
          description:
            'Needs the pending cookie from POST /api/auth/login. Wrong, used or expired: 401. Attempts count on the sign-in throttle (429, checked first).',
          ok: { status: 200, description: 'Signed in with a fresh token; sets the session cookie.' },
          errors: [401, 429],
        },
      },
      schema: { body: SecondStepBody, response: { 200: SignedInSchema } },
    },
    async (request, reply) => {
      const token = mfa.read(request);
      const pending = token ? await deps.pendingSignIns.find(token) : null;
      const user = pending ? await deps.users.findById(pending.userId) : null;
      if (!token || !pending || !user || user.disabled) {
        mfa.clear(reply);
        throw notSignedIn();
      }
      const counters: Counter[] = await throttle.secondFactor(user.username, request.ip);
      const outcome = await throttle.attempt(counters, () =>
        checkSecondFactorProof(deps, request, user.id, request.body, { ceremony: 'second_step', binding: token }),
      );
      if (outcome.kind === 'locked') {
        request.log.warn({ event: 'login.throttled', lockedUntil: outcome.until.toISOString() }, 'second step refused while locked out');
        throw tooManyAttempts(outcome.until, throttle.now());
      }
      if (outcome.kind === 'failed') {
        await audit.event(request, 'mfa.failure', { userId: user.id });
        if (outcome.lockedNow.length > 0 && outcome.lockedUntil) {
          deps.metrics.signInLockouts.inc({ scope: outcome.lockedNow.join(',') });
          await audit.event(request, 'login.lockout', {
            userId: user.id,
            details: { scope: outcome.lockedNow.join(','), until: outcome.lockedUntil.toISOString() },
          });
        }
        if (outcome.lockedUntil) throw tooManyAttempts(outcome.lockedUntil, throttle.now());
        throw notSignedIn();
      }
      // Once: of two racing second steps on one pending sign-in, one goes on.
      if (!(await deps.pendingSignIns.consume(token))) {
        mfa.clear(reply);
        throw notSignedIn();
      }
      mfa.clear(reply);
      const presented = request.cookies[cookie.name];
      if (presented) await sessions.revokeToken(presented);
      // Bound to the password this sign-in checked: changed or reset since, and there is no session.
      return startSession(deps, cookie, request, reply, { ...user, passwordChangedAt: pending.passwordChangedAt }, pending.remember, {
        secondFactor: outcome.value,
      });
    },
  );

  app.post(
    '/api/admin/users/:id/reset-mfa',
    {
      config: {
        access: 'admin',
        operation: {
          tag: 'admin',
          summary: "Remove a user's second factors and end their sessions (needs a fresh authentication)",
          description: 'For a user who lost their authenticator and their recovery codes. Audited.',
          ok: { status: 204, description: 'Removed; every session of the user ended.' },
        },
      },
      schema: { params: IdParams },
    },
    async (request, reply) => {
      const auth = requireAdmin(request);
      requireFreshAuth(auth, config.session.reauthWindow);
      const target = request.params.id;
      if (!isUserId(target) || !(await deps.users.findById(target))) throw new AppError('not_found', 'No such user.');
      const removed = await secondFactors.removeAll(target);
      // The admin's own sessions stay when they reset themselves: only the others go.
      const revoked = await sessions.revokeUser(target, target === auth.user.id ? auth.session : undefined, 'revoked');
      await deps.passwordResets.voidAll(target);
      await deps.notices.secondFactorRemoved(target, 'reset');
      await audit.event(request, 'mfa.reset', {
        userId: target,
        actorId: auth.user.id,
        details: { totp: removed.totp, passkeys: removed.passkeys, recoveryCodes: removed.recoveryCodes, sessionsRevoked: revoked },
      });
      return reply.status(204).send();
    },
  );
};
