import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseImport } from '../../../src/inventory/csv-import.js';
import { AppError } from '../../../src/errors.js';

function errorsOf(csv: string): string[] {
  try {
    parseImport(csv);
  } catch (err) {
    assert.ok(err instanceof AppError);
    assert.equal(err.status, 422);
    return (err.options.errors ?? []).map((e) => e.path);
  }
  assert.fail('expected a 422');
}

test('headers: loose names, BOM, CRLF; sku and name required; unknown or repeated columns refused', () => {
  const parsed = parseImport('\uFEFFSKU,Name,Price Cents,low_stock_threshold\r\nA,Alpha,100,2\r\n\r\n,,,\r\n');
  assert.deepEqual(parsed.columns, ['sku', 'name', 'priceCents', 'lowStockThreshold']);
  assert.equal(parsed.rows.length, 1);
  assert.deepEqual(parsed.rows[0]?.fields.priceCents, 100);
  assert.deepEqual(errorsOf('name\nx'), ['header']);
  assert.deepEqual(errorsOf('sku,name,owner\n1,2,3'), ['header/2']);
  assert.deepEqual(errorsOf('sku,name,SKU\n1,2,3'), ['header/2']);
  assert.deepEqual(errorsOf(''), ['header']);
});

test('rows: every problem reported by row and field; duplicate SKUs by key', () => {
  const csv = ['sku,name,quantity,priceCents,tags', 'A,ok,1,,x;y', 'B,,2,1.5,', 'C,c,-1,,', 'ａ,dup of A,,,', 'D,d,1'].join('\n');
  assert.deepEqual(errorsOf(csv), ['rows/2/name', 'rows/2/priceCents', 'rows/3/quantity', 'rows/4/sku', 'rows/5']);
});

test('cells: empty means null (quantity: unchanged), one leading apostrophe is removed', () => {
  const { rows } = parseImport("sku,name,quantity,description,tags\n'=A,'+name,,,\nB,b,0,'',a; b ;\n");
  assert.equal(rows[0]?.fields.sku, '=A');
  assert.equal(rows[0]?.fields.name, '+name');
  assert.equal(rows[0]?.quantityGiven, false);
  assert.equal(rows[0]?.fields.description, null);
  assert.equal(rows[1]?.quantityGiven, true);
  assert.deepEqual(rows[1]?.fields.tags, ['a', 'b']);
});

test('more than 10,000 rows is refused before validation', () => {
  const lines = ['sku,name'];
  for (let i = 0; i <= 10_000; i++) lines.push(`S${i},n`);
  assert.deepEqual(errorsOf(lines.join('\n')), ['rows']);
});
