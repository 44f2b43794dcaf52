import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFailure, type LockoutPolicy, type RateLimitState, refundFailure } from '../../../src/auth/rate-limit-store.js';

/** The one throttling rule every RateLimitStore applies (rate-limit-store.ts). */
const policy: LockoutPolicy = { maxFailures: 3, windowSeconds: 60, lockoutBaseSeconds: 10, lockoutMaxSeconds: 35 };
const at = (s: number) => new Date(1_700_000_000_000 + s * 1000);

function fail(times: number, start: RateLimitState | null, t: number) {
  let state: RateLimitState | null = start;
  let last = applyFailure(state, policy, at(t));
  for (let i = 0; i < times; i++) {
    last = applyFailure(state, policy, at(t));
    state = last;
  }
  return last;
}

describe('applyFailure', () => {
  test('counts failures, and the maxFailures-th locks for the base lockout, clearing the count', () => {
    const one = applyFailure(null, policy, at(0));
    assert.deepEqual(one, { failures: 1, lockouts: 0, lockedUntil: null, expiresAt: at(60), lockedNow: false });
    const two = applyFailure(one, policy, at(5));
    assert.equal(two.failures, 2);
    assert.deepEqual(two.expiresAt, at(65), 'the window slides from the last failure');
    const three = applyFailure(two, policy, at(6));
    assert.equal(three.lockedNow, true);
    assert.deepEqual(three.lockedUntil, at(16));
    assert.equal(three.failures, 0);
    assert.equal(three.lockouts, 1);
    assert.deepEqual(three.expiresAt, at(76), 'history is kept a window past the lockout');
  });

  test('a failure while locked changes nothing (it neither counts nor lengthens the lockout)', () => {
    const locked = fail(3, null, 0);
    const during = applyFailure(locked, policy, at(5));
    assert.equal(during.lockedNow, false);
    assert.deepEqual({ ...during, lockedNow: true }, locked);
  });

  test('each further lockout doubles, up to the maximum', () => {
    let state: RateLimitState = fail(3, null, 0); // 10 s
    const lengths: number[] = [];
    let t = 0;
    for (let round = 0; round < 4; round++) {
      t = (state.lockedUntil!.getTime() - at(0).getTime()) / 1000 + 1;
      const next = fail(3, state, t);
      lengths.push((next.lockedUntil!.getTime() - at(t).getTime()) / 1000);
      state = next;
    }
    assert.deepEqual(lengths, [20, 35, 35, 35]);
  });

  test('a quiet window forgets failures and lockout history', () => {
    const locked = fail(3, null, 0); // locked until 10, expires 70
    const later = applyFailure(locked, policy, at(71));
    assert.deepEqual(later, { failures: 1, lockouts: 0, lockedUntil: null, expiresAt: at(131), lockedNow: false });
    const two = fail(2, null, 0);
    assert.equal(applyFailure(two, policy, at(61)).failures, 1, 'two old failures are forgotten');
  });
});

describe('refundFailure (S-73: counted before the check, taken back when right)', () => {
  test('one failure fewer, never below zero; nothing to write without a live record', () => {
    const two = fail(2, null, 0);
    assert.equal(refundFailure(two, policy, at(1), two)?.failures, 1);
    assert.equal(refundFailure({ ...two, failures: 0 }, policy, at(1), two)?.failures, 0);
    assert.equal(refundFailure(null, policy, at(1), two), null);
    assert.equal(refundFailure(two, policy, at(61), two), null, 'expired');
  });

  test("the attempt that locked takes its lockout back; someone else's lockout stands", () => {
    const two = fail(2, null, 0);
    const locking = applyFailure(two, policy, at(1));
    assert.equal(locking.lockedNow, true);
    assert.deepEqual(refundFailure(locking, policy, at(2), locking), { failures: 2, lockouts: 0, lockedUntil: null, expiresAt: at(62) });
    const earlier = applyFailure(null, policy, at(0));
    assert.deepEqual(refundFailure(locking, policy, at(2), earlier), locking, 'locked by another attempt: unchanged');
    const laterLock = { ...locking, lockouts: 2, lockedUntil: at(40) };
    assert.deepEqual(refundFailure(laterLock, policy, at(30), locking), laterLock, 'a later lockout is not ours to lift');
  });
});
