import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LockoutPolicy, RateLimitStore } from '../../../src/auth/rate-limit-store.js';

/**
 * One contract for every RateLimitStore (PostgreSQL now; a Redis store runs the same suite). A store that
 * passes counts every failure once under concurrency, locks exactly once, expires on the caller's clock.
 */
export interface RateLimitFixture {
  store: RateLimitStore;
  close(): Promise<void>;
}

const policy: LockoutPolicy = { maxFailures: 5, windowSeconds: 60, lockoutBaseSeconds: 30, lockoutMaxSeconds: 120 };
const T0 = Date.UTC(2030, 0, 1);
const at = (s: number) => new Date(T0 + s * 1000);
const key = () => `test:${randomUUID()}`;

export function runRateLimitStoreContract(name: string, open: () => Promise<RateLimitFixture>): void {
  describe(`RateLimitStore contract: ${name}`, () => {
    let fx: RateLimitFixture;
    before(async () => {
      fx = await open();
    });
    after(() => fx.close());

    test('hit counts, the fifth locks (once), peek reads without counting', async () => {
      const k = key();
      assert.equal(await fx.store.peek(k, at(0)), null);
      for (let i = 1; i <= 4; i++) {
        const r = await fx.store.hit(k, policy, at(i));
        assert.equal(r.failures, i);
        assert.equal(r.lockedNow, false);
      }
      const peeked = await fx.store.peek(k, at(4));
      assert.equal(peeked?.failures, 4);
      assert.equal((await fx.store.peek(k, at(4)))?.failures, 4, 'peek does not count');
      const fifth = await fx.store.hit(k, policy, at(5));
      assert.equal(fifth.lockedNow, true);
      assert.deepEqual(fifth.lockedUntil, at(35));
      const during = await fx.store.hit(k, policy, at(6));
      assert.equal(during.lockedNow, false);
      assert.deepEqual(during.lockedUntil, at(35), 'a hit while locked changes nothing');
      assert.deepEqual((await fx.store.peek(k, at(6)))?.lockedUntil, at(35));
    });

    test('concurrent hits on one key are each counted, and exactly one of them locks', async () => {
      const k = key();
      const results = await Promise.all(Array.from({ length: 12 }, () => fx.store.hit(k, policy, at(0))));
      assert.equal(results.filter((r) => r.lockedNow).length, 1);
      assert.deepEqual(
        results
          .map((r) => r.failures)
          .filter((f) => f > 0)
          .sort((a, b) => a - b),
        [1, 2, 3, 4],
      );
      const state = await fx.store.peek(k, at(1));
      assert.equal(state?.lockouts, 1);
    });

    test("keys are independent; reset forgets one; expiry follows the caller's clock", async () => {
      const a = key();
      const b = key();
      await fx.store.hit(a, policy, at(0));
      await fx.store.hit(b, policy, at(0));
      await fx.store.reset(a);
      assert.equal(await fx.store.peek(a, at(1)), null);
      assert.equal((await fx.store.peek(b, at(1)))?.failures, 1);
      assert.equal(await fx.store.peek(b, at(61)), null, 'past the window it is gone');
      assert.equal((await fx.store.hit(b, policy, at(61))).failures, 1, 'and a hit starts afresh');
    });

    test('refund takes one counted attempt back (S-73: counted before the check, refunded on success)', async () => {
      const k = key();
      await fx.store.hit(k, policy, at(0));
      const second = await fx.store.hit(k, policy, at(1));
      assert.equal(second.failures, 2);
      await fx.store.refund(k, policy, at(2), second);
      assert.equal((await fx.store.peek(k, at(2)))?.failures, 1);
      await fx.store.refund(k, policy, at(3), second);
      assert.equal(await fx.store.peek(k, at(3)), null, 'a record with nothing left in it is forgotten');
      await fx.store.refund(k, policy, at(3), second);
      assert.equal(await fx.store.peek(k, at(3)), null, 'and stays so (never below zero)');
      await fx.store.refund(key(), policy, at(3), second);
      assert.equal(await fx.store.peek(key(), at(3)), null, 'refunding an unknown key creates nothing');
    });

    test('refund of the attempt that locked lifts exactly that lockout', async () => {
      const k = key();
      for (let i = 1; i <= 4; i++) await fx.store.hit(k, policy, at(i));
      const fifth = await fx.store.hit(k, policy, at(5));
      assert.equal(fifth.lockedNow, true);
      await fx.store.refund(k, policy, at(6), fifth);
      const after = await fx.store.peek(k, at(6));
      assert.equal(after?.failures, 4, 'back to the four before it');
      assert.equal(after?.lockouts, 0);
      assert.ok(!after?.lockedUntil || after.lockedUntil <= at(6), 'not locked');
      const again = await fx.store.hit(k, policy, at(7));
      assert.equal(again.lockedNow, true, 'the next failure locks');
      assert.deepEqual(again.lockedUntil, at(37), 'for the first lockout length: the refunded one never happened');
    });

    test('refund leaves a lockout that another attempt started', async () => {
      const k = key();
      const first = await fx.store.hit(k, policy, at(0));
      for (let i = 1; i <= 4; i++) await fx.store.hit(k, policy, at(i));
      await fx.store.refund(k, policy, at(5), first);
      assert.deepEqual((await fx.store.peek(k, at(5)))?.lockedUntil, at(34), 'still locked');
      // And a refund of a lock that has since been replaced by a later one leaves the later one.
      const k2 = key();
      let locking = await fx.store.hit(k2, policy, at(0));
      for (let i = 1; i <= 4; i++) locking = await fx.store.hit(k2, policy, at(i));
      for (let i = 0; i < 5; i++) await fx.store.hit(k2, policy, at(40 + i));
      await fx.store.refund(k2, policy, at(45), locking);
      assert.equal((await fx.store.peek(k2, at(45)))?.lockouts, 2, 'the second lockout stands');
    });

    test('concurrent refunds are each applied once', async () => {
      const k = key();
      const loose: LockoutPolicy = { ...policy, maxFailures: 100 };
      const hits = await Promise.all(Array.from({ length: 20 }, () => fx.store.hit(k, loose, at(0))));
      await Promise.all(hits.slice(0, 15).map((h) => fx.store.refund(k, loose, at(1), h)));
      assert.equal((await fx.store.peek(k, at(1)))?.failures, 5);
    });

    test('purgeExpired removes only expired records, at most `limit` at a time', async () => {
      const far = at(100_000);
      const keys = [key(), key(), key()];
      for (const k of keys) await fx.store.hit(k, policy, far);
      const live = key();
      await fx.store.hit(live, policy, at(100_100));
      const after = at(100_061);
      let purged = 0;
      for (let i = 0; i < 10; i++) {
        const n = await fx.store.purgeExpired(after, 2);
        assert.ok(n <= 2);
        purged += n;
        if (n === 0) break;
      }
      assert.ok(purged >= 3, 'the three expired ones (and older leftovers) went');
      assert.equal((await fx.store.peek(live, at(100_100)))?.failures, 1, 'the live one stayed');
    });
  });
}
