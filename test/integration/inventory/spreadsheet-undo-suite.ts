import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { type ApiResponse, TestClient } from '../../support/client.js';
import type { Backend } from './fixtures.js';

/*
 * Issue 18 over real HTTP, on both databases (docs/api.md "Spreadsheets"): an import's undo, and its
 * refusal once an item changed since — also raced against a sale and an edit of its items. (Apart from
 * spreadsheets.test.ts: every import starts a worker, seconds each from source on a busy machine.)
 */

const csv = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;

function problem(res: ApiResponse, status: number, code: string) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body.code, code, res.text);
}

interface Merchant {
  client: TestClient;
  shopId: string;
}

/** The suite on one database (one file per database: each import starts a worker, seconds from source). */
export function describeSpreadsheetUndo(backend: Backend): void {
  describe(`spreadsheet undo over HTTP (${backend})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database: backend });
    });
    after(() => server.close());

    async function merchant(currency = 'EUR'): Promise<Merchant> {
      const client = new TestClient(server.url);
      const user = await client.register();
      const res = await server.db.query<{ shop_id: string }>(`SELECT shop_id FROM memberships WHERE user_id = $1`, [user.id]);
      const shopId = res.rows[0]?.shop_id as string;
      // The shops work's PATCH /api/shop sets it too; here the row is what the import reads.
      await server.db.query('UPDATE shops SET currency = $2 WHERE id = $1', [shopId, currency]);
      return { client, shopId };
    }

    const importCsv = (m: Merchant, text: string, query = '') =>
      m.client.request('POST', `/api/items/import${query}`, { raw: text, contentType: 'text/csv' });
    const item = async (m: Merchant, sku: string) => {
      const res = await m.client.get(`/api/items?q=${encodeURIComponent(sku)}`);
      return res.body.items.find((i: { sku: string }) => i.sku === sku);
    };

    test('undo: created items archived, fields and quantities restored through the ledger; twice is 409', async () => {
      const m = await merchant();
      await importCsv(m, csv('SKU,Name,Quantity,Price', 'U-1,Kept,5,1.00'));
      const done = await importCsv(m, csv('SKU,Name,Quantity,Price', 'U-1,Renamed,9,1.50', 'U-2,New one,4,'));
      assert.deepEqual([done.body.created, done.body.updated], [1, 1]);
      const undone = await m.client.post(`/api/imports/${done.body.importId}/undo`);
      assert.equal(undone.status, 200, undone.text);
      assert.deepEqual(undone.body, { importId: done.body.importId, removed: 1, restored: 1 });
      const kept = await item(m, 'U-1');
      assert.deepEqual([kept.name, kept.quantity, kept.priceCents], ['Kept', 5, 100]);
      assert.equal(await item(m, 'U-2'), undefined, 'archived: out of the list');
      const archived = (await m.client.get('/api/items?archived=true&q=U-2')).body.items;
      assert.deepEqual(
        archived.map((i: { sku: string; archivedAt: string | null }) => [i.sku, i.archivedAt !== null]),
        [['U-2', true]],
      );
      const ledger = (await m.client.get(`/api/items/${kept.id}/movements`)).body.movements;
      assert.deepEqual(
        ledger.map((l: { delta: number; quantityAfter: number; reason: string; note: string }) => [
          l.delta,
          l.quantityAfter,
          l.reason,
          l.note,
        ]),
        [
          [-4, 5, 'import', 'CSV import undone'],
          [4, 9, 'import', 'CSV import'],
          [5, 5, 'import', 'CSV import'],
        ],
      );
      problem(await m.client.post(`/api/imports/${done.body.importId}/undo`), 409, 'conflict');
      problem(await m.client.post('/api/imports/00000000-0000-4000-8000-000000000000/undo'), 404, 'not_found');
      problem(await m.client.post('/api/imports/nope/undo'), 404, 'not_found');
      // Another shop's import is not ours to undo (nor to learn exists).
      const other = await merchant();
      const theirs = await importCsv(other, csv('SKU,Name', 'T-1,Theirs'));
      problem(await m.client.post(`/api/imports/${theirs.body.importId}/undo`), 404, 'not_found');
    });

    test('undo refused after a later sale or edit, naming the items; nothing changes', async () => {
      const m = await merchant();
      const done = await importCsv(m, csv('SKU,Name,Quantity', 'SOLD-1,Sold later,5', 'EDIT-1,Edited later,2', 'CALM-1,Untouched,1'));
      const sold = await item(m, 'SOLD-1');
      assert.equal((await m.client.post(`/api/items/${sold.id}/adjustments`, { delta: -1, reason: 'sold' })).status, 201);
      const edited = await item(m, 'EDIT-1');
      assert.equal((await m.client.patch(`/api/items/${edited.id}`, { name: 'New name', version: edited.version })).status, 200);
      const refused = await m.client.post(`/api/imports/${done.body.importId}/undo`);
      problem(refused, 409, 'conflict');
      assert.match(refused.body.detail, /EDIT-1/);
      assert.match(refused.body.detail, /SOLD-1/);
      assert.doesNotMatch(refused.body.detail, /CALM-1/);
      assert.deepEqual((await m.client.get('/api/items')).body.items.length, 3);
      assert.equal((await item(m, 'SOLD-1')).quantity, 4);
    });

    test('undo races an adjustment and an edit of its items: one wins, the other sees it, no sale is lost', async () => {
      const m = await merchant();
      const N = 5;
      const skus = Array.from({ length: N }, (_, i) => `RACE-${i}`);
      await importCsv(m, csv('SKU,Name,Quantity', ...skus.map((s) => `${s},Before,10`)));
      const ids = new Map<string, { id: string; version: number }>();
      for (const s of skus) {
        const it = await item(m, s);
        ids.set(s, { id: it.id, version: it.version });
      }
      // One import per item, so each race is undo-of-that-item against a sale and an edit of it.
      const imports: string[] = [];
      for (const s of skus) imports.push((await importCsv(m, csv('SKU,Name,Quantity', `${s},After,20`))).body.importId);
      const results = await Promise.all(
        skus.map(async (s, i) => {
          const { id } = ids.get(s) as { id: string };
          const version = (await item(m, s)).version;
          const [undo, sale, edit] = await Promise.all([
            m.client.post(`/api/imports/${imports[i]}/undo`),
            m.client.post(`/api/items/${id}/adjustments`, { delta: -1, reason: 'sold' }),
            m.client.patch(`/api/items/${id}`, { location: 'Moved', version }),
          ]);
          return { s, id, undo, sale, edit };
        }),
      );
      for (const { s, id, undo, sale, edit } of results) {
        assert.ok([200, 409].includes(undo.status), `${s}: undo ${undo.status} ${undo.text}`);
        assert.equal(sale.status, 201, `${s}: the sale always lands, before or after the undo`);
        const now = await item(m, s);
        if (undo.status === 200) {
          // The undo went first: the sale and the edit met the restored item.
          assert.equal(now.quantity, 9, `${s}: undone to 10, then sold one`);
          assert.equal(edit.status, 409, `${s}: the edit's version was taken by the undo`);
          assert.equal(now.name, 'Before');
        } else {
          assert.equal(now.quantity, 19, `${s}: not undone, sold one of 20`);
          assert.equal(now.name, 'After');
        }
        const ledger = (await m.client.get(`/api/items/${id}/movements?limit=50`)).body.movements as { delta: number }[];
        assert.equal(
          ledger.reduce((sum, l) => sum + l.delta, 0),
          now.quantity,
          `${s}: the ledger adds up to the stock`,
        );
      }
    });
  });
}
