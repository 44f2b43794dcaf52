import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { confirmPassword } from '../../auth/password-checks.js';
import { hasSecondFactor } from '../../auth/second-factor/second-factors.js';
import { AppError } from '../../errors.js';
import { changeRole, listMembers, type Member, removeMember } from '../../shops/members.js';
import { checkShopPatch, deleteShop, getShop, memberIds, updateShop } from '../../shops/settings.js';
import { shopsChanged, tellMembers } from '../../shops/shop-notices.js';
import type { Shop } from '../../shops/shops.js';
import type { Notice } from '../../sessions/bus/bus.js';
import type { AppDeps } from '../../wiring/deps.js';
import { requireFreshAuth, requireShop } from '../guards.js';
import { PasswordBody } from '../schemas/requests/auth.js';
import { MemberParams, MemberPatchBody, ShopPatchBody } from '../schemas/requests/shops.js';
import { MemberEnvelope, MemberList, ShopSettingsEnvelope } from '../schemas/shops.js';

/*
 * The active shop itself (docs/api.md "Shops, members, invitations"): its settings, its deletion and its
 * members. Every route works in the session's active shop, as read by the access guard for this request
 * (requireShop): a member of another shop, or an unknown id, is 404. A change that takes a member's
 * standing away (role, removal, requireMfa) bites on their next request by itself — the membership is
 * read per request — and is announced on the bus after commit as `shop.changed`, so their open tabs
 * re-read the session at once. No session is ended.
 */

export interface ShopRoutesOptions {
  deps: AppDeps;
}

const shopJson = (s: Shop) => ({
  id: s.id,
  name: s.name,
  currency: s.currency,
  timezone: s.timezone,
  requireMfa: s.requireMfa,
  createdAt: s.createdAt.toISOString(),
});

const memberJson = (m: Member) => ({
  userId: m.userId,
  username: m.username,
  role: m.role,
  joinedAt: m.joinedAt.toISOString(),
  mfa: m.mfa,
});

const noSuchMember = () => new AppError('not_found', 'No such member.');

