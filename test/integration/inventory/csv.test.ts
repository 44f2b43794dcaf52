import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import type { Db } from '../../../src/db/db.js';
import { exportCsv } from '../../../src/inventory/csv-export.js';
import { importCsv } from '../../../src/inventory/import.js';
import { createItem, getItem } from '../../../src/inventory/items.js';
import { listItems } from '../../../src/inventory/list.js';
import { listMovements } from '../../../src/inventory/movements.js';
import type { Item } from '../../../src/inventory/types.js';
import { BACKENDS, countAll, newMerchant, openTestDb, rejectsWith, type TestDb } from './fixtures.js';

async function exportText(db: Db, merchant: string, batch?: number): Promise<string> {
  let text = '';
  for await (const chunk of exportCsv(db, merchant, 'EUR', { batchSize: batch })) text += chunk;
  return text;
}

async function everything(db: Db, merchant: string): Promise<Item[]> {
  return (await listItems(db, merchant, { sort: 'sku', limit: 200 })).items;
}

/** What must survive a round trip: every field but identity and bookkeeping. */
function content(items: Item[]) {
  return items.map(({ id, version, createdAt, updatedAt, ...rest }) => rest);
}

for (const backend of BACKENDS) {
  describe(`CSV export and import (${backend})`, () => {
    let t: TestDb;
    let m: string;
    before(async () => {
      t = await openTestDb(backend);
      m = await newMerchant(t.db);
      const tricky = [
        { sku: 'F-1', name: '=HYPERLINK("http://evil","x")', description: '+1 line\r\n-2 "quoted", comma' },
        { sku: '@F-2', name: "'apostrophe first", description: '\tTabbed', location: '-5 shelf', tags: ['-neg', '=eq'] },
        { sku: 'F-3', name: 'Emoji 👨‍👩‍👧 ü', quantity: 12, priceCents: 999, costCents: 500, unit: 'kg', lowStockThreshold: 3 },
      ];
      for (const item of tricky) await createItem(t.db, m, item, { by: m });
    });
    after(() => t.close());

    test('export neutralises formula cells and lists only this merchant, in batches', async () => {
      const other = await newMerchant(t.db);
      await createItem(t.db, other, { sku: 'OTHER', name: 'B-CANARY' }, { by: other });
      const text = await exportText(t.db, m, 2);
      assert.ok(text.startsWith('\uFEFFSKU,Name,Description,Quantity,Unit,Price,Cost,Low-stock threshold,Location,Tags,Barcode\n'));
      assert.ok(!text.includes('B-CANARY'));
      const rows = parse(text, { bom: true, columns: true }) as Record<string, string>[];
      assert.equal(rows.length, 3);
      const byName = (prefix: string) => rows.find((r) => r.Name?.includes(prefix)) as Record<string, string>;
      assert.equal(byName('HYPERLINK').Name, `'=HYPERLINK("http://evil","x")`);
      assert.equal(byName('HYPERLINK').Description, `'+1 line\r\n-2 "quoted", comma`);
      assert.equal(byName('apostrophe').SKU, "'@F-2");
      assert.equal(byName('apostrophe').Name, "''apostrophe first");
      assert.equal(byName('apostrophe').Description, "'\tTabbed");
      assert.equal(byName('apostrophe').Location, "'-5 shelf");
      assert.equal(byName('apostrophe').Tags, "'-neg;=eq");
      // Every cell of every row is safe to open in a spreadsheet.
      for (const row of rows) for (const cell of Object.values(row)) assert.doesNotMatch(cell, /^[=+\-@\t\r]/);
    });

    test('round trip: an export imported by another merchant recreates every field; re-import changes nothing', async () => {
      const text = await exportText(t.db, m);
      const copy = await newMerchant(t.db);
      const first = await importCsv(t.db, copy, text, { by: copy, currency: 'EUR' });
      assert.deepEqual([first.result.created, first.result.updated], [3, 0]);
      assert.deepEqual(content(await everything(t.db, copy)), content(await everything(t.db, m)));
      const again = await importCsv(t.db, m, text, { by: m, currency: 'EUR' });
      assert.deepEqual([again.result.created, again.result.updated], [0, 0]);
    });

    test('import creates new SKUs, updates existing ones, and ledgers quantity changes as import movements', async () => {
      const existing = (await listItems(t.db, m, { q: 'F-3' })).items[0] as Item;
      const csv = ['SKU,Name,quantity,price_cents,tags', 'f-3,Emoji renamed,20,,a;b', 'NEW-1,Brand new,5,100,', 'NEW-2,No stock,,,'].join(
        '\r\n',
      );
      const { result } = await importCsv(t.db, m, csv, { by: m, currency: 'EUR' });
      assert.deepEqual([result.created, result.updated], [2, 1]);
      const updated = await getItem(t.db, m, existing.id);
      assert.equal(updated.name, 'Emoji renamed');
      assert.equal(updated.sku, 'f-3');
      assert.equal(updated.quantity, 20);
      assert.equal(updated.priceCents, null);
      assert.deepEqual(updated.tags, ['a', 'b']);
      assert.equal(updated.costCents, 500, 'absent columns are left alone');
      assert.equal(updated.version, existing.version + 1);
      const ledger = (await listMovements(t.db, m, existing.id, {})).movements;
      assert.deepEqual(
        ledger.map((x) => [x.delta, x.quantityAfter, x.reason]),
        [
          [8, 20, 'import'],
          [12, 12, 'opening'],
        ],
      );
      const created = (await listItems(t.db, m, { q: 'NEW-' })).items;
      assert.deepEqual(
        created.map((i) => [i.sku, i.quantity]),
        [
          ['NEW-1', 5],
          ['NEW-2', 0],
        ],
      );
      assert.equal((await listMovements(t.db, m, (created[0] as Item).id, {})).movements[0]?.delta, 5);
    });

    test('one bad row rejects the whole import with row and field errors; nothing is written', async () => {
      const items = await countAll(t.db, 'items');
      const movements = await countAll(t.db, 'movements');
      const csv = ['sku,name,quantity,costCents', 'OK-1,fine,1,', 'OK-2,fine,2,', 'BAD-3,bad,-4,', 'BAD-4,,x,1.5', 'ok-1,dup,1,'].join(
        '\n',
      );
      const err = await rejectsWith(importCsv(t.db, m, csv, { by: m, currency: 'EUR' }), 'validation', 422);
      assert.deepEqual(
        err.options.errors?.map((e) => e.path),
        ['rows/3/quantity', 'rows/4/name', 'rows/4/quantity', 'rows/4/costCents', 'rows/5/sku'],
      );
      assert.equal(await countAll(t.db, 'items'), items);
      assert.equal(await countAll(t.db, 'movements'), movements);
      for (const bad of ['', 'name\nx', 'sku,name,merchantId\n1,2,3', 'sku,name\n"unterminated', 'sku,name\na,b,c']) {
        await rejectsWith(importCsv(t.db, m, bad, { by: m, currency: 'EUR' }), 'validation', 422);
      }
    });

    test("importing another merchant's SKU creates the importer's own item and leaves theirs alone", async () => {
      const victim = await newMerchant(t.db);
      const theirs = (await createItem(t.db, victim, { sku: 'SECRET-9', name: 'theirs', quantity: 4 }, { by: victim })).result.item;
      const attacker = await newMerchant(t.db);
      const { result } = await importCsv(t.db, attacker, 'sku,name,quantity\nSECRET-9,mine now,0', { by: attacker, currency: 'EUR' });
      assert.deepEqual([result.created, result.updated], [1, 0]);
      assert.deepEqual(await getItem(t.db, victim, theirs.id), theirs);
      assert.equal((await everything(t.db, attacker))[0]?.name, 'mine now');
    });
  });
}
