import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { APP_ROLE } from '../../../src/db/db.js';
import { adjustStock } from '../../../src/inventory/movements.js';
import { createItem } from '../../../src/inventory/items.js';
import { pgError } from '../../../src/inventory/tenant.js';
import { BACKENDS, newMerchant, openTestDb, type TestDb } from './fixtures.js';

/*
 * The second wall: row-level security on its own, with SQL that deliberately forgets its WHERE clause,
 * through the same Db.tenant() transaction every repository function uses.
 */
for (const backend of BACKENDS) {
  describe(`row-level security (${backend})`, () => {
    let t: TestDb;
    let a: string;
    let b: string;
    let itemA: string;
    before(async () => {
      t = await openTestDb(backend);
      a = await newMerchant(t.db);
      b = await newMerchant(t.db);
      const ctxA = { by: a };
      itemA = (await createItem(t.db, a, { sku: 'A-1', name: 'A canary', quantity: 3 }, ctxA)).result.item.id;
      await createItem(t.db, a, { sku: 'A-2', name: 'A two' }, ctxA);
      const itemB = (await createItem(t.db, b, { sku: 'B-1', name: 'B canary', quantity: 9 }, { by: b })).result.item;
      await adjustStock(t.db, b, itemB.id, { delta: -1, reason: 'sold' }, { by: b });
    });
    after(() => t.close());

    test('an unscoped SELECT inside tenant A sees only A rows', async () => {
      const items = await t.db.tenant(a, (tx) => tx.query<{ shop_id: string; name: string }>('SELECT * FROM items'));
      assert.equal(items.rows.length, 2);
      assert.ok(items.rows.every((r) => r.shop_id === a));
      const movements = await t.db.tenant(a, (tx) => tx.query<{ shop_id: string }>('SELECT * FROM movements'));
      assert.equal(movements.rows.length, 1);
      assert.ok(movements.rows.every((r) => r.shop_id === a));
      // …while the rows of B are really there (the owner, outside any tenant, sees all of them).
      const all = await t.db.query<{ n: number | string }>('SELECT count(*) AS n FROM items');
      assert.equal(Number(all.rows[0]?.n), 3);
    });

    test('the tenant transaction really runs as the non-owner role with the merchant set', async () => {
      const who = await t.db.tenant(b, (tx) =>
        tx.query<{ role: string; merchant: string }>(`SELECT current_user AS role, current_setting('app.shop_id') AS merchant`),
      );
      assert.deepEqual(who.rows[0], { role: APP_ROLE, merchant: b });
    });

    test('with no merchant set, the app role sees nothing at all (deny by default)', async () => {
      const rows = await t.db.transaction(async (tx) => {
        await tx.query(`SET LOCAL ROLE ${APP_ROLE}`);
        return (await tx.query('SELECT * FROM items')).rows.length + (await tx.query('SELECT * FROM movements')).rows.length;
      });
      assert.equal(rows, 0);
      const empty = await t.db.tenant('', (tx) => tx.query('SELECT * FROM items'));
      assert.equal(empty.rows.length, 0);
    });

    test('unscoped UPDATE and DELETE inside tenant B cannot touch A rows', async () => {
      const updated = await t.db.tenant(b, (tx) => tx.query(`UPDATE items SET name = 'pwned' RETURNING id`));
      assert.equal(updated.rows.length, 1);
      const deleted = await t.db.tenant(b, (tx) => tx.query(`DELETE FROM items WHERE id = $1 RETURNING id`, [itemA]));
      assert.equal(deleted.rows.length, 0);
      const still = await t.db.tenant(a, (tx) => tx.query<{ name: string }>('SELECT name FROM items WHERE id = $1', [itemA]));
      assert.equal(still.rows[0]?.name, 'A canary');
    });

    test('a row written inside tenant B cannot claim merchant A (WITH CHECK)', async () => {
      await assert.rejects(
        t.db.tenant(b, (tx) => tx.query(`INSERT INTO items (shop_id, sku, sku_key, name, name_key) VALUES ($1, 'X', 'x', 'x', 'x')`, [a])),
        (err) => pgError(err).code === '42501',
      );
      await assert.rejects(
        t.db.tenant(b, (tx) =>
          tx.query(`INSERT INTO movements (shop_id, item_id, delta, quantity_after, reason) VALUES ($1, $2, 1, 1, 'received')`, [a, itemA]),
        ),
        (err) => pgError(err).code === '42501',
      );
    });

    test('a movement of B cannot point at an item of A (composite foreign key)', async () => {
      await assert.rejects(
        t.db.tenant(b, (tx) =>
          tx.query(`INSERT INTO movements (shop_id, item_id, delta, quantity_after, reason) VALUES ($1, $2, 1, 1, 'received')`, [b, itemA]),
        ),
        (err) => pgError(err).code === '23503',
      );
    });

    test('the ledger is append-only for the app role: no UPDATE, no DELETE', async () => {
      for (const sql of ['UPDATE movements SET delta = 100', 'DELETE FROM movements']) {
        await assert.rejects(
          t.db.tenant(a, (tx) => tx.query(sql)),
          (err) => pgError(err).code === '42501',
          sql,
        );
      }
    });
  });
}
