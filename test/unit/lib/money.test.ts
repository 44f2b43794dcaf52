import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMoney, minorDigits, parseMoney, toDecimal } from '../../../src/lib/money.js';

/*
 * The money table (issue 18): separators × currencies with 0, 2 and 3 decimals. A number is the amount
 * in minor units; a string is a fragment the refusal must contain (always with what was typed, quoted).
 */
const TABLE: [input: string, jpy: number | string, eur: number | string, kwd: number | string][] = [
  ['14.50', 'has decimals', 1450, 14500],
  ['14,50', 'has decimals', 1450, 14500],
  ['7,50', 'has decimals', 750, 7500],
  ['7.5', 'has decimals', 750, 7500],
  ['14', 14, 1400, 14000],
  ['0,05', 'has decimals', 5, 50],
  ['.5', 'has decimals', 50, 500],
  ['14,', 14, 1400, 14000],
  ['1,450', 'whole numbers; for 1450 type it', 'ambiguous (1450 or 1.45?)', 'ambiguous (1450 or 1.45?)'],
  ['1.450', 'whole numbers; for 1450 type it', 'ambiguous (1450 or 1.45?)', 1450],
  ['1,000', 'ambiguous (1000 or 1?)', 'ambiguous (1000 or 1?)', 'ambiguous (1000 or 1?)'],
  ['1.000', 'ambiguous (1000 or 1?)', 'ambiguous (1000 or 1?)', 1000],
  ['0.450', 'has decimals', 'has 3 decimals, but EUR has 2', 450],
  ['1,450.00', 'has 2 separators', 'has 2 separators', 'has 2 separators'],
  ['1.450,00', 'has 2 separators', 'has 2 separators', 'has 2 separators'],
  ['1.2.3', 'has 2 separators', 'has 2 separators', 'has 2 separators'],
  ['14.505', 'whole numbers; for 14505 type it', 'has 3 decimals, but EUR has 2', 14505],
  ['14.5055', 'has decimals', 'has 4 decimals, but EUR has 2', 'has 4 decimals, but KWD has 3'],
  ['-5', 'negative', 'negative', 'negative'],
  ['−5', 'negative', 'negative', 'negative'],
  ['12a', 'not an amount', 'not an amount', 'not an amount'],
  ['€ 12', 'not an amount', 'not an amount', 'not an amount'],
  ['1 450', 'not an amount', 'not an amount', 'not an amount'],
  [',', 'not an amount', 'not an amount', 'not an amount'],
  ['', 0, 0, 0],
];

const CURRENCIES = ['JPY', 'EUR', 'KWD'] as const;

test('minor units come from the currency: 0 JPY, 2 EUR, 3 KWD and BHD', () => {
  assert.deepEqual(
    ['JPY', 'EUR', 'USD', 'KWD', 'BHD'].map((c) => minorDigits(c)),
    [0, 2, 2, 3, 3],
  );
});

for (const [input, ...expected] of TABLE) {
  test(`money table: "${input}"`, () => {
    CURRENCIES.forEach((currency, i) => {
      const want = expected[i];
      const got = parseMoney(input, currency);
      if (input === '') {
        assert.deepEqual(got, { ok: true, minor: null }, currency);
      } else if (typeof want === 'number') {
        assert.deepEqual(got, { ok: true, minor: want }, `${input} in ${currency}`);
      } else {
        assert.equal(got.ok, false, `${input} in ${currency} must be refused, got ${JSON.stringify(got)}`);
        if (!got.ok) {
          assert.ok(got.message.includes(want as string), `${input} in ${currency}: "${got.message}" should say "${want}"`);
          assert.ok(got.message.includes(`“${input.trim()}”`), `${input} in ${currency}: "${got.message}" should quote the input`);
        }
      }
    });
  });
}

test('refusals quote the input without control characters and cut it short', () => {
  const got = parseMoney(`12\u0007${'9'.repeat(100)}x`, 'EUR');
  assert.equal(got.ok, false);
  if (!got.ok) {
    assert.ok(!got.message.includes('\u0007'));
    assert.ok(got.message.includes('…'));
  }
});

test('amounts above the item bound are refused, not wrapped', () => {
  assert.equal(parseMoney('90000000.00', 'EUR').ok, true);
  assert.equal(parseMoney('90000000.01', 'EUR').ok, false);
  assert.equal(parseMoney('9999999999999999999999', 'JPY').ok, false);
});

test('toDecimal writes what parseMoney reads back, in every currency', () => {
  for (const currency of CURRENCIES) {
    for (const minor of [0, 5, 50, 750, 1450, 123456789]) {
      const text = toDecimal(minor, currency);
      assert.deepEqual(parseMoney(text, currency), { ok: true, minor }, `${minor} ${currency} → ${text}`);
    }
  }
  assert.equal(toDecimal(750, 'EUR'), '7.50');
  assert.equal(toDecimal(750, 'JPY'), '750');
  assert.equal(toDecimal(1450, 'KWD'), '1.450');
});

test("formatMoney shows the symbol and the currency's decimals", () => {
  assert.equal(formatMoney(1450, 'EUR', 'en-US'), '€14.50');
  assert.equal(formatMoney(750, 'JPY', 'en-US'), '¥750');
  assert.match(formatMoney(1450, 'KWD', 'en-US'), /^KWD\s1\.450$/);
  assert.equal(formatMoney(null, 'EUR'), '—');
});
