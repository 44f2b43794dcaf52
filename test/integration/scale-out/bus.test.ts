import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../../src/db/db.js';
import { openPostgres } from '../../../src/db/postgres.js';
import type { RedisClient } from '../../../src/redis/connection.js';
import type { SessionStack } from '../../../src/sessions/stack.js';
import type { PostgresBus } from '../../../src/sessions/bus/postgres.js';
import { startRedis } from '../../support/redis-server.js';
import { createServerDatabase, type ServerDatabase, testRedisUrl } from '../../support/test-databases.js';
import { sessionFor } from '../sessions/store-contract.js';
import { configFor, makeUser, rawRedis, readyStack, redisCarrier, redisPrefix, waitFor } from './support.js';
import { startTcpProxy } from './tcp-proxy.js';

/**
 * The revocation bus keeps local caches honest only while it is connected. Cut it, and the server must
 * empty its cache and read through until it is back — so it never accepts a token revoked meanwhile.
 * With Redis on a PostgreSQL server the bus is both carriers (sessions/bus/fanout.ts): cutting Redis pub/sub
 * alone loses no message (PostgreSQL carries every one), but PostgreSQL delivers later than Redis, so the
 * cache is off until the Redis subscription is back.
 */

async function cachedOn(stack: SessionStack, idHash: Buffer): Promise<boolean> {
  // A second read that does not reach the tier below proves the entry is in this server's memory.
  const hits = stack.cache?.stats.hits ?? 0;
  await stack.store.get(idHash);
  return (stack.cache?.stats.hits ?? 0) > hits;
}

