import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { addressGroup, tooManyAttempts } from '../../auth/throttle.js';
import { AppError } from '../../errors.js';
import { shopsChanged } from '../../shops/shop-notices.js';
import type { AppDeps } from '../../wiring/deps.js';
import { requireMerchant, requireShop } from '../guards.js';
import { PerKeyBudget } from '../per-key-budget.js';
import { IssuedInvitationSchema, InvitationListSchema, InvitationPreviewSchema } from '../schemas/invitations.js';
import { IdParams } from '../schemas/requests/common.js';
import { InvitationTokenParams, NewInvitationBody } from '../schemas/requests/invitations.js';
import { ShopEnvelope } from '../schemas/shops.js';

/*
 * Invitations (docs/api.md "Shops, members, invitations"; rules and races in shops/invitations.ts).
 * Issuing, listing and withdrawing are the shop's managers' (`shop:manager`: a viewer or clerk is 403
 * before the body is read, so nothing is written); the link's preview is public and throttled per
 * address; accepting is a signed-in merchant's (an admin is 403: their memberships lie dormant).
 *
 * The token travels in the path: the request logger writes the route pattern of any route with a
 * `:token` parameter, never the token (observability/logger.ts), and the audit never records it.
 */

const MINUTE = 60_000;
/**
 * Previews per client address group (IPv4 whole, IPv6 /64: throttle.ts) per minute, and in all per minute, per server
 * (per-key-budget.ts). A token is 256 random bits, so this is not what stops guessing; it keeps the
 * public lookup from being a free database load generator.
 */
export const PREVIEW_BUDGET = { perAddress: 30, total: 600, maxKeys: 10_000 } as const;

export const invitationRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  const { invitations, audit } = deps;
  const now = deps.throttle.now.bind(deps.throttle);
  const perAddress = new PerKeyBudget({ perKey: PREVIEW_BUDGET.perAddress, windowMs: MINUTE, maxKeys: PREVIEW_BUDGET.maxKeys, now });
  const total = new PerKeyBudget({ perKey: PREVIEW_BUDGET.total, windowMs: MINUTE, maxKeys: 1, now });

  app.post(
    '/api/shop/invitations',
    {
      config: {
        access: 'shop:manager',
        operation: {
          tag: 'shops',
          summary: 'Invite someone to the active shop (the link is shown once)',
          description:
            'Managers may invite clerks and viewers, owners any role (a role above what yours may grant is 403). The link `PUBLIC_URL/#/join/<token>` works once, for 7 days. With `email` it is mailed to that address, and only an account with that verified address may accept it.',
          ok: { status: 201, description: 'The invitation, its token and link: the only time they are shown.' },
          errors: [403],
        },
      },
      schema: { body: NewInvitationBody, response: { 201: IssuedInvitationSchema } },
    },
    async (request, reply) => {
      const { user, shopId, role } = requireShop(request);
      const issued = await invitations.create(shopId, { userId: user.id, role }, request.body.role, request.body.email);
      await audit.event(request, 'invitation.created', {
        userId: user.id,
        details: { shopId, invitationId: issued.invitation.id, role: request.body.role, emailed: request.body.email !== undefined },
      });
      return reply.status(201).send(issued);
    },
  );

  app.get(
    '/api/shop/invitations',
    {
      config: {
        access: 'shop:manager',
        operation: {
          tag: 'shops',
          summary: "The active shop's pending invitations (without tokens)",
          ok: { status: 200, description: 'Invitations that can still be accepted, newest first.' },
        },
      },
      schema: { response: { 200: InvitationListSchema } },
    },
    async (request) => {
      const { shopId } = requireShop(request);
      return { invitations: await invitations.pending(shopId) };
    },
  );

  app.delete(
    '/api/shop/invitations/:id',
    {
      config: {
        access: 'shop:manager',
        operation: {
          tag: 'shops',
          summary: 'Withdraw a pending invitation',
          description: "Another shop's invitation, an unknown id, or one already used, withdrawn or expired is 404.",
          ok: { status: 204, description: 'Withdrawn: its link now answers 404.' },
          errors: [404],
        },
      },
      schema: { params: IdParams },
    },
    async (request, reply) => {
      const { user, shopId } = requireShop(request);
      const withdrawn = await invitations.withdraw(shopId, request.params.id);
      if (!withdrawn) throw new AppError('not_found', 'No such invitation.');
      await audit.event(request, 'invitation.withdrawn', {
        userId: user.id,
        details: { shopId, invitationId: request.params.id, role: withdrawn.role },
      });
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/invitations/:token',
    {
      config: {
        access: 'public',
        operation: {
          tag: 'shops',
          summary: 'What an invitation link offers (does not use it up)',
          description:
            'Unknown, used, expired and withdrawn links, and links whose inviter no longer holds a role that may grant them, all answer the same 404. Throttled per address (429).',
          ok: { status: 200, description: 'The shop, the role, and until when the link works.' },
          errors: [404, 429],
        },
      },
      schema: { params: InvitationTokenParams, response: { 200: InvitationPreviewSchema } },
    },
    async (request) => {
      if (!perAddress.take(addressGroup(request.ip)) || !total.take('all')) {
        throw tooManyAttempts(new Date(now() + MINUTE), now());
      }
      return invitations.preview(request.params.token);
    },
  );

  app.post(
    '/api/invitations/:token/accept',
    {
      config: {
        access: 'merchant',
        operation: {
          tag: 'shops',
          summary: 'Accept an invitation: join the shop, now the active one',
          description:
            'A dead link, or one bound to an address your account has not verified, is 404 (the same for every reason); already a member is 409 (the link stays valid); an administrator is 403. Of two accepts of one link, exactly one wins.',
          ok: { status: 200, description: 'The shop joined, with your role there; the session now works in it.' },
          errors: [404, 409],
        },
      },
      schema: { params: InvitationTokenParams, response: { 200: ShopEnvelope } },
    },
    async (request) => {
      const { user, session } = requireMerchant(request);
      const accepted = await invitations.accept(request.params.token, user.id, session.idHash);
      // A new shop in the list, and this session's active one: every server's who-am-I forgets its copy.
      await shopsChanged({ bus: deps.sessionStack?.bus, shopsCache: deps.shopsCache }, user.id);
      await audit.event(request, 'invitation.accepted', {
        userId: user.id,
        details: { shopId: accepted.shop.id, invitationId: accepted.invitationId, role: accepted.shop.role, invitedBy: accepted.invitedBy },
      });
      return { shop: accepted.shop };
    },
  );
};
