import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { decodeUserCursor } from '../../auth/accounts.js';
import { AUDIT_TYPES } from '../../auth/audit.js';
import { isUserId } from '../../auth/users.js';
import type { AppDeps } from '../../wiring/deps.js';
import { AppError, validation } from '../../errors.js';
import { requireAdmin, requireFreshAuth } from '../guards.js';
import { Type } from 'typebox';
import { AuditEventSchema } from '../schemas/audit.js';
import { NextCursor, Revoked } from '../schemas/common.js';
import { AdminUserSchema } from '../schemas/users.js';
import { AdminUserPatchBody, AdminUsersQuery, AuditQuery } from '../schemas/requests/admin.js';
import { IdParams } from '../schemas/requests/common.js';
import { decodeShopCursor, listShops } from '../../shops/admin-shops.js';
import { AdminShopsQuery } from '../schemas/requests/shops.js';
import { AdminShopPage } from '../schemas/shops.js';

/**
 * Account administration (docs/api.md "Admin"): the user list, the kill switch, disable/enable, role change,
 * and the whole audit trail. Admins manage accounts and sessions; they never read a merchant's inventory
 * (the inventory routes are declared `merchant`).
 *
 * Every route is declared `access: 'admin'` (access.ts: no session 401, a merchant 403, before any
 * validation). Every write also needs a fresh authentication (403 `reauth_required` outside
 * SESSION_REAUTH_WINDOW).
 */

function pageSize(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (n < 1 || n > max) throw validation([{ path: 'querystring/limit', message: `must be between 1 and ${max}` }]);
  return n;
}

const noSuchUser = () => new AppError('not_found', 'No such user.');

export const adminRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  const { accounts, audit, config } = deps;

  app.get(
    '/api/admin/users',
    {
      config: {
        access: 'admin',
        operation: { tag: 'admin', summary: 'Users, in username order', ok: { status: 200, description: 'A page of users.' } },
      },
      schema: {
        querystring: AdminUsersQuery,
        response: { 200: Type.Object({ users: Type.Array(AdminUserSchema), nextCursor: NextCursor }) },
      },
    },
    async (request) => {
      const { cursor } = request.query;
      const after = cursor === undefined ? undefined : decodeUserCursor(cursor);
      if (after === null) throw validation([{ path: 'querystring/cursor', message: 'is not a cursor from this list' }]);
      return accounts.list({ ...(after !== undefined ? { after } : {}), limit: pageSize(request.query.limit, 50, 200) });
    },
  );

  app.get(
    '/api/admin/shops',
    {
      config: {
        access: 'admin',
        operation: {
          tag: 'admin',
          summary: 'Shops, oldest first, with their member and owner counts (never their stock)',
          ok: { status: 200, description: 'A page of shops.' },
        },
      },
      schema: { querystring: AdminShopsQuery, response: { 200: AdminShopPage } },
    },
    async (request) => {
      const { cursor } = request.query;
      const after = cursor === undefined ? undefined : decodeShopCursor(cursor);
      if (after === null) throw validation([{ path: 'querystring/cursor', message: 'is not a cursor from this list' }]);
      const page = await listShops(deps.db, { ...(after !== undefined ? { after } : {}), limit: pageSize(request.query.limit, 50, 200) });
      return { shops: page.shops.map((s) => ({ ...s, createdAt: s.createdAt.toISOString() })), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/api/admin/users/:id/revoke-sessions',
    {
      config: {
        access: 'admin',
        operation: {
          tag: 'admin',
          summary: 'End every session of a user, on every server (kill switch)',
          ok: { status: 200, description: 'How many ended.' },
        },
      },
      schema: { params: IdParams, response: { 200: Revoked } },
    },
    async (request) => {
      const auth = requireAdmin(request);
      requireFreshAuth(auth, config.session.reauthWindow);
      const revoked = await accounts.revokeSessions(request.params.id);
      if (revoked === null) throw noSuchUser();
      await audit.event(request, 'session.revoked', {
        userId: request.params.id,
        actorId: auth.user.id,
        details: { scope: 'all', count: revoked },
      });
      return { revoked };
    },
  );

  app.patch(
    '/api/admin/users/:id',
    {
      config: {
        access: 'admin',
        operation: {
          tag: 'admin',
          summary: 'Disable, enable, or change the role of a user',
          description: 'Disabling (and a role change) revokes all the user’s sessions.',
          ok: { status: 200, description: 'The user.' },
          errors: [409],
        },
      },
      schema: {
        params: IdParams,
        response: { 200: Type.Object({ user: AdminUserSchema }) },
        body: AdminUserPatchBody,
      },
    },
    async (request) => {
      const auth = requireAdmin(request);
      requireFreshAuth(auth, config.session.reauthWindow);
      const target = request.params.id;
      if (!isUserId(target)) throw noSuchUser();
      const { user, before, revoked } = await accounts.update(target, request.body);
      if (before.disabled !== user.disabled) {
        await audit.event(request, user.disabled ? 'admin.user_disabled' : 'admin.user_enabled', {
          userId: target,
          actorId: auth.user.id,
          details: { sessionsRevoked: revoked },
        });
      }
      if (before.role !== user.role) {
        await audit.event(request, 'admin.role_changed', {
          userId: target,
          actorId: auth.user.id,
          details: { from: before.role, to: user.role, sessionsRevoked: revoked },
        });
      }
      return { user };
    },
  );

  app.get(
    '/api/admin/audit',
    {
      config: {
        access: 'admin',
        operation: { tag: 'admin', summary: 'The audit trail, newest first', ok: { status: 200, description: 'A page of events.' } },
      },
      schema: {
        response: { 200: Type.Object({ events: Type.Array(AuditEventSchema), nextCursor: NextCursor }) },
        querystring: AuditQuery,
      },
    },
    async (request) => {
      const { cursor, userId, type } = request.query;
      if (userId !== undefined && !isUserId(userId)) throw validation([{ path: 'querystring/userId', message: 'is not a user id' }]);
      if (type !== undefined && !(AUDIT_TYPES as readonly string[]).includes(type)) {
        throw validation([{ path: 'querystring/type', message: 'is not an audit event type' }]);
      }
      const limit = pageSize(request.query.limit, 100, 500);
      const rows = await audit.page({
        limit: limit + 1,
        ...(cursor !== undefined ? { before: cursor } : {}),
        ...(userId !== undefined ? { userId } : {}),
        ...(type !== undefined ? { type } : {}),
      });
      const page = rows.slice(0, limit);
      return {
        events: page.map((e) => ({
          id: e.id,
          type: e.type,
          at: e.at.toISOString(),
          userId: e.userId,
          actorId: e.actorId,
          subject: e.subject,
          ip: e.ip,
          userAgent: e.userAgent,
          requestId: e.requestId,
          details: e.details,
        })),
        nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
      };
    },
  );
};
