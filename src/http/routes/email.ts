import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { publicUser } from '../../auth/users.js';
import { AppError } from '../../errors.js';
import type { AppDeps } from '../../wiring/deps.js';
import { requireFreshAuth, requireUser } from '../guards.js';
import { EmailStateSchema, UserWithEmailSchema } from '../schemas/email.js';
import { EmailBody, VerifyEmailBody } from '../schemas/requests/mail.js';

/**
 * The user's e-mail address (docs/api.md "E-mail and account recovery"): set it (a link goes to the new
 * address, a notice to the old one), read its state, and confirm it by the link — signed in or not, as
 * mail is often opened on another device. auth/email-addresses.ts has the rules and the reasons.
 */

export const emailRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  const { emailAddresses, audit, config, users } = deps;

  app.get(
    '/api/me/email',
    {
      config: {
        access: 'user',
        operation: {
          tag: 'auth',
          summary: 'My e-mail address and whether it is verified',
          ok: { status: 200, description: 'The verified address (or null) and an address waiting for its link (or null).' },
        },
      },
      schema: { response: { 200: EmailStateSchema } },
    },
    async (request) => emailAddresses.state(requireUser(request).user.id),
  );

  app.put(
    '/api/me/email',
    {
      config: {
        access: 'user',
        operation: {
          tag: 'auth',
          summary: 'Set my e-mail address (a confirmation link goes to it)',
          description:
            'Needs a fresh authentication. The address is used once its link (`PUBLIC_URL/#/verify-email/<token>`, 24 hours) is opened; the old address, if any, is told. The answer is the same 202 whether or not another account already has the address (that account is told instead, and no link is sent).',
          ok: { status: 202, description: 'Accepted: a link is on its way.' },
          errors: [400, 403],
        },
      },
      schema: { body: EmailBody, response: { 202: Type.Object({}) } },
    },
    async (request, reply) => {
      const auth = requireUser(request);
      requireFreshAuth(auth, config.session.reauthWindow);
      await emailAddresses.requestChange(auth.user.id, request.body.email);
      await audit.event(request, 'email.change_requested', { userId: auth.user.id });
      return reply.code(202).send({});
    },
  );

  app.post(
    '/api/auth/verify-email',
    {
      config: {
        access: 'public',
        operation: {
          tag: 'auth',
          summary: 'Confirm an e-mail address with the link sent to it',
          description:
            'Works signed in or not. Unknown, used and expired links are one 404; an address another account confirmed first is 409 (only the holder of the mailbox sees this).',
          ok: { status: 200, description: 'The address is the account’s.' },
          errors: [404, 409],
        },
      },
      schema: { body: VerifyEmailBody, response: { 200: Type.Object({ user: UserWithEmailSchema }) } },
    },
    async (request) => {
      const done = await emailAddresses.verify(request.body.token);
      const user = await users.findById(done.userId);
      if (!user) throw new AppError('not_found', 'This link is not valid: it may have been used or have expired.');
      await audit.event(request, 'email.verified', { userId: done.userId });
      return { user: { ...publicUser(user), email: done.email, emailVerified: true } };
    },
  );
};
