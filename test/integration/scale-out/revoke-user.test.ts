import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../../src/db/db.js';
import { openPostgres } from '../../../src/db/postgres.js';
import type { RedisClient } from '../../../src/redis/connection.js';
import { HASH_PREFIXES_PER_MESSAGE } from '../../../src/sessions/bus/bus.js';
import type { PostgresBus } from '../../../src/sessions/bus/postgres.js';
import type { SessionStack } from '../../../src/sessions/stack.js';
import type { SessionRecord } from '../../../src/sessions/session.js';
import { RedisSessionCache } from '../../../src/sessions/tiers/redis-tier.js';
import { hashToken } from '../../../src/sessions/tokens.js';
import { PASSWORD, TestClient } from '../../support/client.js';
import { startRedis } from '../../support/redis-server.js';
import { createServerDatabase, type ServerDatabase } from '../../support/test-databases.js';
import { sessionFor } from '../sessions/store-contract.js';
import { configFor, makeUser, rawRedis, readyStack, redisPrefix, sameSessionOn, signedIn, startFleet, waitFor } from './support.js';

/**
 * Revoking every session of a user when Redis keeps no per-user index (issue 20): the sessions come
 * from PostgreSQL's `DELETE … RETURNING`, their Redis keys are deleted by name, and a publisher that
 * could not reach Redis names them on the bus, in as many messages as NOTIFY's payload limit needs.
 * Each "server" here is a session stack as a server builds it (PostgreSQL server, Redis, both buses,
 * its own memory cache).
 */
