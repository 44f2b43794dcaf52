import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestClient } from '../../support/client.js';
import { startHaproxy } from '../../support/haproxy.js';
import { startPostgresServer } from '../../support/pg-server.js';
import { startRedis } from '../../support/redis-server.js';
import { startTestServer } from '../../support/app.js';
import { openPostgres } from '../../../src/db/postgres.js';
import { migrate } from '../../../src/db/migrate.js';
import { rawRedis, redisPrefix, signedIn, startFleet, waitFor } from './support.js';

/**
 * Failures under steady authenticated traffic. Redis is a cache: losing it must cost speed, never a
 * sign-out or an error. PostgreSQL is the truth: losing it is a clean 503 with Retry-After, never a crash.
 */

/** Clients looping GET /api/auth/session through `url` until stopped; every status is counted. */
function traffic(clients: TestClient[]) {
  const statuses = new Map<number, number>();
  let running = true;
  const loops = clients.map(async (c) => {
    while (running) {
      const res = await c.get('/api/auth/session');
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      await sleep(2);
    }
  });
  return {
    statuses,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe('failures under traffic', () => {
  test('Redis stopped during steady traffic on three servers: zero 5xx, nobody signed out; back: warm again', async () => {
    const redis = await startRedis();
    const prefix = redisPrefix();
    const fleet = await startFleet(3, { REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix });
    const lb = await startHaproxy(fleet.servers.map((s) => ({ host: '127.0.0.1', port: Number(new URL(s.url).port) })));
    const raw = await rawRedis([redis.url]);
    try {
      const users = await Promise.all([1, 2, 3, 4].map(() => signedIn(lb.url)));
      const load = traffic(users.map((u) => u.client));
      await sleep(500);
      await redis.pause();
      await sleep(500);
      // Each server's heartbeat notices within ~2 s; until Redis is back they read through, from PostgreSQL.
      await waitFor('every server noticed', () => fleet.servers.every((s) => s.deps.sessionStack?.bus?.up === false), 5000);
      for (const s of fleet.servers) {
        const ready = await fetch(`${s.url}/readyz`);
        assert.equal(ready.status, 200, 'degraded is still ready: PostgreSQL serves');
        const body = (await ready.json()) as { status: string; checks: Record<string, string> };
        assert.equal(body.status, 'degraded');
        assert.equal(body.checks.redis, 'down');
        // PostgreSQL still carries every revocation, but the memory cache waits for Redis pub/sub (bus/fanout.ts).
        assert.equal(body.checks['session-bus'], 'down');
        assert.equal(s.deps.sessionStack?.cache?.enabled, false);
        assert.equal(body.checks.database, 'ok');
      }
      await redis.resume();
      await waitFor('every server trusts Redis and hears the bus again', () =>
        fleet.servers.every((s) => s.deps.sessionStack?.breaker?.up && s.deps.sessionStack?.bus?.up),
      );
      const hitsBefore = fleet.servers.map((s) => s.deps.sessionStack?.cache?.stats.hits ?? 0);
      await sleep(800);
      await load.stop();

      const all = [...load.statuses.entries()];
      assert.deepEqual(
        all.filter(([status]) => status !== 200),
        [],
        `every request answered 200 (${JSON.stringify(Object.fromEntries(all))})`,
      );
      assert.ok((load.statuses.get(200) ?? 0) > 100, 'there was traffic');
      for (const u of users) assert.equal((await u.client.get('/api/auth/session')).status, 200, 'nobody signed out');
      // Warm again: sessions back in Redis, and each server answering from memory.
      const [, keys] = await raw.scan('0', 'MATCH', `${prefix}s*`, 'COUNT', 1000);
      assert.ok(keys.length >= 1, 'Redis refilled');
      fleet.servers.forEach((s, i) => {
        assert.ok((s.deps.sessionStack?.cache?.stats.hits ?? 0) > hitsBefore[i]!, `server ${i} answers from its cache again`);
      });
    } finally {
      raw.disconnect();
      await lb.stop();
      await fleet.close();
      await redis.stop();
    }
  });

  test('PostgreSQL stopped: 503 unavailable with Retry-After, no crash; cached sessions keep working; back: all well', async () => {
    const pg = await startPostgresServer();
    const redis = await startRedis();
    const setup = openPostgres(pg.url, { max: 1 });
    await migrate(setup);
    await setup.close();
    const db = openPostgres(pg.url, { connectionTimeoutMillis: 1000 });
    const server = await startTestServer({
      db,
      env: { DATABASE_URL: pg.url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: redisPrefix(), COOKIE_SECURE: 'false', LOG_LEVEL: 'silent' },
    });
    try {
      await server.deps.sessionStack?.ready(10_000);
      const { client } = await signedIn(server.url);
      assert.equal((await client.get('/api/auth/session')).status, 200);

      await pg.pause();
      const stranger = (await signedIn(server.url).catch((err: Error) => err)) as Error;
      assert.match(stranger.message, /503/, 'sign-up needs the database: 503');
      const items = await client.get('/api/items');
      assert.equal(items.status, 503);
      assert.equal(items.body.code, 'unavailable');
      assert.ok(Number(items.headers.get('retry-after')) > 0);
      // Who-am-I's shops come from memory only while the bus is up (src/shops/session-shops-cache.ts); the
      // bus's PostgreSQL listener fails its heartbeat within ~2 s of the pause. From then on they are
      // read from PostgreSQL (docs/api.md "Shops, members, invitations"), so who-am-I is 503 too; but not
      // 401 and no cleared cookie: the validated session is still known (from memory).
      await waitFor('the bus notices the outage', () => server.deps.sessionStack?.bus?.up === false);
      const who = await client.get('/api/auth/session');
      assert.equal(who.status, 503, 'who-am-I needs the shops: unavailable, not signed out');
      assert.equal(who.body.code, 'unavailable');
      assert.ok(!who.setCookies.some((c) => /Max-Age=0/i.test(c)), 'the cookie is kept');
      const ready = await fetch(`${server.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.ok(ready.headers.get('retry-after'));
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'alive');

      await pg.resume();
      await waitFor('database back', async () => (await fetch(`${server.url}/readyz`)).status === 200);
      assert.equal((await client.get('/api/items')).status, 200);
      assert.equal((await client.get('/api/auth/session')).status, 200, 'still signed in');
    } finally {
      await server.close();
      await db.close();
      await redis.stop();
      await pg.stop();
    }
  });
});
