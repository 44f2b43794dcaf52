import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../wiring/deps.js';
import { AppError } from '../../errors.js';
import type { SessionCookie } from '../cookies.js';
import { requireFreshAuth, requireUser } from '../guards.js';
import { Type } from 'typebox';
import { Revoked } from '../schemas/common.js';
import { SessionListEntrySchema } from '../schemas/sessions.js';
import { IdParams } from '../schemas/requests/common.js';

/** "Where you're signed in": the user's own sessions, listed by public handle, revocable one by one. */

export interface SessionRoutesOptions {
  deps: AppDeps;
  cookie: SessionCookie;
}

export const sessionRoutes: FastifyPluginAsyncTypebox<SessionRoutesOptions> = async (app, { deps, cookie }) => {
  const { sessions, config, audit } = deps;

  app.get(
    '/api/sessions',
    {
      config: {
        access: 'user',
        operation: { tag: 'sessions', summary: "The signed-in user's sessions", ok: { status: 200, description: 'Sessions.' } },
      },
      schema: { response: { 200: Type.Object({ sessions: Type.Array(SessionListEntrySchema) }) } },
    },
    async (request) => {
      const { user, session: current } = requireUser(request);
      const list = await sessions.list(user.id);
      return {
        sessions: list.map((s) => ({
          id: s.id,
          createdAt: s.createdAt.toISOString(),
          lastSeenAt: s.lastSeenAt.toISOString(),
          idleExpiresAt: s.idleExpiresAt.toISOString(),
          absoluteExpiresAt: s.absoluteExpiresAt.toISOString(),
          userAgent: s.userAgent,
          ip: s.ip,
          current: s.id === current.id,
        })),
      };
    },
  );

  app.delete(
    '/api/sessions/:id',
    {
      config: {
        access: 'user',
        operation: { tag: 'sessions', summary: 'End one of your sessions', ok: { status: 204, description: 'Ended.' } },
      },
      schema: { params: IdParams },
    },
    async (request, reply) => {
      const { user, session: current } = requireUser(request);
      // Scoped by user: another user's session id is "not found", exactly like a made-up one.
      if (!(await sessions.revokeById(user.id, request.params.id))) throw new AppError('not_found', 'No such session.');
      await audit.event(request, 'session.revoked', { userId: user.id, details: { sessionId: request.params.id } });
      if (request.params.id === current.id) cookie.clear(reply);
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/sessions/revoke-others',
    {
      config: {
        access: 'user',
        operation: {
          tag: 'sessions',
          summary: 'End every other session (needs a fresh authentication)',
          ok: { status: 200, description: 'How many ended.' },
          errors: [403],
        },
      },
      schema: { response: { 200: Revoked } },
    },
    async (request) => {
      const auth = requireUser(request);
      requireFreshAuth(auth, config.session.reauthWindow);
      const revoked = await sessions.revokeUser(auth.user.id, auth.session);
      await audit.event(request, 'sessions.revoked_others', { userId: auth.user.id, details: { count: revoked } });
      return { revoked };
    },
  );
};
