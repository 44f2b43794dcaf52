import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createItem } from '../../../src/inventory/items.js';
import { adjustStock, listMovements } from '../../../src/inventory/movements.js';
import { BACKENDS, newMerchant, openTestDb, rejectsWith, type TestDb } from './fixtures.js';

/*
 * Movement cursors must not reveal the ledger's global sequence (issue 11 item 12): it counts every
 * tenant's stock movements, so a merchant paging its own ledger could watch another shop's activity
 * volume. A cursor says where a merchant is in *its own* ledger, and only that merchant can use it.
 */

/** What a client reads out of a cursor: its decoded fields (base64url JSON), or nothing when it is not that. */
function fieldsOf(cursor: string): unknown[] {
  try {
    return Object.values(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as object);
  } catch {
    return [];
  }
}

for (const backend of BACKENDS) {
  describe(`movement cursors (${backend})`, () => {
    let t: TestDb;
    let a: string;
    let b: string;
    let itemA: string;
    let itemB: string;
    before(async () => {
      t = await openTestDb(backend);
      [a, b] = [await newMerchant(t.db), await newMerchant(t.db)];
      itemA = (await createItem(t.db, a, { sku: 'A-1', name: 'mine', quantity: 1 }, { by: a })).result.item.id;
      itemB = (await createItem(t.db, b, { sku: 'B-1', name: 'theirs', quantity: 1 }, { by: b })).result.item.id;
      // Another tenant's activity between this merchant's movements: the global sequence jumps by 40.
      await adjustStock(t.db, a, itemA, { delta: 1, reason: 'received' }, { by: a });
      for (let i = 0; i < 40; i++) await adjustStock(t.db, b, itemB, { delta: 1, reason: 'received' }, { by: b });
      await adjustStock(t.db, a, itemA, { delta: 1, reason: 'received' }, { by: a });
    });
    after(() => t.close());

    test('a cursor does not carry the global ledger sequence', async () => {
      const page = await listMovements(t.db, a, itemA, { limit: 1 });
      const cursor = page.nextCursor as string;
      assert.ok(cursor);
      const seqs = await t.db.query<{ seq: string | number }>('SELECT seq FROM movements WHERE item_id = $1 ORDER BY seq', [itemA]);
      const last = Number(seqs.rows[seqs.rows.length - 1]?.seq);
      assert.ok(last > 40, `the page's movement is ${last} in the global ledger`);
      for (const value of fieldsOf(cursor)) {
        assert.notEqual(typeof value, 'number', `the cursor carries a number (${value}); the ledger sequence here is ${last}`);
        assert.notEqual(String(value), String(last), 'the cursor reveals the ledger sequence');
      }
      // Paging still works and ends.
      const second = await listMovements(t.db, a, itemA, { limit: 1, cursor });
      assert.equal(second.movements.length, 1);
      const third = await listMovements(t.db, a, itemA, { limit: 1, cursor: second.nextCursor as string });
      assert.equal(third.movements.length, 1);
      assert.equal(third.nextCursor, null);
      const all = (await listMovements(t.db, a, itemA, {})).movements.map((m) => m.id);
      assert.deepEqual(
        [...page.movements, ...second.movements, ...third.movements].map((m) => m.id),
        all,
      );
    });

    test("another tenant's activity does not change a merchant's cursors", async () => {
      const before = (await listMovements(t.db, a, itemA, { limit: 1 })).nextCursor;
      for (let i = 0; i < 5; i++) await adjustStock(t.db, b, itemB, { delta: 1, reason: 'received' }, { by: b });
      assert.equal((await listMovements(t.db, a, itemA, { limit: 1 })).nextCursor, before);
    });

    test('a tampered, invented or foreign cursor is 400 validation', async () => {
      const mine = (await listMovements(t.db, a, itemA, { limit: 1 })).nextCursor as string;
      const theirs = (await listMovements(t.db, b, itemB, { limit: 1 })).nextCursor as string;
      const decoded = Buffer.from(mine, 'base64url').toString('utf8');
      const tampered = [
        // Every character position changed in turn would be thorough; a few classes suffice here.
        Buffer.from(
          decoded.replace(/\d/, (d) => String((Number(d) + 1) % 10)),
          'utf8',
        ).toString('base64url'),
        Buffer.from(
          decoded.replace(/[a-f]/, (c) => (c === 'a' ? 'b' : 'a')),
          'utf8',
        ).toString('base64url'),
        Buffer.from(JSON.stringify({ t: 'm', seq: 1_000_000 }), 'utf8').toString('base64url'),
        Buffer.from(JSON.stringify({ t: 'm', id: '00000000-0000-4000-8000-000000000000' }), 'utf8').toString('base64url'),
      ];
      for (const cursor of tampered) {
        if (cursor === mine) continue;
        await rejectsWith(listMovements(t.db, a, itemA, { limit: 1, cursor }), 'validation', 400);
      }
      // Another merchant's cursor, on this merchant's item: not a position in this ledger.
      await rejectsWith(listMovements(t.db, a, itemA, { limit: 1, cursor: theirs }), 'validation', 400);
      // This merchant's cursor from one item used on another item of the same merchant: also not valid.
      const other = (await createItem(t.db, a, { sku: 'A-2', name: 'other', quantity: 3 }, { by: a })).result.item.id;
      await adjustStock(t.db, a, other, { delta: 1, reason: 'received' }, { by: a });
      await rejectsWith(listMovements(t.db, a, other, { limit: 1, cursor: mine }), 'validation', 400);
    });
  });
}
