import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { archiveItem, createItem, getItem, restoreItem, updateItem } from '../../../src/inventory/items.js';
import { adjustStock, listMovements } from '../../../src/inventory/movements.js';
import { BACKENDS, countAll, newMerchant, openTestDb, rejectsWith, type TestDb } from './fixtures.js';

for (const backend of BACKENDS) {
  describe(`items (${backend})`, () => {
    let t: TestDb;
    let a: string;
    let b: string;
    before(async () => {
      t = await openTestDb(backend);
      a = await newMerchant(t.db);
      b = await newMerchant(t.db);
    });
    after(() => t.close());

    test('create returns the API shape and ledgers a starting quantity', async () => {
      const { result } = await createItem(
        t.db,
        a,
        { sku: ' W-1 ', name: 'Widget 🧰', quantity: 7, priceCents: 1250, costCents: 400, tags: ['x', 'y', 'x'] },
        { by: a },
      );
      const item = result.item;
      assert.deepEqual(Object.keys(item).sort(), [
        'archivedAt',
        'barcode',
        'costCents',
        'createdAt',
        'description',
        'id',
        'location',
        'lowStockThreshold',
        'name',
        'priceCents',
        'quantity',
        'sku',
        'tags',
        'unit',
        'updatedAt',
        'version',
      ]);
      assert.equal(item.sku, 'W-1');
      assert.equal(item.name, 'Widget 🧰');
      assert.equal(item.quantity, 7);
      assert.equal(item.priceCents, 1250);
      assert.deepEqual(item.tags, ['x', 'y']);
      assert.equal(item.version, 1);
      assert.match(item.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const { movements } = await listMovements(t.db, a, item.id, {});
      assert.equal(movements.length, 1);
      assert.equal(movements[0]?.delta, 7);
      assert.equal(movements[0]?.quantityAfter, 7);
      assert.equal(movements[0]?.reason, 'opening');
      assert.equal(movements[0]?.by.userId, a);
      assert.match(String(movements[0]?.by.username), /^merchant-/, 'named by the username');
    });

    test('SKUs are unique per merchant under NFKC and case folding; other merchants may reuse them', async () => {
      await createItem(t.db, a, { sku: 'ABC-1', name: 'one' }, { by: a });
      const err = await rejectsWith(createItem(t.db, a, { sku: 'ａｂｃ-1', name: 'two' }, { by: a }), 'conflict', 409);
      assert.equal(err.options.errors?.[0]?.path, 'sku');
      await createItem(t.db, b, { sku: 'abc-1', name: 'B owns one too' }, { by: b });
    });

    test('bad strings are 400 validation, never a database error', async () => {
      const bad = [
        { sku: 'N-1', name: 'nul\u0000byte' },
        { sku: 'N-2', name: 'lone \ud800 surrogate' },
        { sku: 'N-3', name: 'gnp.exe\u202Etxt' },
        { sku: 'N\u200B4', name: 'zero width in sku' },
        { sku: 'N-5', name: 'x'.repeat(201) },
        { sku: 'N-6', name: '   ' },
        { sku: 'N-7', name: 'n', quantity: -1 },
        { sku: 'N-8', name: 'n', quantity: 1.5 },
        { sku: 'N-9', name: 'n', quantity: '5' },
        { sku: 'N-10', name: 'n', priceCents: 1e300 },
        { sku: 'N-11', name: 'n', merchantId: b },
        { sku: 'N-12', name: 'n', tags: ['a;b'] },
      ];
      for (const input of bad) {
        await rejectsWith(createItem(t.db, a, input, { by: a }), 'validation', 400);
      }
      const ok = await createItem(t.db, a, { sku: 'E-1', name: '👨‍👩‍👧 family ☕' }, { by: a });
      assert.equal((await getItem(t.db, a, ok.result.item.id)).name, '👨‍👩‍👧 family ☕');
    });

    test('PATCH needs the current version; a stale one is 409 with the current item', async () => {
      const { item } = (await createItem(t.db, a, { sku: 'P-1', name: 'before', quantity: 2 }, { by: a })).result;
      const v2 = await updateItem(t.db, a, item.id, { name: 'after', version: 1, priceCents: null });
      assert.equal(v2.version, 2);
      assert.equal(v2.name, 'after');
      assert.equal(v2.quantity, 2);
      const err = await rejectsWith(updateItem(t.db, a, item.id, { name: 'lost update', version: 1 }), 'conflict', 409);
      assert.deepEqual(err.options.extra?.current, v2);
      await rejectsWith(updateItem(t.db, a, item.id, { name: 'x' }), 'validation');
      await rejectsWith(updateItem(t.db, a, item.id, { quantity: 9, version: 2 }), 'validation');
      await rejectsWith(updateItem(t.db, a, item.id, { sku: 'abc-1', version: 2 }), 'conflict');
      assert.equal((await getItem(t.db, a, item.id)).name, 'after');
    });

    test("a second merchant gets 404 on every path with the first one's id, and changes nothing", async () => {
      const { item } = (await createItem(t.db, a, { sku: 'SECRET-1', name: 'A secret', quantity: 5 }, { by: a })).result;
      const attempts: (() => Promise<unknown>)[] = [
        () => getItem(t.db, b, item.id),
        () => updateItem(t.db, b, item.id, { name: 'pwned', version: 1 }),
        () => archiveItem(t.db, b, item.id),
        () => restoreItem(t.db, b, item.id),
        () => adjustStock(t.db, b, item.id, { delta: -5, reason: 'lost' }, { by: b }),
        () => listMovements(t.db, b, item.id, {}),
      ];
      for (const attempt of attempts) await rejectsWith(attempt(), 'not_found', 404);
      // Indistinguishable from an id that exists nowhere, or is not even a uuid.
      for (const id of [randomUUID(), 'not-a-uuid', "1' OR '1'='1"]) {
        await rejectsWith(getItem(t.db, b, id), 'not_found', 404);
      }
      assert.deepEqual(await getItem(t.db, a, item.id), item);
    });

    test('archive keeps the item and its ledger, and restore brings it back', async () => {
      const { item } = (await createItem(t.db, a, { sku: 'D-1', name: 'doomed', quantity: 4 }, { by: a })).result;
      await adjustStock(t.db, a, item.id, { delta: 1, reason: 'received' }, { by: a });
      const before = await countAll(t.db, 'movements');
      await archiveItem(t.db, a, item.id);
      assert.equal(await countAll(t.db, 'movements'), before);
      const archived = await getItem(t.db, a, item.id);
      assert.notEqual(archived.archivedAt, null);
      assert.equal(archived.quantity, 5);
      await archiveItem(t.db, a, item.id);
      assert.equal((await getItem(t.db, a, item.id)).version, archived.version, 'archiving twice changes nothing');
      assert.equal((await restoreItem(t.db, a, item.id)).archivedAt, null);
    });

    test('deleting the shop takes its items, ledger and idempotency records with it', async () => {
      const gone = await newMerchant(t.db);
      const { item } = (
        await createItem(t.db, gone, { sku: 'G-1', name: 'g', quantity: 3 }, { by: gone, idempotency: { key: 'k', requestHash: 'h' } })
      ).result;
      await adjustStock(t.db, gone, item.id, { delta: 1, reason: 'received' }, { by: gone });
      const before = await Promise.all([countAll(t.db, 'items'), countAll(t.db, 'movements'), countAll(t.db, 'idempotency_keys')]);
      await t.db.query('DELETE FROM shops WHERE id = $1', [gone]);
      const after = await Promise.all([countAll(t.db, 'items'), countAll(t.db, 'movements'), countAll(t.db, 'idempotency_keys')]);
      assert.deepEqual(after, [before[0] - 1, before[1] - 2, before[2] - 1]);
    });
  });
}
