import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestServer } from '../../support/app.js';
import type { ApiResponse, TestClient } from '../../support/client.js';
import { BACKENDS } from './fixtures.js';
import { memberOf, shopOf } from './members.js';
import { twoMerchants } from './two-merchants.js';

/* docs/api.md "Shop floor": item.barcode (unique in the shop when set) and GET /api/items/lookup?code=. */

function conflictOn(res: ApiResponse, field: string) {
  assert.equal(res.status, 409, res.text);
  assert.equal(res.body.code, 'conflict');
  assert.deepEqual(
    res.body.errors.map((e: { path: string }) => e.path),
    [field],
  );
}

for (const backend of BACKENDS) {
  describe(`barcodes and lookup (${backend})`, () => {
    let server: TestServer;
    let a: TestClient;
    let b: TestClient;
    before(async () => ({ server, a, b } = await twoMerchants(backend)));
    after(() => server?.close());

    test('an item carries its barcode, trimmed; a duplicate in the shop is 409 on barcode, in another shop it is free', async () => {
      const created = await a.post('/api/items', { sku: 'BC-1', name: 'Beans', barcode: ' 4006381333931 ' });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.item.barcode, '4006381333931');
      assert.equal((await a.post('/api/items', { sku: 'BC-0', name: 'No code' })).body.item.barcode, null);
      conflictOn(await a.post('/api/items', { sku: 'BC-2', name: 'Other', barcode: '4006381333931' }), 'barcode');
      // Case matters in a barcode (Code 128 has both cases): a different code, not a duplicate.
      assert.equal((await a.post('/api/items', { sku: 'BC-3', name: 'Lower', barcode: 'abc-128' })).status, 201);
      assert.equal((await a.post('/api/items', { sku: 'BC-4', name: 'Upper', barcode: 'ABC-128' })).status, 201);
      assert.equal((await b.post('/api/items', { sku: 'BC-1', name: 'Beans', barcode: '4006381333931' })).status, 201);
      // PATCH onto a taken barcode: 409, nothing changed.
      const other = (await a.post('/api/items', { sku: 'BC-5', name: 'Five' })).body.item;
      conflictOn(await a.patch(`/api/items/${other.id}`, { barcode: '4006381333931', version: other.version }), 'barcode');
      assert.equal((await a.get(`/api/items/${other.id}`)).body.item.barcode, null);
      // Clearing and setting through PATCH.
      const set = await a.patch(`/api/items/${other.id}`, { barcode: '0012345678905', version: other.version });
      assert.equal(set.body.item.barcode, '0012345678905');
      const cleared = await a.patch(`/api/items/${other.id}`, { barcode: null, version: set.body.item.version });
      assert.equal(cleared.body.item.barcode, null);
    });

    test('bad barcodes are 400 and write nothing', async () => {
      for (const barcode of ['x'.repeat(129), 'a\u0000b', 'a\u202eb', 7]) {
        const res = await a.post('/api/items', { sku: 'BAD-BC', name: 'Bad', barcode });
        assert.equal(res.status, 400, `${JSON.stringify(barcode)}: ${res.text}`);
        assert.equal(res.body.code, 'validation');
      }
      assert.equal((await a.get('/api/items/lookup?code=BAD-BC')).status, 404);
    });

    test('two creates with one barcode at once: exactly one 201, the others 409 on barcode', async () => {
      const n = 12;
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) => a.post('/api/items', { sku: `RACE-BC-${i}`, name: 'Racer', barcode: '5901234123457' })),
      );
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, ...Array(n - 1).fill(409)], results.map((r) => r.text).join('\n'));
      for (const r of results.filter((x) => x.status === 409)) conflictOn(r, 'barcode');
    });

    test('lookup finds by exact barcode, else by SKU; 404 for unknown codes and for another shop', async () => {
      const beans = await a.get('/api/items/lookup?code=4006381333931');
      assert.equal(beans.status, 200, beans.text);
      assert.equal(beans.body.item.sku, 'BC-1');
      assert.equal((await a.get('/api/items/lookup?code=bc-1')).body.item.sku, 'BC-1', 'SKUs compare case-insensitively');
      assert.equal((await a.get('/api/items/lookup?code=ABC-128')).body.item.sku, 'BC-4', 'barcodes compare exactly');
      assert.equal((await a.get('/api/items/lookup?code=abc-128')).body.item.sku, 'BC-3');
      // A code that is one item's barcode and another's SKU: the barcode wins (a scanner reads barcodes).
      await a.post('/api/items', { sku: 'SHARED-CODE', name: 'By SKU' });
      await a.post('/api/items', { sku: 'BY-BARCODE', name: 'By barcode', barcode: 'SHARED-CODE' });
      assert.equal((await a.get('/api/items/lookup?code=SHARED-CODE')).body.item.sku, 'BY-BARCODE');
      for (const code of ['400638133393', 'nothing', '%', '_']) {
        const res = await a.get(`/api/items/lookup?code=${encodeURIComponent(code)}`);
        assert.equal(res.status, 404, `${code}: ${res.text}`);
        assert.equal(res.body.code, 'not_found');
      }
      // B's item with the same barcode is B's: A finds their own, and an item only B has is not found.
      await b.post('/api/items', { sku: 'ONLY-B', name: 'B only', barcode: '9780306406157' });
      assert.equal((await a.get('/api/items/lookup?code=9780306406157')).status, 404);
      assert.equal((await b.get('/api/items/lookup?code=9780306406157')).body.item.sku, 'ONLY-B');
      assert.equal((await a.get('/api/items/lookup')).status, 400);
      assert.equal((await a.get('/api/items/lookup?code=')).status, 400);
    });

    test('a viewer looks up without cost', async () => {
      await a.post('/api/items', { sku: 'COSTLY', name: 'Costly', costCents: 500, priceCents: 900, barcode: '111' });
      const viewer = await memberOf(server, await shopOf(server, a), 'viewer');
      const res = await viewer.get('/api/items/lookup?code=111');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.item.costCents, null);
      assert.equal(res.body.item.priceCents, 900);
    });

    test('CSV: the export has the barcode column and imports back; a file repeating a barcode is 422 on that row', async () => {
      const csv = await a.get('/api/items/export.csv');
      assert.equal(csv.status, 200);
      assert.match(csv.text.split('\n')[0] ?? '', /Barcode/);
      const back = await a.request('POST', '/api/items/import', { raw: csv.text, contentType: 'text/csv' });
      assert.equal(back.status, 200, back.text);
      assert.deepEqual([back.body.created, back.body.updated], [0, 0]);
      const imported = await a.request('POST', '/api/items/import', {
        raw: 'sku,name,barcode\nCSV-BC-1,One,7700000000001\n',
        contentType: 'text/csv',
      });
      assert.equal(imported.status, 200, imported.text);
      assert.equal((await a.get('/api/items/lookup?code=7700000000001')).body.item.sku, 'CSV-BC-1');
      const repeated = await a.request('POST', '/api/items/import', {
        raw: 'sku,name,barcode\nCSV-BC-2,Two,7700000000002\nCSV-BC-3,Three,7700000000002\n',
        contentType: 'text/csv',
      });
      assert.equal(repeated.status, 422, repeated.text);
      assert.equal(repeated.body.errors[0].path, 'rows/2/barcode');
      const taken = await a.request('POST', '/api/items/import', {
        raw: 'sku,name,barcode\nCSV-BC-4,Four,4006381333931\n',
        contentType: 'text/csv',
      });
      assert.equal(taken.status, 409, taken.text);
      assert.equal((await a.get('/api/items/lookup?code=CSV-BC-4')).status, 404, 'nothing imported');
    });
  });
}
