import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { type ApiResponse, TestClient } from '../../support/client.js';
import type { Backend } from './fixtures.js';

/*
 * Issue 18 over real HTTP, on both databases (docs/api.md "Spreadsheets"): a merchant's own spreadsheet
 * (aliases, decimals in the shop's currency), unknown columns and the mapping that places them, the dry
 * run that writes nothing, the import's undo and its refusal once an item changed, raced.
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
export function describeSpreadsheets(backend: Backend): void {
  describe(`spreadsheets over HTTP (${backend})`, () => {
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

    test('a merchant\'s spreadsheet: "Qty, Price, Reorder level" with "7,50" imports as 750 in EUR and is refused in JPY', async () => {
      const file = csv('SKU,Product name,Qty,Price,Reorder level,Category', 'MUG-1,Mug,12,"7,50",3,kitchen', 'TEA-1,Tea,4,7.5,2,');
      const eur = await merchant('EUR');
      const done = await importCsv(eur, file);
      assert.equal(done.status, 200, done.text);
      assert.equal(done.body.created, 2);
      assert.match(done.body.importId, /^[0-9a-f-]{36}$/);
      const mug = await item(eur, 'MUG-1');
      assert.deepEqual(
        [mug.quantity, mug.priceCents, mug.lowStockThreshold, mug.tags, (await item(eur, 'TEA-1')).priceCents],
        [12, 750, 3, ['kitchen'], 750],
      );

      // JPY has no minor unit: "7,50" is refused, naming the row, the column as the file calls it and the value.
      const jpy = await merchant('JPY');
      const refused = await importCsv(jpy, file);
      problem(refused, 422, 'validation');
      assert.deepEqual(refused.body.errors, [
        { path: 'rows/1/Price', message: '“7,50” has decimals, but JPY amounts are whole numbers' },
        { path: 'rows/2/Price', message: '“7.5” has decimals, but JPY amounts are whole numbers' },
      ]);
      assert.equal((await jpy.client.get('/api/items')).body.items.length, 0);
      const whole = await importCsv(jpy, csv('SKU,Name,Price', 'MUG-1,Mug,750'));
      assert.equal(whole.status, 200, whole.text);
      assert.equal((await item(jpy, 'MUG-1')).priceCents, 750);

      // "1,450" is never read as 1450 nor as 1.45 silently.
      const ambiguous = await importCsv(eur, csv('SKU,Name,Price', 'MUG-1,Mug,"1,450"'));
      problem(ambiguous, 422, 'validation');
      assert.match(ambiguous.body.errors[0].message, /^“1,450” is ambiguous \(1450 or 1\.45\?\)/);
      assert.equal((await item(eur, 'MUG-1')).priceCents, 750);
    });

    test("export and template use the human headers, with money as decimals in the shop's currency; a v1 cents file still imports", async () => {
      const m = await merchant('KWD');
      const v1 = await importCsv(m, csv('sku,name,quantity,priceCents,costCents', 'OLD-1,Old file,2,1450,5'));
      assert.equal(v1.status, 200, v1.text);
      assert.deepEqual([(await item(m, 'OLD-1')).priceCents, (await item(m, 'OLD-1')).costCents], [1450, 5]);
      const exported = await m.client.get('/api/items/export.csv');
      // (The client's decoder drops the BOM the export starts with.)
      assert.equal(
        exported.text,
        'SKU,Name,Description,Quantity,Unit,Price,Cost,Low-stock threshold,Location,Tags,Barcode\nOLD-1,Old file,,2,,1.450,0.005,0,,,\n',
      );
      const again = await importCsv(m, exported.text);
      assert.deepEqual([again.body.created, again.body.updated], [0, 0]);
      const template = await m.client.get('/api/items/import/template');
      assert.equal(template.status, 200);
      assert.match(template.headers.get('content-type') ?? '', /^text\/csv/);
      assert.equal(template.text, 'SKU,Name,Description,Quantity,Unit,Price,Cost,Low-stock threshold,Location,Tags,Barcode\r\n');
    });

    test('archived items: left out of the export unless archived=true, then marked; export → import → nothing changes', async () => {
      const m = await merchant('EUR');
      for (const body of [
        { sku: 'KEEP-1', name: 'Kept', quantity: 3, priceCents: 450 },
        { sku: 'GONE-1', name: 'Retired', quantity: 2, priceCents: 990, tags: ['old'] },
      ]) {
        const res = await m.client.post('/api/items', body);
        assert.equal(res.status, 201, res.text);
      }
      const gone = await m.client.get('/api/items?q=GONE-1');
      const goneId = gone.body.items[0].id as string;
      assert.equal((await m.client.delete(`/api/items/${goneId}`)).status, 204);
      const header = 'SKU,Name,Description,Quantity,Unit,Price,Cost,Low-stock threshold,Location,Tags,Barcode';

      const active = await m.client.get('/api/items/export.csv');
      assert.equal(active.status, 200, active.text);
      assert.equal(active.text, `${header}\nKEEP-1,Kept,,3,,4.50,,0,,,\n`, 'by default, active items only, no Archived column');
      const all = await m.client.get('/api/items/export.csv?archived=true');
      assert.equal(all.status, 200, all.text);
      assert.equal(all.text, `${header},Archived\nKEEP-1,Kept,,3,,4.50,,0,,,,\nGONE-1,Retired,,2,,9.90,,0,,old,,yes\n`);
      problem(await m.client.get('/api/items/export.csv?archived=yes'), 400, 'validation');

      // Both files import back without changing anything: the Archived column is read, and ignored.
      const snapshot = async () => [
        (await m.client.get('/api/items')).body.items,
        (await m.client.get('/api/items?archived=true')).body.items,
        (await m.client.get('/api/movements?limit=200')).body.movements.length,
      ];
      const before = await snapshot();
      for (const file of [all.text, active.text]) {
        const dry = await importCsv(m, file, '?dryRun=true');
        assert.equal(dry.status, 200, dry.text);
        assert.deepEqual(
          [dry.body.created, dry.body.updated, dry.body.unchanged, dry.body.errors, dry.body.unknownColumns],
          [0, 0, file === all.text ? 2 : 1, [], []],
        );
        const done = await importCsv(m, file);
        assert.equal(done.status, 200, done.text);
        assert.deepEqual([done.body.created, done.body.updated], [0, 0]);
      }
      assert.deepEqual(await snapshot(), before, 'nothing changed: no field, no archive state, no movement');

      // The column never archives or restores: "yes" on an active item and "" on an archived one change nothing.
      const flipped = await importCsv(m, csv(`${header},Archived`, 'KEEP-1,Kept,,3,,4.50,,0,,,,yes', 'GONE-1,Retired,,2,,9.90,,0,,old,,'));
      assert.equal(flipped.status, 200, flipped.text);
      assert.deepEqual([flipped.body.created, flipped.body.updated], [0, 0]);
      assert.deepEqual(await snapshot(), before);
    });

    test('unknown columns are named; a mapping places or ignores them; a bad mapping is a 400', async () => {
      const m = await merchant();
      const file = csv('Code,Name,Supplier,Shelf code', 'S-1,Saucer,ACME,B3');
      const refused = await importCsv(m, file);
      problem(refused, 422, 'validation');
      assert.deepEqual(
        refused.body.errors.map((e: { path: string }) => e.path),
        ['header/Supplier', 'header/Shelf code'],
      );
      const preview = await importCsv(m, file, '?dryRun=true');
      assert.equal(preview.status, 200, preview.text);
      assert.deepEqual(preview.body.unknownColumns, ['Supplier', 'Shelf code']);
      const mapping = encodeURIComponent(JSON.stringify({ Supplier: null, 'Shelf code': 'location' }));
      const done = await importCsv(m, file, `?mapping=${mapping}`);
      assert.equal(done.status, 200, done.text);
      assert.equal((await item(m, 'S-1')).location, 'B3');
      problem(await importCsv(m, file, `?mapping=${encodeURIComponent('{"Supplier": "owner"}')}`), 400, 'validation');
      problem(await importCsv(m, file, `?mapping=${encodeURIComponent('[1]')}`), 400, 'validation');
      problem(await importCsv(m, file, '?mapping=%7Bnot%20json'), 400, 'validation');
      const missing = await importCsv(m, file, `?mapping=${encodeURIComponent('{"Nope": null, "Supplier": null, "Shelf code": null}')}`);
      problem(missing, 422, 'validation');
      assert.deepEqual(missing.body.errors, [{ path: 'mapping/Nope', message: 'names a column the file does not have' }]);
    });

    test('dry run: created, changed fields from → to, unchanged and errors, with nothing written', async () => {
      const m = await merchant();
      await importCsv(m, csv('SKU,Name,Quantity,Price', 'A-1,Apple,5,1.00', 'B-1,Banana,3,2.00'));
      const before = (await m.client.get('/api/items?sort=sku')).body.items;
      const ledgerBefore = (await m.client.get(`/api/items/${before[0].id}/movements`)).body.movements.length;
      const preview = await importCsv(
        m,
        csv('SKU,Name,Qty,Price', 'A-1,Apple,7,"1,25"', 'B-1,Banana,3,2', 'C-1,Cherry,1,0.5', 'D-1,,1,1'),
        '?dryRun=true',
      );
      assert.equal(preview.status, 200, preview.text);
      assert.deepEqual(preview.body, {
        created: 1,
        updated: 1,
        unchanged: 1,
        changes: [
          { row: 1, sku: 'A-1', field: 'quantity', from: 5, to: 7 },
          { row: 1, sku: 'A-1', field: 'priceCents', from: 100, to: 125 },
        ],
        newItems: [{ row: 3, sku: 'C-1', name: 'Cherry' }],
        unknownColumns: [],
        errors: [{ path: 'rows/4/Name', message: 'must not be empty' }],
        truncated: false,
      });
      assert.deepEqual((await m.client.get('/api/items?sort=sku')).body.items, before);
      assert.equal((await m.client.get(`/api/items/${before[0].id}/movements`)).body.movements.length, ledgerBefore);
    });
  });
}
