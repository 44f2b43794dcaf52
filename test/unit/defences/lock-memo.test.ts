import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LockMemo } from '../../../src/auth/lock-memo.js';

/** The memory of locked keys (src/auth/lock-memo.ts): when an entry stops being trusted. */
describe('LockMemo', () => {
  const T0 = Date.UTC(2030, 0, 1);
  const at = (s: number) => new Date(T0 + s * 1000);
  const memo = (maxEntries = 100) => {
    const clock = { t: 0 };
    return { clock, memo: new LockMemo({ maxAgeMs: 1000, maxEntries, monotonic: () => clock.t }) };
  };

  test('an entry holds until the lockout ends on the application clock', () => {
    const { memo: m } = memo();
    m.remember('k', at(30), at(0), m.epoch());
    assert.deepEqual(m.lockedUntil(['x', 'k'], at(29)), at(30));
    assert.equal(m.lockedUntil(['k'], at(30)), null, 'over at its end');
    assert.equal(m.size, 0, 'and dropped');
  });

  test('an entry is trusted for maxAgeMs of real time at most, however long the lockout', () => {
    const { memo: m, clock } = memo();
    m.remember('k', at(3600), at(0), m.epoch());
    clock.t = 999;
    assert.deepEqual(m.lockedUntil(['k'], at(1)), at(3600));
    clock.t = 1000;
    assert.equal(m.lockedUntil(['k'], at(1)), null, 'asked of the store again');
  });

  test('the latest end of the keys asked about; a lock already over is not remembered', () => {
    const { memo: m } = memo();
    m.remember('a', at(10), at(0), m.epoch());
    m.remember('b', at(20), at(0), m.epoch());
    m.remember('c', at(5), at(5), m.epoch());
    assert.deepEqual(m.lockedUntil(['a', 'b', 'c'], at(1)), at(20));
    assert.equal(m.size, 2);
  });

  test('a read that began before a forget does not bring the lifted lock back', () => {
    const { memo: m } = memo();
    const epoch = m.epoch(); // a store read starts…
    m.forget(['k']); // …this server lifts the lock meanwhile…
    m.remember('k', at(60), at(0), epoch); // …and the read answers with the lock it saw before
    assert.equal(m.lockedUntil(['k'], at(1)), null);
    m.remember('k', at(60), at(0), m.epoch());
    m.forget(['k']);
    assert.equal(m.lockedUntil(['k'], at(1)), null, 'forget drops what is remembered');
  });

  test('at most maxEntries, the oldest dropped first', () => {
    const { memo: m } = memo(3);
    for (const k of ['a', 'b', 'c', 'd']) m.remember(k, at(60), at(0), m.epoch());
    assert.equal(m.size, 3);
    assert.equal(m.lockedUntil(['a'], at(1)), null, 'the oldest went');
    assert.deepEqual(m.lockedUntil(['d'], at(1)), at(60));
  });
});