describe('revoking all of a user without a per-user Redis index', () => {
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

  /** Creates `n` sessions of `user` through `stack`, a few at a time (each a transaction and a Redis fill). */
  async function many(stack: SessionStack, user: Awaited<ReturnType<typeof makeUser>>, n: number): Promise<SessionRecord[]> {
    const out: SessionRecord[] = [];
    for (let i = 0; i < n; i += 20) {
      const batch = Array.from({ length: Math.min(20, n - i) }, () => sessionFor(user));
      await Promise.all(batch.map((s) => stack.store.create(s, user, 1000)));
      out.push(...batch);
    }
    return out;
  }

  async function inRedis(raw: RedisClient, keys: RedisSessionCache, sessions: SessionRecord[]): Promise<number> {
    let n = 0;
    for (let i = 0; i < sessions.length; i += 200)
      n += await raw.exists(...sessions.slice(i, i + 200).map((s) => keys.sessionKey(s.idHash)));
    return n;
  }

  async function readable(stack: SessionStack, sessions: SessionRecord[]): Promise<number> {
    const found = await Promise.all(sessions.map((s) => stack.store.get(s.idHash)));
    return found.filter((f) => f !== null).length;
  }

  test('more sessions than one NOTIFY payload can name, revoked by a CLI without Redis: gone from Redis and refused by every server', async () => {
    const redis = await startRedis();
    const prefix = redisPrefix();
    const withRedis = { DATABASE_URL: database.url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix };
    const servers = [await readyStack(configFor(withRedis), db), await readyStack(configFor(withRedis), db)];
    // `stockade revoke-user` run without REDIS_URL: PostgreSQL and its NOTIFY bus only, Redis untouched.
    const cli = await readyStack(configFor({ DATABASE_URL: database.url }), db);
    const raw = await rawRedis([redis.url]);
    const keys = new RedisSessionCache(raw, { keyPrefix: prefix });
    try {
      const u = await makeUser(db);
      const n = 3 * HASH_PREFIXES_PER_MESSAGE + 100;
      const sessions = await many(servers[0]!, u, n);
      for (const s of servers) assert.equal(await readable(s, sessions), n, 'signed in everywhere (memory and Redis warm)');
      assert.equal(await inRedis(raw, keys, sessions), n);

      const bus = cli.bus as PostgresBus;
      assert.equal(bus.kind, 'postgres');
      const published = bus.stats.published;
      assert.equal((await cli.store.deleteUser(u.id)).length, n);
      assert.ok(bus.stats.published - published >= 4, `one NOTIFY per ${HASH_PREFIXES_PER_MESSAGE} sessions`);

      // The servers delete the Redis copies the messages name; until each delete is done they do not
      // believe a Redis hit on the user (tiers/redis-tiered-store.ts `forget`).
      await waitFor(
        'every Redis copy deleted by the servers that heard the messages',
        async () => (await inRedis(raw, keys, sessions)) === 0,
        20_000,
      );
      assert.equal(bus.stats.publishFailures, 0, 'every message fit its payload');
      for (const [i, s] of servers.entries()) assert.equal(await readable(s, sessions), 0, `server ${i} accepts none`);
      assert.equal((await db.query('SELECT 1 FROM sessions WHERE user_id = $1', [u.id])).rows.length, 0);
    } finally {
      raw.disconnect();
      await cli.close();
      for (const s of servers) await s.close();
      await redis.stop();
    }
  });

  test('race: revoke-all of a user with many sessions in use on two servers (PostgreSQL + Redis): none survives anywhere', async () => {
    const redis = await startRedis();
    const prefix = redisPrefix();
    const env = { DATABASE_URL: database.url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix };
    // One server without a memory cache: every read goes to Redis, and a miss refills it (the race).
    const servers = [await readyStack(configFor({ ...env, SESSION_LOCAL_CACHE_SIZE: '0' }), db), await readyStack(configFor(env), db)];
    const raw = await rawRedis([redis.url]);
    const keys = new RedisSessionCache(raw, { keyPrefix: prefix });
    try {
      for (let round = 0; round < 6; round++) {
        const u = await makeUser(db);
        const sessions = await many(servers[0]!, u, 60);
        // Half of the copies gone (as after an eviction-free restart, or a flush): those reads refill.
        await raw.unlink(...sessions.filter((_, i) => i % 2 === 0).map((s) => keys.sessionKey(s.idHash)));
        if (round % 3 === 2) await raw.flushall(); // Redis emptied under the fleet: everything refills
        const reads = servers.flatMap((stack, k) =>
          sessions.map(async (s, i) => {
            for (let j = 0; j < 3; j++) {
              await sleep((i + j + k) % 4);
              await stack.store.get(s.idHash);
            }
          }),
        );
        const revoke = sleep(round % 4).then(() => servers[round % 2]!.store.deleteUser(u.id));
        const [gone] = await Promise.all([revoke, ...reads]);
        assert.equal(gone.length, 60, `round ${round}`);
        assert.equal(await inRedis(raw, keys, sessions), 0, `round ${round}: a revoked session left in Redis`);
        for (const [i, s] of servers.entries()) assert.equal(await readable(s, sessions), 0, `round ${round}: server ${i} accepts one`);
      }
    } finally {
      raw.disconnect();
      for (const s of servers) await s.close();
      await redis.stop();
    }
  });

  for (const restart of ['empty', 'with its data'] as const) {
    test(`Redis down during the revocation, back ${restart}: no revoked session is served, by either server`, async () => {
      const redis = await startRedis(restart === 'with its data' ? { settings: { appendonly: 'yes', appendfsync: 'always' } } : {});
      const prefix = redisPrefix();
      const env = { DATABASE_URL: database.url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix };
      const servers = [await readyStack(configFor(env), db), await readyStack(configFor(env), db)];
      const raw = await rawRedis([redis.url]);
      const keys = new RedisSessionCache(raw, { keyPrefix: prefix });
      try {
        const u = await makeUser(db);
        const sessions = await many(servers[0]!, u, 40);
        for (const s of servers) assert.equal(await readable(s, sessions), 40);
        assert.equal(await inRedis(raw, keys, sessions), 40);

        await redis.pause();
        assert.equal((await servers[0]!.store.deleteUser(u.id)).length, 40, 'revoked in PostgreSQL, Redis unreachable');
        for (const [i, s] of servers.entries()) assert.equal(await readable(s, sessions), 0, `server ${i}, Redis down`);

        await redis.resume();
        await waitFor('both servers trust Redis again', () => servers.every((s) => s.breaker?.up === true && s.bus?.up === true), 20_000);
        await waitFor('test client reconnected', async () => (await raw.ping().catch(() => null)) === 'PONG');
        assert.equal(await inRedis(raw, keys, sessions), 0, 'replayed or flushed before Redis was trusted');
        for (const [i, s] of servers.entries()) assert.equal(await readable(s, sessions), 0, `server ${i}, Redis back`);
      } finally {
        raw.disconnect();
        for (const s of servers) await s.close();
        await redis.stop();
      }
    });
  }

  // The erasure deletes the user row, and with it (a foreign-key cascade) its sessions: nothing in
  // PostgreSQL names them afterwards, so the transaction names them itself (privacy/delete-account.ts).
  test('an erased account: its sessions’ Redis copies are gone and every server refuses them', async () => {
    const redis = await startRedis();
    const fleet = await startFleet(2, { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redisPrefix() });
    const raw = await rawRedis([redis.url]);
    try {
      const [a, b] = fleet.servers;
      const keys = new RedisSessionCache(raw, { keyPrefix: a!.deps.config.redisKeyPrefix });
      const me = await signedIn(a!.url);
      const device = new TestClient(a!.url, { secureCookie: false });
      assert.equal((await device.login(me.username)).status, 200);
      const token = device.token!;
      assert.equal((await sameSessionOn(device, b!.url).get('/api/auth/session')).status, 200);
      assert.equal(await raw.exists(keys.sessionKey(hashToken(token))), 1, 'the other device’s session is in Redis');

      assert.equal((await me.client.delete('/api/me', { password: PASSWORD })).status, 204);
      assert.equal(await raw.exists(keys.sessionKey(hashToken(token))), 0, 'its Redis copy went with the account');
      for (const s of fleet.servers) assert.equal((await sameSessionOn(device, s.url).get('/api/auth/session')).status, 401, s.url);
    } finally {
      raw.disconnect();
      await fleet.close();
      await redis.stop();
    }
  });
});
