import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { exportCsv } from '../../../src/inventory/csv-export.js';
import { importCsv } from '../../../src/inventory/import.js';
import { type Backend, newMerchant, openTestDb, rejectsWith, type TestDb } from './fixtures.js';

/*
 * The largest import there is, on one database per file (csv-bulk-pglite / -postgres): on a loaded
 * machine each takes most of a file's time limit.
 */
export function describeBulkImport(backend: Backend): void {
  describe(`CSV import at the row limit (${backend})`, () => {
    let t: TestDb;
    before(async () => {
      t = await openTestDb(backend);
    });
    after(() => t.close());

    async function exportText(merchant: string): Promise<string> {
      let text = '';
      for await (const chunk of exportCsv(t.db, merchant, 'EUR')) text += chunk;
      return text;
    }

    test('10,000 rows import in one go; 10,001 are refused', async (ctx) => {
      const big = await newMerchant(t.db);
      const lines = ['sku,name,quantity,priceCents'];
      for (let i = 0; i < 10_000; i++) lines.push(`BULK-${i},Bulk item ${i},${i % 7},${i}`);
      const started = performance.now();
      const { result } = await importCsv(t.db, big, lines.join('\n'), { by: big, currency: 'EUR' });
      const ms = performance.now() - started;
      assert.deepEqual([result.created, result.updated], [10_000, 0]);
      ctx.diagnostic(`import of 10,000 rows (${backend}): ${ms.toFixed(0)} ms`);
      lines.push('BULK-X,one too many,1,1');
      await rejectsWith(importCsv(t.db, big, lines.join('\n'), { by: big, currency: 'EUR' }), 'validation', 422);
      const exported = await exportText(big);
      assert.equal(parse(exported, { bom: true }).length, 10_001);
    });
  });
}
