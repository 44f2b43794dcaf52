import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeCell, unescapeCell } from '../../../src/inventory/csv-cells.js';
import { checkText, escapeLike, fold } from '../../../src/inventory/text.js';

const line = { max: 10, required: true };

test('fold: NFKC plus full case folding', () => {
  assert.equal(fold('ＡＢＣ-1'), 'abc-1');
  assert.equal(fold('Straße'), 'strasse');
  assert.equal(fold('ΟΔΟΣ'), fold('οδος'));
  assert.equal(fold('ﬁle'), 'file');
});

test('checkText refuses NUL, controls, lone surrogates, bidi and zero-width characters', () => {
  for (const bad of ['a\u0000', 'a\u001b[31m', '\ud800x', 'x\udc00', 'ab\u202Ec', 'a\u200Bb', '\uFEFFa', 'a\u2028b']) {
    assert.ok('error' in checkText(bad, line), JSON.stringify(bad));
  }
  assert.ok('error' in checkText('   ', line));
  assert.ok('error' in checkText('x'.repeat(11), line));
});

test('checkText keeps emoji (joiners included), counts code points, trims single lines only', () => {
  assert.deepEqual(checkText(' 👨‍👩‍👧 ', line), { value: '👨‍👩‍👧' });
  assert.deepEqual(checkText('🧰'.repeat(10), line), { value: '🧰'.repeat(10) });
  assert.ok('error' in checkText('a\u200Db', { ...line, identifier: true }));
  assert.deepEqual(checkText('a\n\tb ', { max: 10, required: false, multiline: true }), { value: 'a\n\tb ' });
  assert.ok('error' in checkText('a\nb', line));
});

test('escapeLike makes wildcards literal', () => {
  assert.equal(escapeLike('50%_off\\'), '50\\%\\_off\\\\');
});

test('CSV cells: formula starters get an apostrophe, and import undoes exactly that', () => {
  for (const cell of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx', "'quoted"]) {
    assert.equal(escapeCell(cell), `'${cell}`);
    assert.equal(unescapeCell(escapeCell(cell)), cell);
  }
  for (const cell of ['plain', '1', '', 'a=b']) {
    assert.equal(escapeCell(cell), cell);
    assert.equal(unescapeCell(escapeCell(cell)), cell);
  }
});
