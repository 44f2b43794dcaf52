import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditLog } from '../../auth/audit.js';
import type { Db } from '../../db/db.js';
import { AppError } from '../../errors.js';
import { type NoticeRoutes, shopsChanged } from '../../shops/shop-notices.js';
import { checkShopName, openShopFor, switchShop } from '../../shops/shops.js';
import { requireMerchant } from '../guards.js';
import { NewShopBody, SwitchShopBody } from '../schemas/requests/shops.js';
import { ShopEnvelope } from '../schemas/shops.js';

/*
 * The shops a merchant belongs to (docs/api.md "Shops, members, invitations"): open a new one, switch
 * the session's active one. Declared `merchant`: an admin belongs to no shop. Neither rotates the token:
 * the active shop names where the session works, not who it is, and the role there is read fresh on
 * every shop request (shops/membership.ts). Who-am-I's copies of the user's shops are forgotten on every
 * server before either answers (shops/session-shops-cache.ts).
 */

export interface ShopsRoutesOptions {
  db: Db;
  audit: AuditLog;
  /** Where who-am-I's copies of a user's shops are forgotten (shops/shop-notices.ts shopsChanged). */
  notices: Pick<NoticeRoutes, 'bus' | 'shopsCache'>;
}

export const shopsRoutes: FastifyPluginAsyncTypebox<ShopsRoutesOptions> = async (app, { db, audit, notices }) => {
  app.post(
    '/api/auth/shop',
    {
      config: {
        access: 'merchant',
        operation: {
          tag: 'shops',
          summary: "Switch the session's active shop (no token rotation)",
          description: 'A shop you are not a member of (or no such shop) is 404.',
          ok: { status: 200, description: 'The active shop now, with your role there.' },
          errors: [404],
        },
      },
      schema: { body: SwitchShopBody, response: { 200: ShopEnvelope } },
    },
    async (request) => {
      const { user, session } = requireMerchant(request);
      const shop = await switchShop(db, user.id, session.idHash, request.body.shopId);
      if (!shop) throw new AppError('not_found', 'No such shop.');
      // The session may ask "who am I" on another server next (behind a load balancer): every server forgets.
      await shopsChanged(notices, user.id);
      return { shop };
    },
  );

  app.post(
    '/api/shops',
    {
      config: {
        access: 'merchant',
        operation: {
          tag: 'shops',
          summary: 'Open another shop, owned by you and now active',
          ok: { status: 201, description: 'The new shop.' },
        },
      },
      schema: { body: NewShopBody, response: { 201: ShopEnvelope } },
    },
    async (request, reply) => {
      const { user, session } = requireMerchant(request);
      const name = checkShopName(request.body.name);
      const shop = await openShopFor(db, user.id, session.idHash, name);
      await shopsChanged(notices, user.id);
      await audit.event(request, 'shop.created', { userId: user.id, details: { shopId: shop.id } });
      return reply.status(201).send({ shop });
    },
  );
};
