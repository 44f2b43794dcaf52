import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PostgresRateLimitStore } from '../../../src/auth/postgres-rate-limit-store.js';
import { RedisRateLimitStore } from '../../../src/auth/redis-rate-limit-store.js';
import type { LockoutPolicy } from '../../../src/auth/rate-limit-store.js';
import { PASSWORD, TestClient } from '../../support/client.js';
import { type Haproxy, startHaproxy } from '../../support/haproxy.js';
import { openTestPglite } from '../../support/pglite.js';
import { startRedis } from '../../support/redis-server.js';
import { testRedisUrl } from '../../support/test-databases.js';
import { runRateLimitStoreContract } from '../defences/rate-limit-store-contract.js';
import { configFor, type Fleet, rawRedis, readyStack, redisPrefix, signedIn, startFleet, waitFor } from './support.js';

/**
 * Sign-in throttling on Redis: the RateLimitStore contract (the same suite as PostgreSQL's), limits that
 * hold across servers, and PostgreSQL taking over while Redis is down.
 */

runRateLimitStoreContract('redis', async () => {
  const db = await openTestPglite();
  const prefix = redisPrefix();
  const stack = await readyStack(configFor({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix }), db);
  const { redis, breaker } = stack;
  if (!redis || !breaker) throw new Error('no redis in the stack');
  const store = new RedisRateLimitStore(redis, { keyPrefix: prefix, breaker, fallback: new PostgresRateLimitStore(db) });
  return {
    store,
    close: async () => {
      await stack.close();
      await db.close();
    },
  };
});

const policy: LockoutPolicy = { maxFailures: 3, windowSeconds: 60, lockoutBaseSeconds: 30, lockoutMaxSeconds: 120 };

describe('Redis rate limits', () => {
  test('with Redis down, hits go to PostgreSQL and are still counted; with Redis back, to Redis again', async () => {
    const redis = await startRedis();
    const db = await openTestPglite();
    const prefix = redisPrefix();
    const stack = await readyStack(configFor({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix }), db);
    const fallback = new PostgresRateLimitStore(db);
    const store = new RedisRateLimitStore(stack.redis!, { keyPrefix: prefix, breaker: stack.breaker!, fallback });
    try {
      const now = new Date();
      assert.equal((await store.hit('k', policy, now)).failures, 1);
      assert.equal(await fallback.peek('k', now), null, 'Redis took it');
      await redis.pause();
      const t0 = Date.now();
      assert.equal((await store.hit('k2', policy, now)).failures, 1);
      assert.equal((await store.hit('k2', policy, now)).failures, 2);
      assert.equal((await store.hit('k2', policy, now)).lockedNow, true, 'locks during the outage too');
      assert.equal((await store.peek('k2', now))?.lockouts, 1);
      assert.ok(Date.now() - t0 < 1500, 'fails over fast');
      assert.equal((await fallback.peek('k2', now))?.lockouts, 1, 'kept in PostgreSQL');
      await redis.resume();
      await waitFor('breaker up', () => stack.breaker?.up === true);
      assert.equal((await store.hit('k3', policy, now)).failures, 1);
      assert.equal(await fallback.peek('k3', now), null, 'Redis again');
      await store.reset('k2');
      assert.equal(await fallback.peek('k2', now), null, 'a reset clears the fallback too');
    } finally {
      await stack.close();
      await db.close();
      await redis.stop();
    }
  });
});

describe('sign-in throttling across three servers', () => {
  let fleet: Fleet;
  let lb: Haproxy;
  let prefix: string;

  before(async () => {
    prefix = redisPrefix();
    fleet = await startFleet(3, { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix, LOGIN_MAX_FAILURES: '4' });
    lb = await startHaproxy(fleet.servers.map((s) => ({ host: '127.0.0.1', port: Number(new URL(s.url).port) })));
  });
  after(async () => {
    await lb?.stop();
    await fleet?.close();
  });

  test('failures spread over the servers add up to one limit, held in Redis', async () => {
    const { username } = await signedIn(lb.url);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await new TestClient(lb.url, { secureCookie: false }).login(username, 'wrong password, attempt');
      statuses.push(res.status);
    }
    assert.deepEqual(statuses.slice(0, 3), [401, 401, 401]);
    assert.ok(
      statuses.slice(4).every((s) => s === 429),
      `locked after 4 failures across servers: ${statuses}`,
    );
    for (const s of fleet.servers) {
      const res = await new TestClient(s.url, { secureCookie: false }).login(username);
      assert.equal(res.status, 429, 'every server refuses, even the right password');
      assert.ok(Number(res.headers.get('retry-after')) > 0);
    }
    const raw = await rawRedis([testRedisUrl()]);
    try {
      let cursor = '0';
      let found = 0;
      do {
        const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}r:*`, 'COUNT', 1000);
        cursor = next;
        found += keys.length;
      } while (cursor !== '0');
      assert.ok(found >= 1, 'the records are in Redis');
      const rows = await fleet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM rate_limits');
      assert.equal(rows.rows[0]?.n, 0, 'and not in PostgreSQL');
    } finally {
      raw.disconnect();
    }
  });

  test('S-73 on Redis: 29 guesses in flight across the servers, then the right one: refused, at most the limit checked', async () => {
    const { id, username } = await signedIn(lb.url);
    const from = '127.0.0.77';
    const urls = fleet.servers.map((s) => s.url);
    const guesses: Promise<number>[] = [];
    for (let i = 0; i < 29; i++) {
      const c = new TestClient(urls[i % urls.length]!, { secureCookie: false });
      guesses.push(c.login(username, `wrong guess ${i}`, { localAddress: from }).then((r) => r.status));
      await sleep(1);
    }
    const right = await new TestClient(urls[0]!, { secureCookie: false }).login(username, PASSWORD, { localAddress: from });
    const statuses = await Promise.all(guesses);
    const rows = await fleet.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE type = 'login.failure' AND user_id = $1`,
      [id],
    );
    const checked = rows.rows[0]?.n ?? -1;
    assert.equal(right.status, 429, `the right password after 29 guesses in flight (guesses: ${statuses}; ${checked} checked)`);
    assert.ok(checked <= 4, `${checked} guesses were checked; the limit is 4`);
  });
});