describe('revocation bus', () => {
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

  test('Redis: a revocation on one server empties the other’s cache, in milliseconds', async () => {
    const env = { DATABASE_URL: database.url, REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: redisPrefix() };
    const a = await readyStack(configFor(env), db);
    const b = await readyStack(configFor(env), db);
    try {
      const u = await makeUser(db);
      const s = sessionFor(u);
      await a.store.create(s, u, 20);
      assert.ok(await b.store.get(s.idHash));
      assert.ok(await cachedOn(b, s.idHash));
      const t0 = performance.now();
      await a.store.deleteUser(u.id);
      await waitFor('b dropped it', () => b.cache?.size === 0, 2000);
      assert.ok(performance.now() - t0 < 500);
      assert.equal(await b.store.get(s.idHash), null);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('Redis: subscriber killed (CLIENT KILL) → reconnects; never serves a token revoked meanwhile (PostgreSQL carries it)', async () => {
    const env = { DATABASE_URL: database.url, REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: redisPrefix() };
    const victim = await readyStack(configFor(env), db);
    const revoker = await readyStack(configFor(env), db);
    const admin: RedisClient = await rawRedis([testRedisUrl()]);
    try {
      const u = await makeUser(db);
      for (let round = 0; round < 10; round++) {
        const s = sessionFor(u);
        await revoker.store.create(s, u, 100);
        assert.ok(await victim.store.get(s.idHash));
        assert.ok(await cachedOn(victim, s.idHash), `round ${round}: cached before the cut`);
        const sub = redisCarrier(victim).subscriberId();
        assert.ok(sub);
        await admin.call('CLIENT', 'KILL', 'ID', String(sub.id));
        // Revoked while the victim cannot hear it through Redis; the victim is asked at once and throughout.
        let done = false;
        const revoked = revoker.store.delete(s.idHash).then((ok) => {
          done = true;
          return ok;
        });
        const answers: { accepted: boolean; afterRevoke: boolean }[] = [];
        const asking = (async () => {
          for (let i = 0; i < 30; i++) {
            const accepted = (await victim.store.get(s.idHash)) !== null;
            answers.push({ accepted, afterRevoke: done });
            await new Promise((r) => setTimeout(r, 2));
          }
        })();
        assert.ok(await revoked);
        for (let i = 0; i < 10; i++) answers.push({ accepted: (await victim.store.get(s.idHash)) !== null, afterRevoke: true });
        await asking;
        const lateAccepts = answers.filter((a) => a.afterRevoke && a.accepted).length;
        assert.equal(lateAccepts, 0, `round ${round}: accepted after the revocation had answered`);
        const firstRefusal = answers.findIndex((a) => !a.accepted);
        assert.ok(
          answers.slice(firstRefusal).every((a) => !a.accepted),
          `round ${round}: once refused, never accepted again`,
        );
        assert.equal(await victim.store.get(s.idHash), null);
        await waitFor('Redis bus back', () => redisCarrier(victim).up, 5000);
        assert.equal(victim.cache?.enabled, true, 'memory in use again once both carriers are up');
        assert.equal(await victim.store.get(s.idHash), null, `round ${round}: still refused after reconnecting`);
      }
      assert.ok(redisCarrier(victim).stats.downs >= 10);
    } finally {
      admin.disconnect();
      await victim.close();
      await revoker.close();
    }
  });

  test('Redis: a silent partition is noticed by the heartbeat within ~2 s, and the server reads through', async () => {
    const redis = await startRedis();
    const proxy = await startTcpProxy(redis.port);
    const stack = await readyStack(configFor({ DATABASE_URL: database.url, REDIS_URL: proxy.url, REDIS_KEY_PREFIX: redisPrefix() }), db);
    try {
      const u = await makeUser(db);
      const s = sessionFor(u);
      await stack.store.create(s, u, 20);
      assert.ok(await cachedOn(stack, s.idHash));
      const t0 = Date.now();
      proxy.freeze();
      await waitFor('Redis bus down', () => !redisCarrier(stack).up, 4000);
      const noticed = Date.now() - t0;
      assert.ok(noticed <= 2500, `noticed after ${noticed} ms`);
      assert.equal(stack.bus?.up, false, 'PostgreSQL alone hears every revocation, but later than its publisher');
      assert.equal(stack.cache?.enabled, false, 'so this server reads through');
      assert.ok(await stack.store.get(s.idHash), 'still signed in');
      await waitFor('bus and Redis back on fresh connections', () => redisCarrier(stack).up && stack.breaker?.up === true, 8000);
    } finally {
      await stack.close();
      await proxy.close();
      await redis.stop();
    }
  });

  test('revoke-all on one server empties every other server’s memory (PostgreSQL alone, and Redis + PostgreSQL)', async () => {
    for (const env of <Record<string, string>[]>[
      { DATABASE_URL: database.url },
      { DATABASE_URL: database.url, REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: redisPrefix() },
    ]) {
      const a = await readyStack(configFor(env), db);
      const b = await readyStack(configFor(env), db);
      try {
        const u = await makeUser(db);
        const v = await makeUser(db);
        const sessions = [sessionFor(u), sessionFor(v)];
        for (const s of sessions) await a.store.create(s, s.userId === u.id ? u : v, 20);
        for (const s of sessions) {
          assert.ok(await b.store.get(s.idHash));
          assert.ok(await cachedOn(b, s.idHash), `${b.description}: cached`);
        }
        assert.ok((await a.store.deleteAll()) >= 2);
        await waitFor('b emptied its memory', () => b.cache?.size === 0, 2000);
        for (const s of sessions) assert.equal(await b.store.get(s.idHash), null, b.description);
      } finally {
        await a.close();
        await b.close();
      }
    }
  });

  test('PostgreSQL LISTEN/NOTIFY: revocations travel; a terminated listener empties the cache until it is back', async () => {
    const env = { DATABASE_URL: database.url };
    const a = await readyStack(configFor(env), db);
    const b = await readyStack(configFor(env), db);
    try {
      assert.equal(b.bus?.kind, 'postgres');
      const u = await makeUser(db);
      const s = sessionFor(u);
      await a.store.create(s, u, 20);
      assert.ok(await b.store.get(s.idHash));
      assert.ok(await cachedOn(b, s.idHash));
      await a.store.delete(s.idHash);
      await waitFor('b dropped it', () => b.cache?.size === 0, 2000);
      assert.equal(await b.store.get(s.idHash), null);

      const s2 = sessionFor(u);
      await a.store.create(s2, u, 20);
      assert.ok(await b.store.get(s2.idHash));
      assert.ok(await cachedOn(b, s2.idHash));
      const pid = (b.bus as PostgresBus).listenerPid;
      assert.ok(pid);
      await db.query('SELECT pg_terminate_backend($1)', [pid]);
      await waitFor('listener gone', () => b.bus?.up === false || (b.bus as PostgresBus).listenerPid !== pid, 2000);
      await a.store.delete(s2.idHash);
      assert.equal(await b.store.get(s2.idHash), null, 'not served from a cache nobody could empty');
      await waitFor('listening again', () => b.bus?.up === true, 5000);
      assert.equal(await b.store.get(s2.idHash), null);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
