import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import type { Pseudonyms } from '../../auth/pseudonyms.js';
import { type LoginThrottle, tooManyAttempts } from '../../auth/throttle.js';
import type { Db } from '../../db/db.js';
import { AppError } from '../../errors.js';
import { HUMAN_HEADERS, parseMapping } from '../../inventory/csv-columns.js';
import { exportCsv } from '../../inventory/csv-export.js';
import { shopCurrency } from '../../inventory/currency.js';
import { DEFAULT_DAYS, getDailyMovements } from '../../inventory/daily-movements.js';
import { checkIdempotencyKey, requestHash } from '../../inventory/idempotency.js';
import { dryRunImport, importCsv } from '../../inventory/import.js';
import { undoImport } from '../../inventory/import-undo.js';
import { ITEM_FIELDS } from '../../inventory/fields.js';
import { archiveItem, createItem, getItem, restoreItem, updateItem } from '../../inventory/items.js';
import { listItems } from '../../inventory/list.js';
import { lookupItem } from '../../inventory/lookup.js';
import { atLeast } from '../../shops/membership.js';
import { getShop } from '../../shops/settings.js';
import type { ShopRole } from '../../shops/shops.js';
import { summaryWithoutValue, withoutCost } from '../../inventory/cost-visibility.js';
import { adjustStock, listMovements } from '../../inventory/movements.js';
import { getSummary, summaryJson } from '../../inventory/summary.js';
import type { IdempotencyTicket, Outcome } from '../../inventory/types.js';
import { requireShop } from '../guards.js';
import { ImportDone, ImportDryRun, ImportUndone } from '../schemas/imports.js';
import { Adjusted, DailyMovements, ItemEnvelope, ItemPage, MovementPage, SummarySchema } from '../schemas/inventory.js';
import { IdParams } from '../schemas/requests/common.js';
import {
  AdjustmentBody,
  DailyMovementsQuery,
  ImportQuery,
  ItemPatchBody,
  ExportQuery,
  ItemsQuery,
  LookupQuery,
  MovementsQuery,
  NewItemBody,
} from '../schemas/requests/inventory.js';

/*
 * docs/api.md "Inventory". Thin: each handler reads the shop on its first line (from the session, never
 * from the request), converts the query strings, and calls one repository function,
 * which scopes everything to that shop. Schemas reject unknown fields and wrong types (400); the
 * repository re-checks everything the schemas cannot express (NUL, lone surrogates, bidi overrides, …).
 */

/** CSV import bodies may be this large; every other body keeps the global 1 MiB. */
export const CSV_BODY_LIMIT = 20 * 1024 * 1024;

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

export interface ItemsRoutesOptions {
  db: Db;
  throttle: LoginThrottle;
  pseudonyms: Pseudonyms;
  /** Imports per shop: `max` in a run with less than `window` seconds between them (IMPORT_MAX, IMPORT_WINDOW). */
  importQuota: { max: number; window: number };
}

