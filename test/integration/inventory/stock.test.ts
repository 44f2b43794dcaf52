import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AppError } from '../../../src/errors.js';
import { createItem, getItem } from '../../../src/inventory/items.js';
import { adjustStock, listMovements } from '../../../src/inventory/movements.js';
import type { Movement } from '../../../src/inventory/types.js';
import { BACKENDS, countAll, newMerchant, openTestDb, rejectsWith, type TestDb } from './fixtures.js';

async function allMovements(t: TestDb, merchant: string, itemId: string): Promise<Movement[]> {
  const out: Movement[] = [];
  let cursor: string | undefined;
  do {
    const page = await listMovements(t.db, merchant, itemId, { cursor, limit: 7 });
    out.push(...page.movements);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

for (const backend of BACKENDS) {
  describe(`stock adjustments and the ledger (${backend})`, () => {
    let t: TestDb;
    let m: string;
    before(async () => {
      t = await openTestDb(backend);
      m = await newMerchant(t.db);
    });
    after(() => t.close());

    test('adjustments change stock and write one ledger row each; below 0 is 409 with nothing written', async () => {
      const { item } = (await createItem(t.db, m, { sku: 'S-1', name: 'stock' }, { by: m })).result;
      const r1 = await adjustStock(t.db, m, item.id, { delta: 5, reason: 'received', note: 'PO 17' }, { by: m });
      assert.equal(r1.result.item.quantity, 5);
      assert.deepEqual(
        { ...r1.result.movement, id: '', createdAt: '' },
        {
          id: '',
          itemId: item.id,
          delta: 5,
          quantityAfter: 5,
          reason: 'received',
          note: 'PO 17',
          createdAt: '',
          by: { userId: m, username: r1.result.movement.by.username },
        },
      );
      assert.match(r1.result.movement.by.username, /^merchant-/, 'the writer, by name (looked up for a caller that passes none)');
      await adjustStock(t.db, m, item.id, { delta: -3, reason: 'sold' }, { by: m });
      const rows = await countAll(t.db, 'movements');
      const err = await rejectsWith(adjustStock(t.db, m, item.id, { delta: -3, reason: 'sold' }, { by: m }), 'conflict', 409);
      assert.equal((err.options.extra as { current: { quantity: number } }).current.quantity, 2);
      assert.equal(await countAll(t.db, 'movements'), rows);
      assert.equal((await getItem(t.db, m, item.id)).quantity, 2);
      for (const bad of [{ delta: 0, reason: 'sold' }, { delta: 1, reason: 'stolen' }, { delta: 1.5, reason: 'sold' }, { delta: 1 }]) {
        await rejectsWith(adjustStock(t.db, m, item.id, bad, { by: m }), 'validation');
      }
      await rejectsWith(adjustStock(t.db, m, item.id, { delta: 1_000_000_000, reason: 'received' }, { by: m }), 'conflict');
    });

    test('40 concurrent -1 adjustments on quantity 25: exactly 25 succeed, 15 conflict, stock 0, 25 ledger rows', async (ctx) => {
      const { item } = (await createItem(t.db, m, { sku: 'RACE', name: 'race', quantity: 25 }, { by: m })).result;
      const started = performance.now();
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, () => adjustStock(t.db, m, item.id, { delta: -1, reason: 'sold' }, { by: m })),
      );
      const ms = performance.now() - started;
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      const conflicts = results.filter(
        (r) => r.status === 'rejected' && r.reason instanceof AppError && r.reason.code === 'conflict',
      ).length;
      assert.equal(ok, 25);
      assert.equal(conflicts, 15);
      assert.equal((await getItem(t.db, m, item.id)).quantity, 0);
      const ledger = await allMovements(t, m, item.id);
      const sales = ledger.filter((x) => x.reason === 'sold');
      assert.equal(sales.length, 25);
      // Every quantity from 24 down to 0 appears exactly once: no two writers saw the same stock.
      assert.deepEqual(
        sales.map((x) => x.quantityAfter).sort((x, y) => x - y),
        Array.from({ length: 25 }, (_, i) => i),
      );
      ctx.diagnostic(`race (${backend}): ${ok} ok, ${conflicts} conflicts, quantity 0, ${sales.length} ledger rows, ${ms.toFixed(0)} ms`);
    });

    test('the sum of ledger deltas equals the quantity, after any mix of changes', async () => {
      const { item } = (await createItem(t.db, m, { sku: 'SUM', name: 'sum', quantity: 10 }, { by: m })).result;
      const deltas = [5, -3, -12, 7, -7, 100, -1, -50, 2, -60];
      await Promise.allSettled(deltas.map((delta) => adjustStock(t.db, m, item.id, { delta, reason: 'correction' }, { by: m })));
      const ledger = await allMovements(t, m, item.id);
      const quantity = (await getItem(t.db, m, item.id)).quantity;
      assert.equal(
        ledger.reduce((s, x) => s + x.delta, 0),
        quantity,
      );
      // Newest first, and each row's quantityAfter is the previous one plus its delta.
      const oldestFirst = [...ledger].reverse();
      oldestFirst.reduce((prev, x) => {
        assert.equal(x.quantityAfter, prev + x.delta);
        return x.quantityAfter;
      }, 0);
    });

    test('Idempotency-Key: a retry replays the first response and writes nothing; another body is 409', async () => {
      const key = { key: 'retry-1', requestHash: 'h1' };
      const first = await createItem(t.db, m, { sku: 'I-1', name: 'once', quantity: 3 }, { by: m, idempotency: key });
      const items = await countAll(t.db, 'items');
      const movements = await countAll(t.db, 'movements');
      const again = await createItem(t.db, m, { sku: 'I-1', name: 'once', quantity: 3 }, { by: m, idempotency: key });
      assert.equal(first.replayed, false);
      assert.equal(again.replayed, true);
      assert.deepEqual(again.result, first.result);
      await rejectsWith(
        createItem(t.db, m, { sku: 'I-2', name: 'other' }, { by: m, idempotency: { key: 'retry-1', requestHash: 'h2' } }),
        'conflict',
      );
      const adj = { key: 'adj-1', requestHash: 'a1' };
      const id = first.result.item.id;
      const a1 = await adjustStock(t.db, m, id, { delta: -1, reason: 'sold' }, { by: m, idempotency: adj });
      const a2 = await adjustStock(t.db, m, id, { delta: -1, reason: 'sold' }, { by: m, idempotency: adj });
      assert.deepEqual(a2.result, a1.result);
      assert.equal(await countAll(t.db, 'items'), items);
      assert.equal(await countAll(t.db, 'movements'), movements + 1);
      assert.equal((await getItem(t.db, m, id)).quantity, 2);
    });

    test('Idempotency-Key: concurrent duplicates write once; keys are per merchant; failures are not stored', async () => {
      const { item } = (await createItem(t.db, m, { sku: 'I-3', name: 'dup', quantity: 10 }, { by: m })).result;
      const key = { key: 'burst', requestHash: 'b' };
      const results = await Promise.all(
        Array.from({ length: 8 }, () => adjustStock(t.db, m, item.id, { delta: -1, reason: 'sold' }, { by: m, idempotency: key })),
      );
      assert.equal(results.filter((r) => !r.replayed).length, 1);
      assert.ok(results.every((r) => r.result.movement.id === results[0]?.result.movement.id));
      assert.equal((await getItem(t.db, m, item.id)).quantity, 9);
      // Another merchant with the same key is a different request space.
      const other = await newMerchant(t.db);
      const theirs = await createItem(t.db, other, { sku: 'I-3', name: 'theirs' }, { by: other, idempotency: key });
      assert.equal(theirs.replayed, false);
      // A failed request leaves no record: the retry runs (and here fails again the same way).
      const fail = { key: 'fails', requestHash: 'f' };
      await rejectsWith(adjustStock(t.db, m, item.id, { delta: -100, reason: 'sold' }, { by: m, idempotency: fail }), 'conflict');
      await rejectsWith(adjustStock(t.db, m, item.id, { delta: -100, reason: 'sold' }, { by: m, idempotency: fail }), 'conflict');
    });
  });
}
