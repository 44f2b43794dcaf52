import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../../db/db.js';
import { LABELS_HTML_CSP, labelsHtml } from '../../inventory/labels/html.js';
import { labelsPdf } from '../../inventory/labels/pdf.js';
import { labelSheet, parseIds } from '../../inventory/labels/sheet.js';
import { shopCurrency } from '../../shops/currency.js';
import { requireShop } from '../guards.js';
import { LabelsQuery } from '../schemas/requests/labels.js';

/*
 * docs/api.md "Shop floor": printable labels. Clerks and up (they stock the shelves); the shop comes from
 * the session. A static path under /api/items: find-my-way prefers it to /api/items/:id.
 */
export const labelsRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/api/items/labels',
    {
      config: {
        access: 'shop:clerk',
        operation: {
          tag: 'inventory',
          summary: 'Printable labels of items (PDF or HTML)',
          description:
            "Name, SKU, price in the shop's currency and a Code 128 (QR for long or non-ASCII codes) of the barcode or SKU. `ids`: up to 200 comma-separated item ids; any id not in the shop is a 404. `format=html` answers a print-ready page (`text/html`) with its own CSP. An archived item gets no label: 409 naming it (restore it first).",
          ok: { status: 200, description: 'An A4 sheet of 3 × 8 labels per page.', contentType: 'application/pdf' },
          errors: [409],
        },
      },
      schema: { querystring: LabelsQuery },
    },
    async (request, reply) => {
      const { shopId } = requireShop(request);
      const ids = parseIds(request.query.ids);
      const labels = await labelSheet(db, shopId, await shopCurrency(db, shopId), ids);
      if (request.query.format === 'html') {
        // Replaces the app's CSP (security.ts) with the page's own: no script, data: images only.
        return reply.type('text/html; charset=utf-8').header('content-security-policy', LABELS_HTML_CSP).send(labelsHtml(labels));
      }
      return reply
        .type('application/pdf')
        .header('content-disposition', 'inline; filename="labels.pdf"')
        .send(await labelsPdf(labels));
    },
  );
};