export const itemsRoutes: FastifyPluginAsyncTypebox<ItemsRoutesOptions> = async (app, { db, throttle, pseudonyms, importQuota }) => {
  // access.ts checks the declared role before the body is even read (a stranger, or a viewer, cannot
  // make us parse a 20 MiB CSV); requireShop only reads the shop and role it found. Each route states the least shop role it needs (docs/api.md "Shops, members, invitations"):
  // reading is for every member, stock adjustments for clerks, editing the catalogue and imports for
  // managers. Cost fields are hidden below manager (cost-visibility.ts).
  const viewer = { access: 'shop:viewer' } as const;
  const clerk = { access: 'shop:clerk' } as const;
  const manager = { access: 'shop:manager' } as const;
  const seesCost = (role: ShopRole) => atLeast(role, 'manager');

  app.get(
    '/api/items',
    {
      config: {
        ...viewer,
        operation: {
          tag: 'inventory',
          summary: 'List, search and sort items',
          description:
            'Every word of `q` must match sku, name, barcode, location, tags or description as a case-insensitive substring, or (words of 4+ characters) by trigram word similarity ≥ 0.6; best match first, then `sort`. `location` and `tag` filter (case-insensitive, whole value); `archived=true` lists only archived items.',
          ok: { status: 200, description: 'A page of items.' },
        },
      },
      schema: { querystring: ItemsQuery, response: { 200: ItemPage } },
    },
    async (request) => {
      const { shopId, role } = requireShop(request);
      const q = request.query;
      const page = await listItems(db, shopId, {
        q: q.q,
        location: q.location,
        tag: q.tag,
        lowStock: q.lowStock === 'true' || q.lowStock === '1',
        archived: q.archived === 'true',
        sort: q.sort,
        cursor: q.cursor,
        limit: toInt(q.limit),
      });
      return seesCost(role) ? page : withoutCost(page);
    },
  );

  app.post(
    '/api/items',
    {
      config: {
        ...manager,
        operation: {
          tag: 'inventory',
          summary: 'Create an item',
          idempotent: true,
          ok: { status: 201, description: 'Created.' },
          errors: [409],
        },
      },
      schema: { body: NewItemBody, response: { 201: ItemEnvelope } },
    },
    async (request, reply) => {
      const { shopId, user } = requireShop(request);
      const ticket = ticketOf(request, JSON.stringify(request.body));
      return sendOutcome(
        reply,
        201,
        await createItem(db, shopId, request.body, { by: user.id, byName: user.username, idempotency: ticket }),
      );
    },
  );

  // Registered before /:id would not matter (static routes win in find-my-way), but reads better here.
  app.get(
    '/api/items/export.csv',
    {
      config: {
        ...viewer,
        operation: {
          tag: 'inventory',
          summary: "Export the shop's items as CSV (archived ones on request)",
          description:
            "Human headers (SKU, Name, …, Price, Cost, …), money as decimals in the shop's currency; the Cost column only for managers and owners. Cells starting with = + - @, tab or CR are prefixed with ' against formula injection. Active items only; `archived=true` adds the archived ones, marked `yes` in a last `Archived` column (which the import ignores).",
          ok: { status: 200, description: 'CSV, streamed.', contentType: 'text/csv' },
        },
      },
      schema: { querystring: ExportQuery },
    },
    async (request, reply) => {
      const { shopId, role } = requireShop(request);
      const chunks = exportCsv(db, shopId, await shopCurrency(db, shopId), {
        hideCost: !seesCost(role),
        archived: request.query.archived === 'true',
      })[Symbol.asyncIterator]();
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
    },
  );

  // The import route lives in its own scope with the only text/csv parser, so no other route accepts
  // CSV (it is 415 there). The body stays bytes here: decoding (strictly: invalid UTF-8 is a 422, not
  // U+FFFD), hashing and parsing 20 MB all happen on a worker thread (S-88, csv-parse-off-loop.ts).
  await app.register(async (untyped) => {
    const csvScope = untyped.withTypeProvider<TypeBoxTypeProvider>();
    // Merchants whose import this server is running (import.ts: one at a time per merchant).
    const importing = new Set<string>();
    csvScope.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: CSV_BODY_LIMIT }, (_request, body, done) => {
      done(null, body);
    });

    csvScope.post(
      '/api/items/import',
      {
        config: {
          ...manager,
          operation: {
            tag: 'inventory',
            summary: 'Import items from CSV (all rows or none), or preview it (dryRun=true)',
            idempotent: true,
            requestBody: { contentType: 'text/csv', description: 'UTF-8 CSV with a header row, up to 20 MiB.' },
            description:
              'Human headers or their aliases (docs/api.md "Spreadsheets"), money as decimals in the shop\'s currency (v1\'s cents columns still import). `mapping`: URL-encoded JSON `{"Their column": "field" | null}` placing or ignoring columns. `dryRun=true` answers what the import would do (the file\'s problems included, as `errors`) and writes nothing; otherwise 200 `{importId, created, updated}`, and the import can be undone with POST /api/imports/{importId}/undo. Parsed on a worker thread, written in one transaction. One import at a time per shop (409 with Retry-After while another runs, on any server); `IMPORT_MAX` per `IMPORT_WINDOW` (429), dry runs included.',
            ok: { status: 200, description: 'The import, or its preview (dryRun=true).' },
            errors: [409, 422, 429],
          },
        },
        schema: { querystring: ImportQuery, response: { 200: Type.Union([ImportDone, ImportDryRun]) } },
      },
      async (request, reply) => {
        const { shopId, user } = requireShop(request);
        const query = request.query;
        // The mapping first: a bad one is the request's own 400, whatever the body.
        const mapping = parseMapping(query.mapping);
        const dryRun = query.dryRun === 'true';
        if (!Buffer.isBuffer(request.body)) {
          throw new AppError('unsupported_media_type', 'Send the CSV as text/csv.');
        }
        const header = request.headers['idempotency-key'];
        const key = header === undefined || dryRun ? undefined : checkIdempotencyKey(Array.isArray(header) ? header.join(',') : header);
        // Counted before any work, refused or not: a file that is all errors costs the server as much as a
        // good one, and is exactly what someone repeating it would send. Keyed by pseudonym like the export.
        const closedUntil = await throttle.quota(await pseudonyms.keys('import:', 'shop', shopId), importQuota.max, importQuota.window);
        if (closedUntil) throw tooManyAttempts(closedUntil, throttle.now());
        const ctx = {
          by: user.id,
          currency: await shopCurrency(db, shopId),
          mapping,
          keyed: key === undefined ? undefined : { key, method: request.method, path: request.url },
        };
        if (dryRun) return reply.status(200).send(await dryRunImport(db, shopId, request.body, ctx, importing));
        return sendOutcome(reply, 200, await importCsv(db, shopId, request.body, ctx, importing));
      },
    );
  });

  app.get(
    '/api/items/import/template',
    {
      config: {
        ...manager,
        operation: {
          tag: 'inventory',
          summary: 'A CSV template to fill in for an import',
          description: "The human headers, in the export's order; money goes in as decimals in the shop's currency.",
          ok: { status: 200, description: 'CSV: the header row.', contentType: 'text/csv' },
        },
      },
    },
    async (_request, reply) =>
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="items-template.csv"')
        .send(`\uFEFF${ITEM_FIELDS.map((f) => HUMAN_HEADERS[f]).join(',')}\r\n`),
  );

  app.post(
    '/api/imports/:id/undo',
    {
      config: {
        ...manager,
        operation: {
          tag: 'inventory',
          summary: 'Undo an import',
          description:
            'Archives the items it created and restores the fields and quantities (through ledger rows) of the items it changed. 409 naming the items if any of them was edited, adjusted or removed since, or if the import was already undone.',
          ok: { status: 200, description: 'Undone.' },
          errors: [409],
        },
      },
      schema: { params: IdParams, response: { 200: ImportUndone } },
    },
    async (request) => {
      const { shopId, user } = requireShop(request);
      return undoImport(db, shopId, request.params.id, user.id);
    },
  );

  app.get(
    '/api/items/lookup',
    {
      config: {
        ...viewer,
        operation: {
          tag: 'inventory',
          summary: 'Find the item a barcode or SKU names (scanning)',
          description:
            'The active item whose barcode is exactly `code`, or else whose SKU is `code` (compared like SKUs: case-insensitively). Archived items are not found.',
          ok: { status: 200, description: 'The item.' },
          errors: [404],
        },
      },
      schema: { querystring: LookupQuery, response: { 200: ItemEnvelope } },
    },
    async (request) => {
      const { shopId, role } = requireShop(request);
      const body = { item: await lookupItem(db, shopId, request.query.code) };
      return seesCost(role) ? body : withoutCost(body);
    },
  );

  app.get(
    '/api/items/:id',
    {
      config: { ...viewer, operation: { tag: 'inventory', summary: 'One item', ok: { status: 200, description: 'The item.' } } },
      schema: { params: IdParams, response: { 200: ItemEnvelope } },
    },
    async (request) => {
      const { shopId, role } = requireShop(request);
      const body = { item: await getItem(db, shopId, request.params.id) };
      return seesCost(role) ? body : withoutCost(body);
    },
  );

  app.patch(
    '/api/items/:id',
    {
      config: {
        ...manager,
        operation: {
          tag: 'inventory',
          summary: 'Edit an item (not its quantity)',
          ok: { status: 200, description: 'Edited.' },
          errors: [409],
        },
      },
      schema: { params: IdParams, body: ItemPatchBody, response: { 200: ItemEnvelope } },
    },
    async (request) => {
      const { shopId } = requireShop(request);
      return { item: await updateItem(db, shopId, request.params.id, request.body) };
    },
  );

  app.delete(
    '/api/items/:id',
    {
      config: {
        ...manager,
        operation: {
          tag: 'inventory',
          summary: 'Archive an item (restorable; its ledger stays)',
          description:
            'Hidden from lists, lookups, the summary and new counts; `GET /api/items?archived=true` lists archived items. Archiving an archived item succeeds and changes nothing.',
          ok: { status: 204, description: 'Archived.' },
        },
      },
      schema: { params: IdParams },
    },
    async (request, reply) => {
      const { shopId } = requireShop(request);
      await archiveItem(db, shopId, request.params.id);
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/items/:id/restore',
    {
      config: {
        ...manager,
        operation: {
          tag: 'inventory',
          summary: 'Restore an archived item',
          description: 'Restoring an active item changes nothing and answers it as it is.',
          ok: { status: 200, description: 'The item, active.' },
        },
      },
      schema: { params: IdParams, response: { 200: ItemEnvelope } },
    },
    async (request) => {
      const { shopId } = requireShop(request);
      return { item: await restoreItem(db, shopId, request.params.id) };
    },
  );

  app.post(
    '/api/items/:id/adjustments',
    {
      config: {
        ...clerk,
        operation: {
          tag: 'inventory',
          summary: 'Adjust stock (one ledger row)',
          description: '409 if the stock would go below zero.',
          idempotent: true,
          ok: { status: 201, description: 'Adjusted.' },
          errors: [409],
        },
      },
      schema: { params: IdParams, body: AdjustmentBody, response: { 201: Adjusted } },
    },
    async (request, reply) => {
      const { shopId, user, role } = requireShop(request);
      const ticket = ticketOf(request, JSON.stringify(request.body));
      const outcome = await adjustStock(db, shopId, request.params.id, request.body, {
        by: user.id,
        byName: user.username,
        idempotency: ticket,
      });
      // A clerk's answer (fresh or replayed) shows the item without its cost.
      return sendOutcome(reply, 201, seesCost(role) ? outcome : { ...outcome, result: withoutCost(outcome.result) });
    },
  );

  app.get(
    '/api/items/:id/movements',
    {
      config: {
        ...viewer,
        operation: {
          tag: 'inventory',
          summary: "An item's ledger, newest first",
          ok: { status: 200, description: 'A page of movements.' },
        },
      },
      schema: { params: IdParams, querystring: MovementsQuery, response: { 200: MovementPage } },
    },
    async (request) => {
      const { shopId } = requireShop(request);
      return listMovements(db, shopId, request.params.id, {
        cursor: request.query.cursor,
        limit: toInt(request.query.limit),
      });
    },
  );

  app.get(
    '/api/inventory/summary',
    {
      config: {
        ...viewer,
        operation: { tag: 'inventory', summary: 'Totals for the dashboard', ok: { status: 200, description: 'Totals.' } },
      },
      // Documents the body; the handler sends a string, which Fastify does not pass to the serializer.
      schema: { response: { 200: SummarySchema } },
    },
    async (request, reply) => {
      const { shopId, role } = requireShop(request);
      const summary = await getSummary(db, shopId);
      // Written by hand: a total past Number.MAX_SAFE_INTEGER is a bigint, which JSON.stringify refuses.
      // The JSON text goes out as is (Fastify serializes objects only); the declared type is the object's.
      const json = summaryJson(seesCost(role) ? summary : summaryWithoutValue(summary)) as unknown as Static<typeof SummarySchema>;
      return reply.type('application/json; charset=utf-8').send(json);
    },
  );

  // Not in docs/api.md: our extension for the dashboard chart (README "The HTTP API").
  app.get(
    '/api/inventory/movements/daily',
    {
      config: {
        ...viewer,
        operation: {
          tag: 'inventory',
          summary: "Units in and out per day of the shop's time zone, for the dashboard chart (extension to docs/api.md)",
          description: '`days` 1..90 (default 14): one entry per day up to today, oldest first, zero days included.',
          ok: { status: 200, description: 'Per-day totals.' },
        },
      },
      schema: { querystring: DailyMovementsQuery, response: { 200: DailyMovements } },
    },
    async (request) => {
      const { shopId } = requireShop(request);
      // The shop's day, not UTC's (docs/api.md "Shop settings": the daily totals bucket by the shop's time zone).
      const { timezone } = await getShop(db, shopId);
      return { days: await getDailyMovements(db, shopId, toInt(request.query.days) ?? DEFAULT_DAYS, timezone) };
    },
  );
};
