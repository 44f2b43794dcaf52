import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requestPasswordReset } from '../../auth/reset-requests.js';
import type { AppDeps } from '../../wiring/deps.js';
import { ResetRequestBody } from '../schemas/requests/mail.js';

/**
 * "Forgot password?": POST /api/auth/password-reset {login} mails a reset link to the account's
 * verified address. One answer (202 `{}`) in about the same time whether or not the account exists
 * (auth/reset-requests.ts has how); a 429 is about the asker, never the account.
 */

export const passwordResetRequestRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  app.post(
    '/api/auth/password-reset',
    {
      config: {
        access: 'public',
        operation: {
          tag: 'auth',
          summary: 'Forgot password: mail a reset link',
          description:
            '`login` is a username or an e-mail address. Always 202 `{}` in about the same time, whether or not an account matches; a link (`PUBLIC_URL/#/reset/<token>`) is mailed only to a verified address. Throttled per client address and per login string: a 429 says nothing about whether the account exists.',
          ok: { status: 202, description: 'Accepted. If the account exists and has a verified address, a link is on its way.' },
          errors: [429],
        },
      },
      schema: { body: ResetRequestBody, response: { 202: Type.Object({}) } },
    },
    async (request, reply) => {
      const { config } = deps;
      const userId = await requestPasswordReset(
        {
          db: deps.db,
          queue: deps.mailQueue,
          passwordResets: deps.passwordResets,
          throttle: deps.throttle,
          publicUrl: config.publicUrl,
          ttlSeconds: config.passwordResetTtl,
          addressMax: config.passwordResetAddressMax,
        },
        request.body.login,
        request.ip,
      );
      // Audited only when a link went out: an anonymous request for nothing writes nothing (S-87).
      if (userId) await deps.audit.event(request, 'password.reset_requested', { userId });
      return reply.code(202).send({});
    },
  );
};
