import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { type ApiResponse, TestClient } from '../../support/client.js';
import { BACKENDS } from './fixtures.js';

/*
 * Amounts are bounded so that no total overflows (issue 11 item 9; docs/api.md v2 conventions): the summary
 * answered 500 once quantity × cost passed what it could add up (1e9 units at 1e11 cents were both
 * accepted). An item's stock value, quantity × max(price, cost), is at most 9e9 minor units; input
 * beyond it is refused naming the field, on every way in; and the summary never fails for what is
 * stored, not even for rows stored before the bound.
 */

const MAX_VALUE = 9_000_000_000;

function field(res: ApiResponse, status: number, path: string): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body.code, 'validation');
  assert.deepEqual(
    res.body.errors.map((e: { path: string }) => e.path),
    [path],
    res.text,
  );
}

for (const backend of BACKENDS) {
  describe(`amounts that never overflow (${backend})`, { timeout: 300_000 }, () => {
    let server: TestServer;
    let client: TestClient;
    before(async () => {
      server = await startTestServer({ database: backend });
      client = new TestClient(server.url);
      await client.register();
    });
    after(() => server.close());

    test('the largest accepted values across many items sum exactly', async () => {
      const rows = ['sku,name,quantity,priceCents,costCents'];
      // Every item at the stock-value maximum, by different routes to it.
      for (let i = 0; i < 600; i++) rows.push(`BIG-${i},Big ${i},1,${MAX_VALUE},${MAX_VALUE}`);
      for (let i = 0; i < 400; i++) rows.push(`MANY-${i},Many ${i},1000000000,9,9`);
      const imported = await client.request('POST', '/api/items/import', { raw: rows.join('\n'), contentType: 'text/csv' });
      assert.equal(imported.status, 200, imported.text);
      const made = await client.post('/api/items', { sku: 'ONE-MORE', name: 'one more', quantity: 90, costCents: 100_000_000 });
      assert.equal(made.status, 201, made.text);
      const summary = await client.get('/api/inventory/summary');
      assert.equal(summary.status, 200, summary.text);
      assert.deepEqual(summary.body, {
        itemCount: 1001,
        totalUnits: 600 + 400 * 1_000_000_000 + 90,
        stockValueCents: 1001 * MAX_VALUE,
        lowStockCount: 0,
      });
      assert.ok(Number.isSafeInteger(summary.body.stockValueCents));
    });

    test('input beyond the bound is refused naming the field, and changes nothing', async () => {
      field(
        await client.post('/api/items', { sku: 'X-1', name: 'x', quantity: 1_000_000_000, costCents: 100_000_000_000 }),
        400,
        'costCents',
      );
      field(await client.post('/api/items', { sku: 'X-1', name: 'x', quantity: 1_000_000_000, costCents: 10 }), 400, 'quantity');
      field(await client.post('/api/items', { sku: 'X-1', name: 'x', priceCents: MAX_VALUE + 1 }), 400, 'priceCents');

      const item = (await client.post('/api/items', { sku: 'X-2', name: 'x', quantity: 1000, priceCents: 9_000_000 })).body.item;
      field(await client.patch(`/api/items/${item.id}`, { priceCents: 9_000_001, version: item.version }), 400, 'priceCents');
      field(await client.patch(`/api/items/${item.id}`, { costCents: 9_000_001, version: item.version }), 400, 'costCents');
      field(await client.post(`/api/items/${item.id}/adjustments`, { delta: 1, reason: 'received' }), 400, 'delta');
      assert.deepEqual((await client.get(`/api/items/${item.id}`)).body.item, item);

      const csv = ['sku,name,quantity,costCents', 'ZQ-1,fine,1,1', 'ZQ-2,too much,1000000000,10'].join('\n');
      field(await client.request('POST', '/api/items/import', { raw: csv, contentType: 'text/csv' }), 422, 'rows/2/quantity');
      // An existing item: the row's price applies to the stock already on the shelf.
      const onShelf = ['sku,name,priceCents', 'X-2,x,9000001'].join('\n');
      field(await client.request('POST', '/api/items/import', { raw: onShelf, contentType: 'text/csv' }), 422, 'rows/1/quantity');
      assert.deepEqual((await client.get(`/api/items/${item.id}`)).body.item, item);
      assert.equal((await client.get('/api/items?q=ZQ-1')).body.items.length, 0);
    });

    test('rows stored before the bound (1e9 units at 1e11 cents) still get an exact summary, never a 500', async () => {
      const legacy = new TestClient(server.url);
      await legacy.register();
      const item = (await legacy.post('/api/items', { sku: 'OLD-1', name: 'old' })).body.item;
      // As the old code accepted them: straight into the table, as its owner.
      await server.db.query('UPDATE items SET quantity = 1000000000, cost_cents = 100000000000 WHERE id = $1', [item.id]);
      await legacy.post('/api/items', { sku: 'OLD-2', name: 'old too', quantity: 7, costCents: 3 });
      const summary = await legacy.get('/api/inventory/summary');
      assert.equal(summary.status, 200, summary.text);
      // 1e20 + 21 is past Number.MAX_SAFE_INTEGER: the JSON integer must still be exact, digit for digit.
      assert.match(summary.text, /"stockValueCents":100000000000000000021[,}]/);
      assert.match(summary.text, /"totalUnits":1000000007[,}]/);
      // Such an item can still be renamed (no price change), and sold down.
      const current = (await legacy.get(`/api/items/${item.id}`)).body.item;
      assert.equal((await legacy.patch(`/api/items/${item.id}`, { name: 'renamed', version: current.version })).status, 200);
      assert.equal((await legacy.post(`/api/items/${item.id}/adjustments`, { delta: -1, reason: 'sold' })).status, 201);
      field(await legacy.post(`/api/items/${item.id}/adjustments`, { delta: 1, reason: 'returned' }), 400, 'delta');
    });
  });
}
