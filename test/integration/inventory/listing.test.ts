import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeCursor, encodeCursor } from '../../../src/inventory/cursor.js';
import { createItem, updateItem } from '../../../src/inventory/items.js';
import { type ListOptions, listItems, SORT_NAMES } from '../../../src/inventory/list.js';
import { adjustStock } from '../../../src/inventory/movements.js';
import { getSummary } from '../../../src/inventory/summary.js';
import type { Item } from '../../../src/inventory/types.js';
import { BACKENDS, newMerchant, openTestDb, rejectsWith, type TestDb } from './fixtures.js';

/** Walks every page; `between` runs after each page (to change the data mid-walk). */
async function walk(t: TestDb, m: string, opts: ListOptions, between?: () => Promise<void>): Promise<Item[]> {
  const out: Item[] = [];
  let cursor: string | undefined;
  do {
    const page = await listItems(t.db, m, { ...opts, cursor });
    assert.ok(page.items.length <= (opts.limit ?? 50));
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
    await between?.();
  } while (cursor);
  return out;
}

for (const backend of BACKENDS) {
  describe(`listing, search and summary (${backend})`, () => {
    let t: TestDb;
    let m: string;
    let other: string;
    before(async () => {
      t = await openTestDb(backend);
      m = await newMerchant(t.db);
      other = await newMerchant(t.db);
      const rows = [
        { sku: 'BOLT-10', name: 'Hex bolt M10', quantity: 100, lowStockThreshold: 20, costCents: 12 },
        { sku: 'BOLT-1', name: 'Hex bolt M1', quantity: 3, lowStockThreshold: 5, costCents: 10, priceCents: 99 },
        { sku: 'NUT-1', name: 'Nut for BOLT-1', quantity: 0, priceCents: 5 },
        { sku: 'WASH', name: 'Washer 50%_off', quantity: 7 },
        { sku: 'ZED', name: 'ｚｅｄ wide', quantity: 1, lowStockThreshold: 1, costCents: 1000 },
      ];
      for (const r of rows) await createItem(t.db, m, r, { by: m });
      await createItem(t.db, other, { sku: 'BOLT-1', name: 'Other merchant bolt', quantity: 9999, costCents: 1 }, { by: other });
    });
    after(() => t.close());

    test('q ranks exact SKU, then SKU prefix, then name contains; only this merchant', async () => {
      const { items } = await listItems(t.db, m, { q: 'bolt-1' });
      assert.deepEqual(
        items.map((i) => i.sku),
        ['BOLT-1', 'BOLT-10', 'NUT-1'],
      );
      assert.deepEqual(
        (await listItems(t.db, m, { q: 'ＺＥＤ' })).items.map((i) => i.sku),
        ['ZED'],
      );
    });

    test('LIKE wildcards in q are literal', async () => {
      assert.deepEqual(
        (await listItems(t.db, m, { q: '50%_' })).items.map((i) => i.sku),
        ['WASH'],
      );
      assert.deepEqual((await listItems(t.db, m, { q: '%' })).items.length, 1);
      assert.deepEqual((await listItems(t.db, m, { q: '_' })).items.length, 1);
      assert.deepEqual((await listItems(t.db, m, { q: "' OR '1'='1" })).items.length, 0);
    });

    test('lowStock keeps quantity <= threshold', async () => {
      const { items } = await listItems(t.db, m, { lowStock: true, sort: 'sku' });
      assert.deepEqual(
        items.map((i) => i.sku),
        ['BOLT-1', 'NUT-1', 'ZED'],
      );
    });

    test('every sort pages through everything exactly once, in order', async () => {
      const expected: Record<string, string[]> = {
        name: ['BOLT-1', 'BOLT-10', 'NUT-1', 'WASH', 'ZED'],
        sku: ['BOLT-1', 'BOLT-10', 'NUT-1', 'WASH', 'ZED'],
        quantity: ['NUT-1', 'ZED', 'BOLT-1', 'WASH', 'BOLT-10'],
      };
      for (const sort of SORT_NAMES) {
        const skus = (await walk(t, m, { sort, limit: 2 })).map((i) => i.sku);
        if (expected[sort]) assert.deepEqual(skus, expected[sort], sort);
        else assert.deepEqual([...skus].sort(), expected.sku, sort);
      }
    });

    test('keyset pagination is stable while rows are inserted and updated mid-walk', async () => {
      const seller = await newMerchant(t.db);
      for (let i = 0; i < 30; i++) {
        await createItem(
          t.db,
          seller,
          { sku: `K-${String(i).padStart(2, '0')}`, name: `item ${String(i).padStart(2, '0')}` },
          { by: seller },
        );
      }
      let n = 0;
      const seen = await walk(t, seller, { sort: 'name', limit: 4 }, async () => {
        // Inserted before and after the cursor position, by name.
        n += 1;
        await createItem(t.db, seller, { sku: `NEW-A${n}`, name: `aaa ${n}` }, { by: seller });
        await createItem(t.db, seller, { sku: `NEW-Z${n}`, name: `zzz ${n}` }, { by: seller });
      });
      const original = seen.filter((i) => i.sku.startsWith('K-')).map((i) => i.sku);
      assert.deepEqual(
        original,
        Array.from({ length: 30 }, (_, i) => `K-${String(i).padStart(2, '0')}`),
      );
      assert.equal(new Set(seen.map((i) => i.id)).size, seen.length, 'no item twice');
      // -updatedAt: a walk while the listed items keep changing still ends, with no item twice.
      const byTime = await walk(t, seller, { sort: '-updatedAt', limit: 5 }, async () => {
        const page = await listItems(t.db, seller, { sort: 'sku', limit: 1 });
        const item = page.items[0] as Item;
        await updateItem(t.db, seller, item.id, { version: item.version, description: `touched ${Date.now()}` });
      });
      assert.equal(new Set(byTime.map((i) => i.id)).size, byTime.length);
    });

    test('bad or tampered cursors and limits are 400', async () => {
      const page = await listItems(t.db, m, { sort: 'name', limit: 2 });
      const cursor = page.nextCursor as string;
      const decoded = decodeCursor(cursor);
      const tampered = [
        'not a cursor',
        'eyJ',
        encodeCursor({ ...decoded, k: ['x', "'; DROP TABLE items; --"] }),
        encodeCursor({ ...decoded, k: [1, 2, 3] }),
        encodeCursor({ ...decoded, f: 'other' }),
        encodeCursor({ ...decoded, k: ['a\u0000', '00000000-0000-4000-8000-000000000000'] }),
      ];
      for (const c of tampered) await rejectsWith(listItems(t.db, m, { sort: 'name', cursor: c }), 'validation', 400);
      // A cursor only fits the query it came from.
      await rejectsWith(listItems(t.db, m, { sort: 'sku', cursor }), 'validation');
      for (const limit of [0, 201, 1.5]) await rejectsWith(listItems(t.db, m, { limit }), 'validation');
      await rejectsWith(listItems(t.db, m, { sort: 'merchant_id' }), 'validation');
      await rejectsWith(listItems(t.db, m, { q: 'nul\u0000' }), 'validation');
      // A well-formed cursor from another merchant's listing reveals nothing of theirs.
      const theirs = await listItems(t.db, other, { sort: 'name', limit: 1 });
      assert.equal(theirs.items[0]?.name, 'Other merchant bolt');
    });

    test('summary: counts, units, value at cost (price when no cost), low stock; only this merchant', async () => {
      const fresh = await newMerchant(t.db);
      assert.deepEqual(await getSummary(t.db, fresh), { itemCount: 0, totalUnits: 0, stockValueCents: 0, lowStockCount: 0 });
      const s = await getSummary(t.db, m);
      // 100×12 + 3×10 + 0×5 + 7×0 + 1×1000
      assert.deepEqual(s, { itemCount: 5, totalUnits: 111, stockValueCents: 2230, lowStockCount: 3 });
      const bolt = (await listItems(t.db, m, { q: 'BOLT-1' })).items[0] as Item;
      await adjustStock(t.db, m, bolt.id, { delta: 10, reason: 'received' }, { by: m });
      assert.deepEqual(await getSummary(t.db, m), { itemCount: 5, totalUnits: 121, stockValueCents: 2330, lowStockCount: 2 });
    });
  });
}
