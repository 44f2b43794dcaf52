import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMapping } from '../../../src/inventory/csv-columns.js';
import { type ParseOptions, parseImport } from '../../../src/inventory/csv-import.js';
import { AppError } from '../../../src/errors.js';

const EUR: ParseOptions = { currency: 'EUR' };

/** Paths of the problems a parse reports (collected) or throws (a file that cannot be read). */
function errorsOf(csv: string, options = EUR): string[] {
  try {
    return parseImport(csv, options).errors.map((e) => e.path);
  } catch (err) {
    assert.ok(err instanceof AppError);
    assert.equal(err.status, 422);
    return (err.options.errors ?? []).map((e) => e.path);
  }
}

test('headers: human headers, v1 names and aliases, loosely; BOM, CRLF; sku and name required; unknown or repeated columns named', () => {
  const parsed = parseImport('\uFEFFSKU,Product Name,Price Cents,low_stock_threshold\r\nA,Alpha,100,2\r\n\r\n,,,\r\n', EUR);
  assert.deepEqual(parsed.columns, ['sku', 'name', 'priceCents', 'lowStockThreshold']);
  assert.equal(parsed.rows.length, 1);
  assert.deepEqual(parsed.rows[0]?.fields.priceCents, 100);
  const aliases = parseImport('Item code,Title,QTY,Reorder point,Category,Unit Cost\nA,a,1,2,x,1\n', EUR);
  assert.deepEqual(aliases.columns, ['sku', 'name', 'quantity', 'lowStockThreshold', 'tags', 'costCents']);
  assert.deepEqual(errorsOf('name\nx'), ['header']);
  assert.deepEqual(errorsOf('sku,name,owner\n1,2,3'), ['header/owner']);
  assert.deepEqual(parseImport('sku,name,owner\n1,2,3', EUR).unknownColumns, ['owner']);
  assert.deepEqual(errorsOf('sku,name,SKU\n1,2,3'), ['header/SKU']);
  assert.deepEqual(errorsOf('sku,name,Price,priceCents\n1,2,3,4'), ['header/priceCents']);
  assert.deepEqual(errorsOf(''), ['header']);
});

test('a mapping places unknown columns, ignores some, overrides aliases', () => {
  const mapping = parseMapping(JSON.stringify({ Supplier: null, 'Shelf code': 'location', Qty: null }));
  const parsed = parseImport('sku,name,Supplier,Shelf code,Qty\nA,a,ACME,B3,9\n', { currency: 'EUR', mapping });
  assert.deepEqual(parsed.errors, []);
  assert.deepEqual(parsed.columns, ['sku', 'name', 'location']);
  assert.equal(parsed.rows[0]?.fields.location, 'B3');
  assert.equal(parsed.rows[0]?.quantityGiven, false);
  assert.throws(
    () => parseMapping('{"a": "owner"}'),
    (e: unknown) => e instanceof AppError && e.status === 400,
  );
  assert.throws(
    () => parseMapping('nope'),
    (e: unknown) => e instanceof AppError && e.status === 400,
  );
});

test('rows: every problem reported by row, column as the file calls it, and value; duplicate SKUs by key', () => {
  const csv = ['SKU,Name,Qty,priceCents,tags', 'A,ok,1,,x;y', 'B,,2,1.5,', 'C,c,-1,,', 'ａ,dup of A,,,', 'D,d,1'].join('\n');
  const { errors } = parseImport(csv, EUR);
  assert.deepEqual(
    errors.map((e) => e.path),
    ['rows/2/Name', 'rows/2/priceCents', 'rows/3/Qty', 'rows/4/SKU', 'rows/5'],
  );
  assert.equal(errors[1]?.message, '“1.5” must be an integer');
  assert.equal(errors[3]?.message, '“ａ” repeats the SKU of row 1');
});

test('money columns: decimals in the shop currency, refused when ambiguous, quoting the cell', () => {
  const file = 'SKU,Name,Price,Cost\nA,a,"7,50",7.5\nB,b,"1,450",\n';
  const eur = parseImport(file, EUR);
  assert.deepEqual([eur.rows[0]?.fields.priceCents, eur.rows[0]?.fields.costCents], [750, 750]);
  assert.deepEqual(eur.errors, [{ path: 'rows/2/Price', message: '“1,450” is ambiguous (1450 or 1.45?): type 1450 or 1.45' }]);
  const jpy = parseImport(file, { currency: 'JPY' });
  assert.deepEqual(
    jpy.errors.map((e) => e.path),
    ['rows/1/Price', 'rows/1/Cost', 'rows/2/Price'],
  );
  assert.equal(parseImport('SKU,Name,Price\nA,a,1.450\n', { currency: 'KWD' }).rows[0]?.fields.priceCents, 1450);
});

test('cells: empty means null (quantity: unchanged), one leading apostrophe is removed', () => {
  const { rows } = parseImport("sku,name,quantity,description,tags\n'=A,'+name,,,\nB,b,0,'',a; b ;\n", EUR);
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
