import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestServer } from '../../support/app.js';
import type { TestClient } from '../../support/client.js';
import { BACKENDS } from './fixtures.js';
import { twoMerchants } from './two-merchants.js';

/*
 * docs/api.md "Shop floor": DELETE /api/items/:id archives, POST /api/items/:id/restore restores.
 * Archived items leave lists (unless archived=true), lookups and the summary; their stock cannot be
 * adjusted; their SKU and barcode stay reserved (a new item reusing one is a 409 that names the
 * archived item, so the client can offer to restore it).
 */

for (const backend of BACKENDS) {
  describe(`archive and restore (${backend})`, () => {
    let server: TestServer;
    let a: TestClient;
    let b: TestClient;
    before(async () => ({ server, a, b } = await twoMerchants(backend)));
    after(() => server?.close());

    const skus = async (path: string) => ((await a.get(path)).body.items as { sku: string }[]).map((i) => i.sku).sort();

    test('an archived item leaves lists, lookup and the summary, keeps its ledger, and comes back on restore', async () => {
      const keep = (await a.post('/api/items', { sku: 'AR-KEEP', name: 'Kept', quantity: 2, priceCents: 100 })).body.item;
      const old = (await a.post('/api/items', { sku: 'AR-OLD', name: 'Retired', quantity: 3, priceCents: 1000, barcode: '2000000000015' }))
        .body.item;
      const summaryBefore = (await a.get('/api/inventory/summary')).body;
      assert.deepEqual(summaryBefore, { itemCount: 2, totalUnits: 5, stockValueCents: 3200, lowStockCount: 0 });

      const archived = await a.delete(`/api/items/${old.id}`);
      assert.equal(archived.status, 204, archived.text);
      const read = (await a.get(`/api/items/${old.id}`)).body.item;
      assert.match(read.archivedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.equal(read.quantity, 3);
      assert.equal(read.version, old.version + 1, 'archiving is an edit: a PATCH prepared before it is stale');
      assert.equal((await a.patch(`/api/items/${old.id}`, { name: 'x', version: old.version })).status, 409);
      assert.equal((await a.get(`/api/items/${old.id}/movements`)).body.movements.length, 1, 'the ledger stays');

      assert.deepEqual(await skus('/api/items'), ['AR-KEEP']);
      assert.deepEqual(await skus('/api/items?q=AR'), ['AR-KEEP']);
      assert.deepEqual(await skus('/api/items?archived=true'), ['AR-OLD']);
      assert.deepEqual(await skus('/api/items?archived=false'), ['AR-KEEP']);
      assert.equal((await a.get('/api/items/lookup?code=2000000000015')).status, 404);
      assert.equal((await a.get('/api/items/lookup?code=AR-OLD')).status, 404);
      assert.deepEqual((await a.get('/api/inventory/summary')).body, {
        itemCount: 1,
        totalUnits: 2,
        stockValueCents: 200,
        lowStockCount: 0,
      });

      // Archiving again changes nothing.
      assert.equal((await a.delete(`/api/items/${old.id}`)).status, 204);
      assert.equal((await a.get(`/api/items/${old.id}`)).body.item.version, read.version);

      const restored = await a.post(`/api/items/${old.id}/restore`);
      assert.equal(restored.status, 200, restored.text);
      assert.equal(restored.body.item.archivedAt, null);
      assert.equal(restored.body.item.version, read.version + 1);
      assert.deepEqual(await skus('/api/items'), ['AR-KEEP', 'AR-OLD']);
      assert.equal((await a.get('/api/items/lookup?code=2000000000015')).body.item.id, old.id);
      assert.deepEqual((await a.get('/api/inventory/summary')).body, summaryBefore);
      // Restoring an active item answers it unchanged.
      assert.deepEqual((await a.post(`/api/items/${old.id}/restore`)).body, restored.body);
      assert.equal(keep.archivedAt, null);
    });

    test("an archived item's stock cannot be adjusted: 409, nothing written", async () => {
      const item = (await a.post('/api/items', { sku: 'AR-ADJ', name: 'Frozen', quantity: 5 })).body.item;
      await a.delete(`/api/items/${item.id}`);
      for (const body of [
        { delta: -1, reason: 'sold' },
        { delta: 4, reason: 'received' },
      ]) {
        const res = await a.post(`/api/items/${item.id}/adjustments`, body);
        assert.equal(res.status, 409, res.text);
        assert.equal(res.body.code, 'conflict');
      }
      assert.equal((await a.get(`/api/items/${item.id}`)).body.item.quantity, 5);
      assert.equal((await a.get(`/api/items/${item.id}/movements`)).body.movements.length, 1);
      await a.post(`/api/items/${item.id}/restore`);
      assert.equal((await a.post(`/api/items/${item.id}/adjustments`, { delta: -1, reason: 'sold' })).status, 201);
    });

    test("an archived item's SKU and barcode stay reserved: a new item reusing one is a 409 naming it", async () => {
      const item = (await a.post('/api/items', { sku: 'AR-SKU', name: 'Old', barcode: '2000000000022' })).body.item;
      await a.delete(`/api/items/${item.id}`);
      const sku = await a.post('/api/items', { sku: 'ar-sku', name: 'New' });
      assert.equal(sku.status, 409, sku.text);
      assert.deepEqual(sku.body.errors, [{ path: 'sku', message: 'belongs to an archived item' }]);
      assert.equal(sku.body.archivedItemId, item.id);
      const barcode = await a.post('/api/items', { sku: 'AR-OTHER', name: 'New', barcode: '2000000000022' });
      assert.equal(barcode.status, 409, barcode.text);
      assert.equal(barcode.body.errors[0].path, 'barcode');
      assert.equal(barcode.body.archivedItemId, item.id);
      // Renaming another item onto it: the same answer.
      const other = (await a.post('/api/items', { sku: 'AR-THIRD', name: 'Third' })).body.item;
      const renamed = await a.patch(`/api/items/${other.id}`, { sku: 'AR-SKU', version: other.version });
      assert.equal(renamed.status, 409, renamed.text);
      assert.equal(renamed.body.archivedItemId, item.id);
      // An active item's duplicate still says only "already exists".
      const active = await a.post('/api/items', { sku: 'AR-THIRD', name: 'Dup' });
      assert.deepEqual(active.body.errors, [{ path: 'sku', message: 'already exists' }]);
      assert.equal(active.body.archivedItemId, undefined);
      // Restoring never collides: the SKU was never given away.
      assert.equal((await a.post(`/api/items/${item.id}/restore`)).status, 200);
    });

    test("another shop's item: archive and restore are 404 and change nothing", async () => {
      const item = (await a.post('/api/items', { sku: 'AR-MINE', name: 'Mine' })).body.item;
      assert.equal((await b.delete(`/api/items/${item.id}`)).status, 404);
      assert.equal((await b.post(`/api/items/${item.id}/restore`)).status, 404);
      assert.equal((await a.get(`/api/items/${item.id}`)).body.item.archivedAt, null);
      assert.equal((await b.get('/api/items?archived=true')).body.items.length, 0);
    });
  });
}
