import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { LockMemo } from '../../../src/auth/lock-memo.js';
import { PostgresRateLimitStore } from '../../../src/auth/postgres-rate-limit-store.js';
import { Pseudonyms } from '../../../src/auth/pseudonyms.js';
import type { HitResult, LockoutPolicy, RateLimitState, RateLimitStore } from '../../../src/auth/rate-limit-store.js';
import { RedisRateLimitStore } from '../../../src/auth/redis-rate-limit-store.js';
import { LoginThrottle, type ThrottlePolicy } from '../../../src/auth/throttle.js';
import type { Db } from '../../../src/db/db.js';
import { openPostgres } from '../../../src/db/postgres.js';
import { openTestPglite } from '../../support/pglite.js';
import { createServerDatabase } from '../../support/test-databases.js';
import { testRedisUrl } from '../../support/test-databases.js';
import { configFor, readyStack, redisPrefix } from '../scale-out/support.js';

/**
 * A flood of sign-ins against a locked key is refused from memory (src/auth/lock-memo.ts, S-87): the
 * store is read once, not three times per refusal; a lock this server lifts is forgotten at once, one
 * lifted elsewhere within the memo's bound; and nothing the memo holds ever lets an attempt through.
 * On every store: PGlite, a PostgreSQL server, Redis.
 */

const lockout = { windowSeconds: 600, lockoutBaseSeconds: 600, lockoutMaxSeconds: 600 };
const POLICY: ThrottlePolicy = {
  pair: { ...lockout, maxFailures: 3 },
  account: { ...lockout, maxFailures: 50 },
  address: { ...lockout, maxFailures: 30 },
};

/** The real store, with every call counted (how many times a refusal reaches it). */
class CountingStore implements RateLimitStore {
  calls = 0;
  constructor(private readonly inner: RateLimitStore) {}
  hit(key: string, policy: LockoutPolicy, now: Date): Promise<HitResult> {
    this.calls++;
    return this.inner.hit(key, policy, now);
  }
  peek(key: string, now: Date): Promise<RateLimitState | null> {
    this.calls++;
    return this.inner.peek(key, now);
  }
  refund(key: string, policy: LockoutPolicy, now: Date, counted: HitResult): Promise<void> {
    this.calls++;
    return this.inner.refund(key, policy, now, counted);
  }
  reset(key: string): Promise<void> {
    this.calls++;
    return this.inner.reset(key);
  }
  purgeExpired(now: Date, limit: number): Promise<number> {
    return this.inner.purgeExpired(now, limit);
  }
}

interface Fixture {
  db: Db;
  store: RateLimitStore;
  close(): Promise<void>;
}

const STORES: Record<string, () => Promise<Fixture>> = {
  pglite: async () => {
    const db = await openTestPglite();
    return { db, store: new PostgresRateLimitStore(db), close: () => db.close() };
  },
  postgres: async () => {
    const created = await createServerDatabase();
    const db = openPostgres(created.url);
    return {
      db,
      store: new PostgresRateLimitStore(db),
      close: async () => {
        await db.close();
        await created.drop();
      },
    };
  },
  redis: async () => {
    const db = await openTestPglite();
    const prefix = redisPrefix();
    const stack = await readyStack(configFor({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix }), db);
    if (!stack.redis || !stack.breaker) throw new Error('no redis in the stack');
    const store = new RedisRateLimitStore(stack.redis, {
      keyPrefix: prefix,
      breaker: stack.breaker,
      fallback: new PostgresRateLimitStore(db),
    });
    return {
      db,
      store,
      close: async () => {
        await stack.close();
        await db.close();
      },
    };
  },
};

const IP = '192.0.2.7';
const wrong = async () => null;

for (const [name, open] of Object.entries(STORES)) {
  describe(`locked sign-ins are refused from memory (${name})`, () => {
    let fx: Fixture;
    before(async () => {
      fx = await open();
    });
    after(() => fx.close());

    /** A throttle as one server has it, over the shared store (counted), with its own memo. */
    const server = (memo?: LockMemo) => {
      const store = new CountingStore(fx.store);
      return { store, throttle: new LoginThrottle(store, new Pseudonyms(fx.db), POLICY, Date.now, memo) };
    };
    /** Three wrong passwords: the (account, address) key locks on the third. */
    const lock = async (throttle: LoginThrottle, username: string) => {
      const counters = await throttle.signIn(username, IP);
      for (let i = 0; i < 2; i++) assert.equal((await throttle.attempt(counters, wrong)).kind, 'failed');
      const third = await throttle.attempt(counters, wrong);
      assert.ok(third.kind === 'failed' && third.lockedUntil, 'the third failure locks');
      return counters;
    };

    test('60 attempts in flight against a locked key: all refused, none checked, the store barely read', async () => {
      const { store, throttle } = server();
      const username = `victim-${randomUUID()}`;
      const counters = await lock(throttle, username);
      const before = store.calls;
      let checked = 0;
      const outcomes = await Promise.all(
        Array.from({ length: 60 }, () =>
          throttle.attempt(counters, async () => {
            checked++;
            return 'user';
          }),
        ),
      );
      assert.deepEqual(new Set(outcomes.map((o) => o.kind)), new Set(['locked']));
      assert.equal(checked, 0, 'no password was checked while locked');
      const reads = store.calls - before;
      // Before: three peeks per refusal (180). Now at most one look of the three keys.
      assert.ok(reads <= counters.length, `${reads} store calls for 60 refusals`);
    });

    test('an unknown username and a real one are refused alike (the memo is keyed by pseudonym, not by account)', async () => {
      const { store, throttle } = server();
      const a = await lock(throttle, `real-${randomUUID()}`);
      const b = await lock(throttle, `ghost-${randomUUID()}`);
      const before = store.calls;
      assert.equal((await throttle.attempt(a, wrong)).kind, 'locked');
      assert.equal((await throttle.attempt(b, wrong)).kind, 'locked');
      assert.equal(store.calls, before);
    });

    test('a lock this server lifts is forgotten at once: a completed password reset, the locking attempt proving right', async () => {
      const { throttle } = server();
      const username = `owner-${randomUUID()}`;
      const counters = await lock(throttle, username);
      assert.equal((await throttle.attempt(counters, async () => 'user')).kind, 'locked');
      await throttle.clearAccount(username, IP);
      assert.equal((await throttle.attempt(counters, async () => 'user')).kind, 'ok', 'signed in right after the reset');

      // Two wrong, then the right one is the third: it locks the key, is checked, and its refund lifts
      // the lock it set; the next attempt is asked of the store again, not refused from memory.
      const other = await throttle.signIn(`owner-${randomUUID()}`, IP);
      for (let i = 0; i < 2; i++) assert.equal((await throttle.attempt(other, wrong)).kind, 'failed');
      assert.equal((await throttle.attempt(other, async () => 'user')).kind, 'ok');
      assert.equal((await throttle.attempt(other, async () => 'user')).kind, 'ok');
    });

    test('a lock lifted on another server is honoured here until the memo entry ages out, then the store is asked', async () => {
      let t = 0;
      const memo = new LockMemo({ maxAgeMs: 1000, maxEntries: 100, monotonic: () => t });
      const a = server(memo);
      const b = server();
      const username = `owner-${randomUUID()}`;
      const counters = await lock(a.throttle, username);
      await b.throttle.clearAccount(username, IP);
      assert.equal((await a.throttle.attempt(counters, async () => 'user')).kind, 'locked', 'stricter than the store, never looser');
      t += 1000;
      assert.equal((await a.throttle.attempt(counters, async () => 'user')).kind, 'ok');
    });
  });
}