export const shopRoutes: FastifyPluginAsyncTypebox<ShopRoutesOptions> = async (app, { deps }) => {
  const { db, audit, config, users } = deps;
  const noticeRoutes = () => ({ bus: deps.sessionStack?.bus, local: (n: Notice) => deps.events.notice(n), shopsCache: deps.shopsCache });

  app.get(
    '/api/shop',
    {
      config: {
        access: 'shop:viewer',
        operation: { tag: 'shops', summary: "The active shop's settings", ok: { status: 200, description: 'The shop.' } },
      },
      schema: { response: { 200: ShopSettingsEnvelope } },
    },
    async (request) => {
      const { shopId } = requireShop(request);
      return { shop: shopJson(await getShop(db, shopId)) };
    },
  );

  app.patch(
    '/api/shop',
    {
      config: {
        access: 'shop:owner',
        operation: {
          tag: 'shops',
          summary: "Change the active shop's name, currency, time zone or requireMfa (owner)",
          description:
            'currency: ISO 4217; timezone: IANA (or UTC). A currency change once any item has a price or cost is 409. Turning requireMfa on needs a second factor of your own (400), and tells every member at once (`shop.changed`, reason `mfa_required`).',
          ok: { status: 200, description: 'The shop now.' },
          errors: [409],
        },
      },
      schema: { body: ShopPatchBody, response: { 200: ShopSettingsEnvelope } },
    },
    async (request) => {
      const { shopId, user } = requireShop(request);
      const patch = checkShopPatch(request.body);
      // Otherwise the owner would lock themself out of the very route that turns it off again.
      if (patch.requireMfa === true && !(await hasSecondFactor(db, user.id))) {
        const message = 'Turn on two-factor sign-in for your own account first (Security).';
        throw new AppError('validation', message, { errors: [{ path: 'requireMfa', message }] });
      }
      const { shop, before } = await updateShop(db, shopId, patch);
      const changed = (['name', 'currency', 'timezone', 'requireMfa'] as const).filter((k) => shop[k] !== before[k]);
      if (changed.length > 0) {
        await audit.event(request, 'shop.updated', { userId: user.id, details: { shopId, changed: changed.join(',') } });
      }
      if (shop.requireMfa && !before.requireMfa) await tellMembers(noticeRoutes(), shopId, await memberIds(db, shopId), 'mfa_required');
      // Every member's who-am-I names the shop, its currency and time zone: forgotten on every server.
      if (changed.some((k) => k !== 'requireMfa')) await shopsChanged(noticeRoutes());
      return { shop: shopJson(shop) };
    },
  );

  app.delete(
    '/api/shop',
    {
      config: {
        access: 'shop:owner',
        operation: {
          tag: 'shops',
          summary: 'Delete the active shop and everything in it (owner, fresh authentication, password)',
          description:
            "Items, movements, memberships and invitations go with it. Sessions that worked in it stay signed in without an active shop (or in the user's earliest other shop).",
          ok: { status: 204, description: 'Deleted.' },
          errors: [429],
        },
      },
      schema: { body: PasswordBody },
    },
    async (request, reply) => {
      const auth = requireShop(request);
      requireFreshAuth(auth, config.session.reauthWindow);
      const user = await users.findById(auth.user.id);
      if (!user) throw new AppError('unauthenticated', 'Your session has ended.');
      await confirmPassword(deps, request, user, auth.session.id, request.body.password, {
        failure: 'shop.delete_failure',
        field: 'password',
        message: 'That password is not right.',
      });
      const members = await deleteShop(db, auth.shopId);
      if (members === null) throw new AppError('not_found', 'No such shop.');
      await audit.event(request, 'shop.deleted', { userId: user.id, details: { shopId: auth.shopId, members: members.length } });
      await tellMembers(
        noticeRoutes(),
        auth.shopId,
        members.filter((id) => id !== user.id),
        'removed',
      );
      // The owner's own sessions (here and on other servers) listed the shop too; their tab knows.
      await shopsChanged(noticeRoutes(), user.id);
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/shop/members',
    {
      config: {
        access: 'shop:manager',
        operation: {
          tag: 'shops',
          summary: "The active shop's members (manager or owner)",
          ok: { status: 200, description: 'Owners first, then managers, clerks, viewers.' },
        },
      },
      schema: { response: { 200: MemberList } },
    },
    async (request) => {
      const { shopId } = requireShop(request);
      return { members: (await listMembers(db, shopId)).map(memberJson) };
    },
  );

  app.patch(
    '/api/shop/members/:userId',
    {
      config: {
        access: 'shop:owner',
        operation: {
          tag: 'shops',
          summary: "Change a member's role (owner)",
          description:
            "Applies to the member's next request on every server, without ending their session. Leaving the shop without an owner is 409; someone who is not a member of this shop is 404.",
          ok: { status: 200, description: 'The member now.' },
          errors: [404, 409],
        },
      },
      schema: { params: MemberParams, body: MemberPatchBody, response: { 200: MemberEnvelope } },
    },
    async (request) => {
      const { shopId, user } = requireShop(request);
      const { userId } = request.params;
      const change = await changeRole(db, shopId, userId, request.body.role);
      if (!change) throw noSuchMember();
      if (change.before !== change.member.role) {
        // Told before the audit row: who-am-I's copies must go even if the audit write fails.
        await tellMembers(noticeRoutes(), shopId, [change.member.userId], 'role_changed');
        await audit.event(request, 'shop.member_role_changed', {
          userId: change.member.userId,
          actorId: user.id,
          details: { shopId, from: change.before, to: change.member.role },
        });
      }
      return { member: memberJson(change.member) };
    },
  );

  app.delete(
    '/api/shop/members/:userId',
    {
      // Viewer: any member may leave (their own id); removing someone else needs the owner (below).
      config: {
        access: 'shop:viewer',
        operation: {
          tag: 'shops',
          summary: 'Remove a member (owner), or leave the shop (your own id, any role)',
          description:
            "Applies to the member's next request on every server, without ending their session (it stays signed in, without an active shop). Leaving the shop without an owner is 409; someone who is not a member of this shop is 404.",
          ok: { status: 204, description: 'Removed.' },
          errors: [404, 409],
        },
      },
      schema: { params: MemberParams },
    },
    async (request, reply) => {
      const { shopId, user, role } = requireShop(request);
      const { userId } = request.params;
      const leaving = userId.toLowerCase() === user.id;
      if (!leaving && role !== 'owner') throw new AppError('forbidden', 'Only an owner may remove members.');
      if (!(await removeMember(db, shopId, userId))) throw noSuchMember();
      // Told before the audit row: who-am-I's copies must go even if the audit write fails.
      await tellMembers(noticeRoutes(), shopId, [leaving ? user.id : userId], 'removed');
      await audit.event(request, leaving ? 'shop.member_left' : 'shop.member_removed', {
        userId: leaving ? user.id : userId,
        ...(leaving ? {} : { actorId: user.id }),
        details: { shopId },
      });
      return reply.status(204).send();
    },
  );
};
