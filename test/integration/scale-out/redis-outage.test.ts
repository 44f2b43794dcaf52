import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../../src/db/db.js';
import { PostgresRateLimitStore } from '../../../src/auth/postgres-rate-limit-store.js';
import { RedisRateLimitStore } from '../../../src/auth/redis-rate-limit-store.js';
import { openPostgres } from '../../../src/db/postgres.js';
import type { RedisClient } from '../../../src/redis/connection.js';
import { RedisSessionCache } from '../../../src/sessions/tiers/redis-tier.js';
import { startRedis, type RedisServer } from '../../support/redis-server.js';
import { createServerDatabase, type ServerDatabase } from '../../support/test-databases.js';
import { sessionFor } from '../sessions/store-contract.js';
import { configFor, makeUser, rawRedis, readyStack, redisCarrier, redisPrefix, waitFor } from './support.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/**
 * Redis failing under the session stack: killed (comes back empty), cut off from one server while it
 * keeps its data (a partition), restarted with its data (a reloaded snapshot). PostgreSQL must carry
 * every request meanwhile, and Redis must never be trusted again while it may hold a revoked session.
 */
describe('Redis outages', () => {
  let database: ServerDatabase;
  let db: Db;

  before(async () => {
    database = await createServerDatabase();
    db = openPostgres(database.url);
  });
  after(async () => {
    await db.close();
    await database.drop();
  });

  test('Redis killed: every operation works from PostgreSQL, no throw; back empty: trusted and warm again', async () => {
    const redis = await startRedis();
    const env = { DATABASE_URL: database.url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: redisPrefix() };
    const stack = await readyStack(configFor(env), db);
    try {
      const u = await makeUser(db);
      const keep = sessionFor(u);
      await stack.store.create(keep, u, 20);
      assert.ok(await stack.store.get(keep.idHash));

      await redis.pause();
      const during = sessionFor(u);
      const t0 = Date.now();
      await stack.store.create(during, u, 20);
      assert.equal((await stack.store.get(during.idHash))?.session.id, during.id);
      assert.equal((await stack.store.get(keep.idHash))?.session.id, keep.id, 'nobody signed out');
      assert.equal(await stack.store.touch(keep.idHash, new Date(), new Date(Date.now() + 60_000)), true);
      assert.ok(await stack.store.delete(during.idHash));
      assert.equal(await stack.store.get(during.idHash), null);
      assert.ok(Date.now() - t0 < 1500, `fails fast: ${Date.now() - t0} ms for six operations`);
      assert.equal(stack.breaker?.up, false);
      // PostgreSQL still carries every revocation, but later than a publisher hears its own: memory is off.
      await waitFor('Redis pub/sub noticed down', () => !redisCarrier(stack).up, 4000);
      assert.equal(stack.bus?.up, false);
      assert.equal(stack.cache?.enabled, false, 'memory off while only PostgreSQL carries revocations');
      assert.equal((await stack.store.get(keep.idHash))?.session.id, keep.id, 'still nobody signed out');
      const redisCheck = stack.readinessChecks.find((c) => c.name === 'redis');
      await assert.rejects(redisCheck!.check());

      await redis.resume();
      await waitFor('breaker up', () => stack.breaker?.up === true);
      await waitFor('Redis bus up', () => redisCarrier(stack).up);
      assert.equal(stack.breaker?.clean, true);
      await redisCheck!.check();
      const hits = stack.tiered!.stats.redisHits;
      assert.ok(await stack.store.get(keep.idHash)); // refills
      assert.ok(await stack.store.get(keep.idHash)); // local cache
      stack.cache?.clear();
      assert.ok(await stack.store.get(keep.idHash)); // Redis
      assert.ok(stack.tiered!.stats.redisHits > hits, 'Redis serves again');
    } finally {
      await stack.close();
      await redis.stop();
    }
  });

  test('partition: a server cut off from a Redis that keeps its data: the others delete what it could not; it redoes its lost deletes before trusting Redis', async () => {
    const redis = await startRedis();
    const proxy: TcpProxy = await startTcpProxy(redis.port);
    const prefix = redisPrefix();
    const cutOff = await readyStack(configFor({ DATABASE_URL: database.url, REDIS_URL: proxy.url, REDIS_KEY_PREFIX: prefix }), db);
    const healthy = await readyStack(configFor({ DATABASE_URL: database.url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix }), db);
    const raw: RedisClient = await rawRedis([redis.url]);
    const keys = new RedisSessionCache(raw, { keyPrefix: prefix });
    try {
      const u = await makeUser(db);
      const s = sessionFor(u);
      await healthy.store.create(s, u, 20);
      assert.ok(await healthy.store.get(s.idHash), 'in Redis and in the healthy server’s memory');
      assert.ok(await cutOff.store.get(s.idHash));

      proxy.cut();
      const forgotten = healthy.tiered!.stats.forgotten;
      assert.ok(await cutOff.store.delete(s.idHash), 'revoked in PostgreSQL');
      assert.equal(await cutOff.store.get(s.idHash), null);
      assert.ok((cutOff.breaker?.pendingDeletes ?? 0) >= 1, 'the Redis delete was lost and journaled');
      // Its message went through PostgreSQL saying "Redis not cleaned": the healthy server deletes the key.
      await waitFor('the healthy server deleted the Redis copy', async () => (await raw.exists(keys.sessionKey(s.idHash))) === 0, 5000);
      assert.equal(healthy.tiered!.stats.forgotten, forgotten + 1);
      assert.equal(await healthy.store.get(s.idHash), null);

      proxy.heal();
      await waitFor('the cut-off server trusts Redis again', () => cutOff.breaker?.up === true);
      assert.ok(cutOff.breaker!.stats.replayed >= 1, 'its lost delete was redone first');
      assert.equal(await raw.exists(keys.sessionKey(s.idHash)), 0);
    } finally {
      raw.disconnect();
      await cutOff.close();
      await healthy.close();
      await proxy.close();
      await redis.stop();
    }
  });

  test('Redis full (maxmemory, noeviction): sessions and revocations keep working, Redis stays in service', async () => {
    const redis = await startRedis({ settings: { maxmemory: '1200kb', 'maxmemory-policy': 'noeviction' } });
    const prefix = redisPrefix();
    const stack = await readyStack(configFor({ DATABASE_URL: database.url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix }), db);
    const raw = await rawRedis([redis.url]);
    try {
      const u = await makeUser(db);
      const trips = stack.breaker!.stats.trips;
      let refused = false;
      for (let i = 0; i < 200 && !refused; i++) {
        await raw.set(`filler:${i}`, Buffer.alloc(16_384)).catch((err: Error) => {
          refused = /OOM/.test(err.message);
        });
      }
      assert.ok(refused, 'Redis is full');
      const s = sessionFor(u);
      await stack.store.create(s, u, 20);
      assert.equal((await stack.store.get(s.idHash))?.session.id, s.id, 'served from PostgreSQL');
      assert.equal(await stack.store.touch(s.idHash, new Date(), new Date(Date.now() + 60_000)), true);
      assert.ok(await stack.store.delete(s.idHash));
      assert.equal(await stack.store.get(s.idHash), null);
      const fallback = new PostgresRateLimitStore(db);
      const limits = new RedisRateLimitStore(raw, { keyPrefix: prefix, breaker: stack.breaker!, fallback });
      const policy = { maxFailures: 3, windowSeconds: 60, lockoutBaseSeconds: 30, lockoutMaxSeconds: 60 };
      assert.equal((await limits.hit(`full:${prefix}`, policy, new Date())).failures, 1);
      assert.equal((await fallback.peek(`full:${prefix}`, new Date()))?.failures, 1, 'counted in PostgreSQL instead');
      assert.equal(stack.breaker!.stats.trips, trips, 'a full Redis is not a down Redis');
      assert.equal(stack.breaker!.up, true);
    } finally {
      raw.disconnect();
      await stack.close();
      await redis.stop();
    }
  });

  test('a node that restarts with its old data (run_id changed) is flushed before it is trusted', async () => {
    const redis: RedisServer = await startRedis({ settings: { appendonly: 'yes', appendfsync: 'always' } });
    const prefix = redisPrefix();
    const stack = await readyStack(configFor({ DATABASE_URL: database.url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix }), db);
    const raw: RedisClient = await rawRedis([redis.url]);
    const keys = new RedisSessionCache(raw, { keyPrefix: prefix });
    try {
      const u = await makeUser(db);
      const s = sessionFor(u);
      await stack.store.create(s, u, 20);
      await raw.set('outside-the-prefix', 'survives restarts');
      const repairs = stack.breaker!.stats.repairs;
      await redis.pause();
      await redis.resume();
      await waitFor('repaired', () => stack.breaker!.stats.repairs === repairs + 1 && stack.breaker!.up);
      await waitFor('test client reconnected', async () => (await raw.get('outside-the-prefix').catch(() => null)) !== null);
      assert.equal(await raw.get('outside-the-prefix'), 'survives restarts', 'the data did come back from disk');
      assert.equal(await raw.exists(keys.sessionKey(s.idHash)), 0, 'flushed: a reloaded snapshot may hold revoked sessions');
      assert.ok(await stack.store.get(s.idHash), 'still signed in, from PostgreSQL');
    } finally {
      raw.disconnect();
      await stack.close();
      await redis.stop();
    }
  });
});
