import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { confirmPassword } from '../../auth/password-checks.js';
import { tooManyAttempts } from '../../auth/throttle.js';
import type { AppDeps } from '../../wiring/deps.js';
import { AppError, validation } from '../../errors.js';
import { deleteAccount } from '../../privacy/delete-account.js';
import { exportAccount } from '../../privacy/export.js';
import { seenBySubject } from '../../privacy/seen-by-subject.js';
import type { SessionCookie } from '../cookies.js';
import { requireFreshAuth, requireUser } from '../guards.js';
import { Type } from 'typebox';
import { ActivityEventSchema } from '../schemas/audit.js';
import { PasswordBody } from '../schemas/requests/auth.js';
import { ActivityQuery } from '../schemas/requests/privacy.js';

/**
 * The user's own data (docs/api.md "Privacy"): their security activity, a complete export, and erasure.
 * Export is limited to one per EXPORT_MIN_INTERVAL (it is the costliest read there is, and the one a
 * thief with a stolen session would want most); deletion needs a fresh authentication *and* the
 * password, counted by the sign-in throttle.
 */

export interface PrivacyRoutesOptions {
  deps: AppDeps;
  cookie: SessionCookie;
}

export const privacyRoutes: FastifyPluginAsyncTypebox<PrivacyRoutesOptions> = async (app, { deps, cookie }) => {
  const { audit, config, throttle, users } = deps;

  app.get(
    '/api/me/activity',
    {
      config: {
        access: 'user',
        operation: { tag: 'privacy', summary: 'Your security activity', ok: { status: 200, description: 'Events.' } },
      },
      schema: {
        querystring: ActivityQuery,
        response: { 200: Type.Object({ events: Type.Array(ActivityEventSchema) }) },
      },
    },
    async (request) => {
      const { user } = requireUser(request);
      const limit = request.query.limit === undefined ? 50 : Number(request.query.limit);
      if (limit < 1 || limit > 200) throw validation([{ path: 'querystring/limit', message: 'must be between 1 and 200' }]);
      const events = await audit.forUser(user.id, limit);
      // "An administrator did this to your account" is worth showing; which admin, and from where, is not.
      return { events: events.map((e) => seenBySubject(e, user.id)) };
    },
  );

  // POST, with the CSRF token (S-89): an export writes an audit row and spends the export quota, so a GET
  // (which a cross-site link or <img> can trigger) must not start one. A GET is 404 like any wrong method.
  app.post(
    '/api/me/export',
    {
      config: {
        access: 'user',
        operation: {
          tag: 'privacy',
          summary: 'Everything stored about you, as JSON',
          description: 'At most once per EXPORT_MIN_INTERVAL (429 otherwise).',
          ok: { status: 200, description: 'Profile, sessions, items, movements, auth events.' },
          errors: [429],
        },
      },
      // Everything the account has, as stored: an open object (the serializer keeps every key).
      schema: { response: { 200: Type.Object({}, { additionalProperties: true }) } },
    },
    async (request, reply) => {
      const auth = requireUser(request);
      // Keyed by pseudonym: the record may outlive an account deleted right after its export.
      const next = await throttle.oncePer(await deps.pseudonyms.keys('export:', 'user', auth.user.id), config.exportInterval);
      if (next) throw tooManyAttempts(next, throttle.now());
      const data = await exportAccount(deps, auth.user.id, auth.session.id, new Date(throttle.now()));
      if (!data) throw new AppError('unauthenticated', 'Your session has ended.');
      await audit.event(request, 'export', { userId: auth.user.id });
      const day = data.exportedAt.slice(0, 10);
      reply.header('content-disposition', `attachment; filename="stockade-export-${day}.json"`);
      return data;
    },
  );

  app.delete(
    '/api/me',
    {
      config: {
        access: 'user',
        operation: {
          tag: 'privacy',
          summary: 'Delete your account and all its data',
          description: 'Needs a fresh authentication and the password.',
          ok: { status: 204, description: 'Deleted; cookie cleared.' },
          errors: [429],
        },
      },
      schema: {
        body: PasswordBody,
      },
    },
    async (request, reply) => {
      const auth = requireUser(request);
      requireFreshAuth(auth, config.session.reauthWindow);
      const user = await users.findById(auth.user.id);
      if (!user) throw new AppError('unauthenticated', 'Your session has ended.');
      await confirmPassword(deps, request, user, auth.session.id, request.body.password, {
        failure: 'account.delete_failure',
        field: 'password',
        message: 'That password is not right.',
      });
      const subject = await deleteAccount(deps, user.id);
      if (!subject) throw new AppError('unauthenticated', 'Your session has ended.');
      // The audit row was written with the deletion (no user id, no address); this is its log line.
      request.log.info({ event: 'account.deleted', subject }, 'account.deleted');
      cookie.clear(reply);
      reply.header('clear-site-data', '"cache", "cookies", "storage"');
      return reply.status(204).send();
    },
  );
};
