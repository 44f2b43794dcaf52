import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../db/db.js';
import { AppError } from '../../errors.js';
import { exportCsv } from '../../inventory/csv-export.js';
import { DEFAULT_DAYS, getDailyMovements } from '../../inventory/daily-movements.js';
import { checkIdempotencyKey, requestHash } from '../../inventory/idempotency.js';
import { importCsv } from '../../inventory/import.js';
import { createItem, deleteItem, getItem, updateItem } from '../../inventory/items.js';
import { listItems } from '../../inventory/list.js';
import { adjustStock, listMovements } from '../../inventory/movements.js';
import { getSummary } from '../../inventory/summary.js';
import type { IdempotencyTicket, Outcome } from '../../inventory/types.js';
import { requireMerchant } from '../guards.js';
import { adjustmentBody, dailyMovementsQuery, idParams, itemsQuery, movementsQuery, newItemBody, patchBody } from './items-schemas.js';

/*
 * API.md "Inventory". Thin: each handler reads the merchant on its first line (from the session, never
 * from the request), converts the query strings, and calls one repository function,
 * which scopes everything to that merchant. Schemas reject unknown fields and wrong types (400); the
 * repository re-checks everything the schemas cannot express (NUL, lone surrogates, bidi overrides, …).
 */

/** CSV import bodies may be this large; every other body keeps the global 1 MiB. */
export const CSV_BODY_LIMIT = 20 * 1024 * 1024;

interface IdParams {
  id: string;
}

/** The request's Idempotency-Key, bound to what the request says (method, path, body). */
function ticketOf(request: FastifyRequest, body: string): IdempotencyTicket | undefined {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return undefined;
  const key = checkIdempotencyKey(Array.isArray(header) ? header.join(',') : header);
  return { key, requestHash: requestHash(request.method, request.url, body) };
}

function sendOutcome<T>(reply: FastifyReply, status: number, outcome: Outcome<T>): FastifyReply {
  if (outcome.replayed) reply.header('idempotent-replayed', 'true');
  return reply.status(status).send(outcome.result);
}

const toInt = (value: string | undefined) => (value === undefined ? undefined : Number(value));

export const itemsRoutes: FastifyPluginAsync<{ db: Db }> = async (app, { db }) => {
  // Every route here is declared `merchant` (access.ts checks it before the body is even read: a
  // stranger cannot make us parse a 20 MiB CSV); requireMerchant only reads the merchant id.
  const merchant = { access: 'merchant' } as const;

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/api/items',
    { config: merchant, schema: { querystring: itemsQuery } },
    async (request) => {
      const { merchantId } = requireMerchant(request);
      const q = request.query;
      return listItems(db, merchantId, {
        q: q.q,
        lowStock: q.lowStock === 'true' || q.lowStock === '1',
        sort: q.sort,
        cursor: q.cursor,
        limit: toInt(q.limit),
      });
    },
  );

  app.post('/api/items', { config: merchant, schema: { body: newItemBody } }, async (request, reply) => {
    const { merchantId, user } = requireMerchant(request);
    const ticket = ticketOf(request, JSON.stringify(request.body));
    return sendOutcome(reply, 201, await createItem(db, merchantId, request.body, { by: user.id, idempotency: ticket }));
  });

  // Registered before /:id would not matter (static routes win in find-my-way), but reads better here.
  app.get('/api/items/export.csv', { config: merchant }, async (request, reply) => {
    const { merchantId } = requireMerchant(request);
    const chunks = exportCsv(db, merchantId)[Symbol.asyncIterator]();
    // The header and the first batch are read before answering, so a database failure is still a
    // proper problem response; a failure later can only cut the stream short.
    const header = await chunks.next();
    const first = await chunks.next();
    async function* body() {
      if (!header.done) yield header.value;
      if (!first.done) {
        yield first.value;
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
      }
    }
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="items.csv"')
      .send(Readable.from(body()));
  });

  // The import route lives in its own scope with the only text/csv parser, so no other route accepts
  // CSV (it is 415 there). Decoded strictly: invalid UTF-8 is refused, not stored as U+FFFD.
  await app.register(async (csvScope) => {
    csvScope.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: CSV_BODY_LIMIT }, (_request, body, done) => {
      try {
        done(null, new TextDecoder('utf-8', { fatal: true }).decode(body as Buffer));
      } catch {
        done(
          new AppError('validation', 'The CSV is not valid UTF-8.', {
            errors: [{ path: 'csv', message: 'is not valid UTF-8' }],
            status: 422,
          }),
        );
      }
    });

    csvScope.post('/api/items/import', { config: merchant }, async (request, reply) => {
      const { merchantId, user } = requireMerchant(request);
      if (typeof request.body !== 'string') {
        throw new AppError('unsupported_media_type', 'Send the CSV as text/csv.');
      }
      const ticket = ticketOf(request, request.body);
      const outcome = await importCsv(db, merchantId, request.body, { by: user.id, idempotency: ticket });
      return sendOutcome(reply, 200, outcome);
    });
  });

  app.get<{ Params: IdParams }>('/api/items/:id', { config: merchant, schema: { params: idParams } }, async (request) => {
    const { merchantId } = requireMerchant(request);
    return { item: await getItem(db, merchantId, request.params.id) };
  });

  app.patch<{ Params: IdParams }>(
    '/api/items/:id',
    { config: merchant, schema: { params: idParams, body: patchBody } },
    async (request) => {
      const { merchantId } = requireMerchant(request);
      return { item: await updateItem(db, merchantId, request.params.id, request.body) };
    },
  );

  app.delete<{ Params: IdParams }>('/api/items/:id', { config: merchant, schema: { params: idParams } }, async (request, reply) => {
    const { merchantId } = requireMerchant(request);
    await deleteItem(db, merchantId, request.params.id);
    return reply.status(204).send();
  });

  app.post<{ Params: IdParams }>(
    '/api/items/:id/adjustments',
    { config: merchant, schema: { params: idParams, body: adjustmentBody } },
    async (request, reply) => {
      const { merchantId, user } = requireMerchant(request);
      const ticket = ticketOf(request, JSON.stringify(request.body));
      const outcome = await adjustStock(db, merchantId, request.params.id, request.body, {
        by: user.id,
        idempotency: ticket,
      });
      return sendOutcome(reply, 201, outcome);
    },
  );

  app.get<{ Params: IdParams; Querystring: Record<string, string | undefined> }>(
    '/api/items/:id/movements',
    { config: merchant, schema: { params: idParams, querystring: movementsQuery } },
    async (request) => {
      const { merchantId } = requireMerchant(request);
      return listMovements(db, merchantId, request.params.id, {
        cursor: request.query.cursor,
        limit: toInt(request.query.limit),
      });
    },
  );

  app.get('/api/inventory/summary', { config: merchant }, async (request) => {
    const { merchantId } = requireMerchant(request);
    return getSummary(db, merchantId);
  });

  // Not in API.md: our extension for the dashboard chart (README "The HTTP API").
  app.get<{ Querystring: { days?: string } }>(
    '/api/inventory/movements/daily',
    { config: merchant, schema: { querystring: dailyMovementsQuery } },
    async (request) => {
      const { merchantId } = requireMerchant(request);
      return { days: await getDailyMovements(db, merchantId, toInt(request.query.days) ?? DEFAULT_DAYS) };
    },
  );
};
