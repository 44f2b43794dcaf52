import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../../db/db.js';
import { listShopMovements } from '../../inventory/shop-ledger.js';
import { requireShop } from '../guards.js';
import { MovementPage } from '../schemas/inventory.js';
import { LedgerQuery } from '../schemas/requests/ledger.js';

/** The shop-wide stock ledger (docs/api.md "Shops, members, invitations": GET /api/movements). Any member may read it. */

export const ledgerRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/api/movements',
    {
      config: {
        access: 'shop:viewer',
        operation: {
          tag: 'inventory',
          summary: "The shop's ledger, newest first, optionally one item's, reason's or person's",
          description:
            '`itemId` and `by` (a user id) are uuids and `reason` one of the movement reasons, else 400; a cursor is only valid with the filters it was made for. `by` of each movement names who made it (`deleted user` once that account is erased).',
          ok: { status: 200, description: 'A page of movements.' },
        },
      },
      schema: { querystring: LedgerQuery, response: { 200: MovementPage } },
    },
    async (request) => {
      const { shopId } = requireShop(request);
      const q = request.query;
      return listShopMovements(db, shopId, {
        cursor: q.cursor,
        limit: q.limit === undefined ? undefined : Number(q.limit),
        itemId: q.itemId,
        reason: q.reason,
        by: q.by,
      });
    },
  );
};
