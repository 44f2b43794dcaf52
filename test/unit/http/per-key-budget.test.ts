import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PerKeyBudget } from '../../../src/http/per-key-budget.js';

test('a budget per key and window, renewed when the window ends', () => {
  let now = 0;
  const budget = new PerKeyBudget({ perKey: 3, windowMs: 1000, maxKeys: 10, now: () => now });
  assert.deepEqual(
    [1, 2, 3, 4, 5].map(() => budget.take('a')),
    [true, true, true, false, false],
  );
  assert.equal(budget.take('b'), true, 'another key has its own');
  now = 999;
  assert.equal(budget.take('a'), false);
  now = 1000;
  assert.equal(budget.take('a'), true, 'a new window');
});

test('beyond maxKeys the oldest window is forgotten, never more keys remembered', () => {
  let now = 0;
  const budget = new PerKeyBudget({ perKey: 1, windowMs: 60_000, maxKeys: 2, now: () => now });
  assert.equal(budget.take('a'), true);
  now = 1;
  assert.equal(budget.take('b'), true);
  assert.equal(budget.take('a'), false);
  assert.equal(budget.take('c'), true, 'evicts a, the oldest window');
  assert.equal(budget.take('b'), false, 'b is still remembered');
  assert.equal(budget.take('a'), true, 'a was forgotten (and now evicts b)');
  assert.equal(budget.take('c'), false);
});
