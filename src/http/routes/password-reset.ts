import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { resetLink } from '../../auth/password-resets.js';
import type { AppDeps } from '../../wiring/deps.js';
import { AppError } from '../../errors.js';
import { tooManyAttempts } from '../../auth/throttle.js';
import { requireAdmin, requireFreshAuth } from '../guards.js';
import { Type } from 'typebox';
import { Time } from '../schemas/common.js';
import { ResetIssueBody } from '../schemas/requests/admin.js';
import { NewPasswordBody, ResetTokenParams } from '../schemas/requests/auth.js';
import { IdParams } from '../schemas/requests/common.js';
import { RequestOptionsSchema } from '../schemas/mfa.js';
import { checkPasskey } from '../passkey-proof.js';

/**
 * Password-reset links (v2 "E-mail and account recovery"): an administrator issues one for a user
 * (optionally making the current password stop working at once — the leaked-password playbook), the
 * user opens `PUBLIC_URL/#/reset/<token>` and sets a new password. Every session of the user then ends
 * on every server.
 *
 * The token travels in the path, as the contract says; the request logger writes the route pattern for
 * routes with a `:token` parameter, never the token (logger.ts). GET never consumes the link (mail
 * scanners and link previews open links); only the POST that sets a password does, once.
 */

export const passwordResetRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  const { passwordResets, sessions, audit, config } = deps;

  app.get(
    '/api/auth/password-reset/:token',
    {
      config: {
        access: 'public',
        operation: {
          tag: 'auth',
          summary: 'Whose password-reset link this is (does not use it up)',
          description:
            'Unknown, used and expired links all answer the same 404. Opening the link (a mail scanner, a preview) never consumes it.',
          ok: { status: 200, description: 'The link is valid.' },
          errors: [404],
        },
      },
      schema: { params: ResetTokenParams, response: { 200: Type.Object({ username: Type.String(), mfaRequired: Type.Boolean() }) } },
    },
    async (request) => {
      const { username, userId } = await passwordResets.peek(request.params.token);
      return { username, mfaRequired: await deps.secondFactor.enrolled(userId) };
    },
  );

  app.post(
    '/api/auth/password-reset/:token/options',
    {
      config: {
        access: 'public',
        operation: {
          tag: 'auth',
          summary: 'WebAuthn request options for the passkey of a password reset (does not use the link up)',
          description:
            "The options allow the link's user's passkeys; the challenge is bound to this link, single use, for 5 minutes. Unknown, used and expired links: 404. No passkey, or PUBLIC_URL naming an IP address: 409.",
          ok: { status: 200, description: 'Options for navigator.credentials.get() (JSON).' },
          errors: [404, 409],
        },
      },
      schema: { params: ResetTokenParams, response: { 200: RequestOptionsSchema } },
    },
    async (request) => {
      const { token } = request.params;
      const { userId } = await passwordResets.peek(token);
      if (!(await deps.secondFactors.methods(userId)).includes('passkey')) throw new AppError('conflict', 'This account has no passkey.');
      return deps.passkeys.requestOptions({ ceremony: 'reset', binding: token }, userId);
    },
  );

  app.post(
    '/api/auth/password-reset/:token',
    {
      config: {
        access: 'public',
        operation: {
          tag: 'auth',
          summary: 'Set a new password with a reset link',
          description:
            "Uses the link up (once, even under concurrent use), sets the password, ends every session of the user on every server and lifts the account's sign-in lockout. A weak password is 400 and leaves the link usable; an unknown, used or expired link is 404. With a second factor enrolled, `code`, `recoveryCode` or `passkey` is needed: wrong or missing is 401, counted on the sign-in throttle (429), and the fifth failure kills the link.",
          ok: { status: 204, description: 'Password set; sign in with it.' },
          errors: [401, 404, 429],
        },
      },
      schema: {
        params: ResetTokenParams,
        body: NewPasswordBody,
      },
    },
    async (request, reply) => {
      const { token } = request.params;
      const { newPassword, code, recoveryCode, passkey } = request.body;
      const done = await passwordResets.complete(token, newPassword, async (user) => {
        if (!(await deps.secondFactor.enrolled(user.userId))) return;
        // Counted on the sign-in throttle before it is checked (S-73), as a sign-in's second step is.
        const outcome = await deps.throttle.attempt(await deps.throttle.signIn(user.username, request.ip), async () => {
          // A passkey answers the challenge bound to this link (POST …/options); its counter rule is
          // audited by checkPasskey. Codes go through the recovery view of the second factor.
          if (passkey !== undefined) {
            const holder = { ceremony: 'reset' as const, binding: token };
            const owner = await checkPasskey(deps, request, holder, passkey, { expectUserId: user.userId, requireUserVerification: false });
            return owner === user.userId ? true : null;
          }
          return (await deps.secondFactor.verify(user.userId, { code, recoveryCode })) ? true : null;
        });
        if (outcome.kind === 'ok') return;
        if (outcome.kind === 'locked') throw tooManyAttempts(outcome.until, deps.throttle.now());
        await passwordResets.recordFactorFailure(token);
        await audit.event(request, 'password.reset_factor_failure', { userId: user.userId });
        throw new AppError('unauthenticated', 'The second factor is missing or not right.');
      });
      // After the commit: whoever held a session (the attacker, in the incident case) is out everywhere.
      const revoked = await sessions.revokeUser(done.userId, undefined, 'password_changed');
      // The owner proved they hold the link: their own sign-in lockout no longer keeps them out.
      await deps.throttle.clearAccount(done.username, request.ip);
      await deps.notices.passwordChanged(done.userId, 'reset');
      await audit.event(request, 'password.reset', { userId: done.userId, details: { sessionsRevoked: revoked } });
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/admin/users/:id/password-reset',
    {
      config: {
        access: 'admin',
        operation: {
          tag: 'admin',
          summary: 'Issue a one-time password-reset link for a user',
          description:
            'The link (`PUBLIC_URL/#/reset/<token>`, valid for PASSWORD_RESET_TTL) is for the user, handed over out of band; a newer link voids older ones. With `invalidatePassword: true` the current password stops working at once and every session of the user ends: the leaked-password playbook, so the account never opens with the leaked password.',
          ok: { status: 201, description: 'The link.' },
        },
      },
      schema: {
        params: IdParams,
        response: { 201: Type.Object({ link: Type.String(), expiresAt: Time }) },
        body: ResetIssueBody,
      },
    },
    async (request, reply) => {
      const auth = requireAdmin(request);
      requireFreshAuth(auth, config.session.reauthWindow);
      const invalidatePassword = request.body?.invalidatePassword === true;
      const issued = await passwordResets.issue({ id: request.params.id }, { issuedBy: 'admin', invalidatePassword });
      if (!issued) throw new AppError('not_found', 'No such user.');
      // With the old password void, its sessions go too: the link is now the only way in.
      const revoked = invalidatePassword ? await sessions.revokeUser(issued.userId) : 0;
      await audit.event(request, 'password.reset_issued', {
        userId: issued.userId,
        actorId: auth.user.id,
        details: { invalidatePassword, sessionsRevoked: revoked, expiresAt: issued.expiresAt.toISOString() },
      });
      return reply.code(201).send({ link: resetLink(config.publicUrl, issued.token), expiresAt: issued.expiresAt.toISOString() });
    },
  );
};
