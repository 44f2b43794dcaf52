import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditLog } from '../../auth/audit.js';
import type { Db } from '../../db/db.js';
import { abandonCount, commitCount, enterCountLine, getCount, listCounts, startCount } from '../../inventory/counts.js';
import { atLeast } from '../../shops/membership.js';
import { requireShop } from '../guards.js';
import { CountCommitted, CountEnvelope, CountLineEnvelope, CountList, CountWithLines } from '../schemas/counts.js';
import { IdParams } from '../schemas/requests/common.js';
import { CountLineBody, CountLineParams, CountPageQuery, NewCountBody } from '../schemas/requests/counts.js';

/*
 * Stock counts (docs/api.md "Shop floor"): every member reads them (the variance's value only from
 * manager up), clerks enter shelf counts, managers start, commit and abandon. Thin: the repository
 * (inventory/counts.ts) holds the rules and the concurrency. Start, commit and abandon are audited.
 */

export interface CountsRoutesOptions {
  db: Db;
  audit: AuditLog;
}

export const countsRoutes: FastifyPluginAsyncTypebox<CountsRoutesOptions> = async (app, { db, audit }) => {
  const viewer = { access: 'shop:viewer' } as const;
  const clerk = { access: 'shop:clerk' } as const;
  const manager = { access: 'shop:manager' } as const;
  // Counts are stock: they sit with the inventory in the OpenAPI document.
  const tag = 'inventory' as const;

  app.post(
    '/api/counts',
    {
      config: {
        ...manager,
        operation: {
          tag,
          summary: 'Start a stock count (a snapshot of the matching active items)',
          description:
            'All active items, or those at `location` or with `tag` (case-insensitive, whole value). 409 naming the count (`countId`, `countName`) if a matching item is already in an open count; 400 if nothing matches.',
          ok: { status: 201, description: 'Started.' },
          errors: [409],
        },
      },
      schema: { body: NewCountBody, response: { 201: CountEnvelope } },
    },
    async (request, reply) => {
      const { shopId, user } = requireShop(request);
      const count = await startCount(db, shopId, request.body, user.id);
      await audit.event(request, 'count.started', { userId: user.id, details: { shopId, countId: count.id, lines: count.lines } });
      return reply.status(201).send({ count });
    },
  );

  app.get(
    '/api/counts',
    {
      config: {
        ...viewer,
        operation: { tag, summary: "The shop's counts, newest first (the latest 200)", ok: { status: 200, description: 'Counts.' } },
      },
      schema: { response: { 200: CountList } },
    },
    async (request) => {
      const { shopId } = requireShop(request);
      return { counts: await listCounts(db, shopId) };
    },
  );

  app.get(
    '/api/counts/:id',
    {
      config: {
        ...viewer,
        operation: {
          tag,
          summary: 'A count, a page of its lines, and its totals',
          description:
            'Lines by item name, `limit` (1–200, default 50) a page; pass `nextCursor` back as `cursor` for the next (a cursor is valid only for the count it came from, else 400). `totals` (expected, counted, varianceUnits, varianceValueCents) are over the whole count on every page; the value is null below manager.',
          ok: { status: 200, description: 'The count, a page of its lines, the totals.' },
        },
      },
      schema: { params: IdParams, querystring: CountPageQuery, response: { 200: CountWithLines } },
    },
    async (request) => {
      const { shopId, role } = requireShop(request);
      const q = request.query;
      return getCount(db, shopId, request.params.id, atLeast(role, 'manager'), {
        cursor: q.cursor,
        limit: q.limit === undefined ? undefined : Number(q.limit),
      });
    },
  );

  app.put(
    '/api/counts/:id/lines/:itemId',
    {
      config: {
        ...clerk,
        operation: {
          tag,
          summary: 'Enter the number on the shelf for one item (replaces an earlier entry)',
          ok: { status: 200, description: 'The line.' },
          errors: [409],
        },
      },
      schema: { params: CountLineParams, body: CountLineBody, response: { 200: CountLineEnvelope } },
    },
    async (request) => {
      const { shopId, user, role } = requireShop(request);
      const line = await enterCountLine(
        db,
        shopId,
        request.params.id,
        request.params.itemId,
        request.body,
        user.id,
        atLeast(role, 'manager'),
      );
      return { line };
    },
  );

  app.post(
    '/api/counts/:id/commit',
    {
      config: {
        ...manager,
        operation: {
          tag,
          summary: 'Commit a count: each counted item becomes its count plus what moved since, through one `count` movement',
          description: 'Uncounted lines and archived items are left alone; one transaction. A closed count → 409.',
          ok: { status: 200, description: 'Committed.' },
          errors: [409],
        },
      },
      schema: { params: IdParams, response: { 200: CountCommitted } },
    },
    async (request) => {
      const { shopId, user } = requireShop(request);
      const result = await commitCount(db, shopId, request.params.id, user.id, true);
      await audit.event(request, 'count.committed', {
        userId: user.id,
        details: { shopId, countId: request.params.id, adjusted: result.adjusted },
      });
      return result;
    },
  );

  app.delete(
    '/api/counts/:id',
    {
      config: {
        ...manager,
        operation: {
          tag,
          summary: 'Abandon an open count (nothing changes but its status)',
          ok: { status: 204, description: 'Abandoned.' },
          errors: [409],
        },
      },
      schema: { params: IdParams },
    },
    async (request, reply) => {
      const { shopId, user } = requireShop(request);
      await abandonCount(db, shopId, request.params.id, user.id);
      await audit.event(request, 'count.abandoned', { userId: user.id, details: { shopId, countId: request.params.id } });
      return reply.status(204).send();
    },
  );
};
