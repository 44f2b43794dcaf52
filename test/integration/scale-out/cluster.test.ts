import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster } from 'ioredis';
import { openPostgres } from '../../../src/db/postgres.js';
import { dataNodes, type RedisClient } from '../../../src/redis/connection.js';
import { RedisSessionCache } from '../../../src/sessions/tiers/redis-tier.js';
import { TestClient } from '../../support/client.js';
import { type Haproxy, startHaproxy } from '../../support/haproxy.js';
import { type RedisCluster, startRedisCluster } from '../../support/redis-server.js';
import { createServerDatabase } from '../../support/test-databases.js';
import { runStoreContract, sessionFor } from '../sessions/store-contract.js';
import {
  configFor,
  type Fleet,
  makeUser,
  rawRedis,
  readyStack,
  redisCarrier,
  redisPrefix,
  sameSessionOn,
  signedIn,
  startFleet,
  waitFor,
} from './support.js';

/**
 * The core of the scale-out suite again on a 3-master Redis Cluster (REDIS_URL listing the nodes): the
 * same code, because every Redis command and script touches one key, and the bus uses plain PUBLISH,
 * which a cluster broadcasts to every node.
 */

let cluster: Promise<RedisCluster> | undefined;
const theCluster = () => {
  cluster ??= startRedisCluster();
  return cluster;
};
after(async () => {
  if (cluster) await (await cluster).stop();
});

const clusterUrl = async () => (await theCluster()).urls.join(',');

async function countKeys(node: ReturnType<typeof dataNodes>[number], match: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    n += keys.length;
  } while (cursor !== '0');
  return n;
}

runStoreContract('PostgreSQL server + Redis Cluster tier + local cache', async () => {
  const created = await createServerDatabase();
  const db = openPostgres(created.url);
  const stack = await readyStack(
    configFor({ DATABASE_URL: created.url, REDIS_URL: await clusterUrl(), REDIS_KEY_PREFIX: redisPrefix() }),
    db,
  );
  if (!(stack.redis instanceof Cluster)) throw new Error('not a cluster client');
  return {
    store: stack.store,
    makeUser: () => makeUser(db),
    disableUser: async (id) => {
      await db.query('UPDATE users SET disabled = true WHERE id = $1', [id]);
      await stack.store.deleteUser(id);
    },
    changeRole: async (id, role) => {
      await db.query('UPDATE users SET role = $2 WHERE id = $1', [id, role]);
      await stack.store.deleteUser(id);
    },
    changePassword: async (id) => {
      await db.query('UPDATE users SET password_changed_at = now() WHERE id = $1', [id]);
      await stack.store.deleteUser(id);
    },
    close: async () => {
      await stack.close();
      await db.close();
      await created.drop();
    },
  };
});

describe('on a Redis Cluster', () => {
  let fleet: Fleet;
  let lb: Haproxy;
  let raw: RedisClient;
  let prefix: string;

  before(async () => {
    const urls = (await theCluster()).urls;
    prefix = redisPrefix();
    fleet = await startFleet(3, { REDIS_URL: urls.join(','), REDIS_KEY_PREFIX: prefix });
    lb = await startHaproxy(fleet.servers.map((s) => ({ host: '127.0.0.1', port: Number(new URL(s.url).port) })));
    raw = await rawRedis(urls);
  });
  after(async () => {
    raw?.disconnect();
    await lb?.stop();
    await fleet?.close();
  });

  test('one user’s sessions spread over every master; revoking them all reaches every shard', async () => {
    const stack = fleet.servers[0]!.deps.sessionStack!;
    const keys = new RedisSessionCache(raw, { keyPrefix: prefix });
    const u = await makeUser(fleet.db);
    const sessions = Array.from({ length: 24 }, () => sessionFor(u));
    for (const s of sessions) await stack.store.create(s, u, 100);
    const perNode = await Promise.all(dataNodes(raw).map((n) => countKeys(n, `${prefix}s*`)));
    assert.equal(perNode.length, 3);
    assert.ok(
      perNode.every((n) => n > 0),
      `keys on every master: ${perNode}`,
    );
    assert.equal((await fleet.servers[1]!.deps.sessionStore.deleteUser(u.id)).length, 24);
    for (const s of sessions) assert.equal(await raw.exists(keys.sessionKey(s.idHash)), 0);
  });

  test('a session made through the balancer works on every server; logout through one is refused by all', async () => {
    const { client } = await signedIn(lb.url);
    for (let i = 0; i < 6; i++) assert.equal((await client.get('/api/auth/session')).status, 200);
    const copies = fleet.servers.map((s) => sameSessionOn(client, s.url));
    for (const c of copies) assert.equal((await c.get('/api/auth/session')).status, 200);
    for (const c of copies) assert.equal((await c.get('/api/auth/session')).status, 200);
    assert.equal((await copies[0]!.post('/api/auth/logout')).status, 204);
    for (const c of copies.slice(1)) assert.equal((await c.get('/api/auth/session')).status, 401);
  });

  test('bus cut on one server (CLIENT KILL on its node): a token revoked meanwhile is refused within the revocation bound, for good', async () => {
    const origin = fleet.servers[0]!;
    const cut = fleet.servers[1]!;
    const user = await makeUser(fleet.db);
    for (let round = 0; round < 3; round++) {
      const created = await origin.deps.sessions.create(user, { userAgent: 'Node.js', ip: '127.0.0.0/24' });
      assert.ok(created);
      const client = new TestClient(origin.url, { secureCookie: false });
      client.token = created.token;
      client.csrfToken = created.csrfToken;
      const watcher = sameSessionOn(client, cut.url);
      assert.equal((await watcher.get('/api/auth/session')).status, 200);
      const sub = redisCarrier(cut.deps.sessionStack).subscriberId();
      assert.ok(sub);
      const node = await rawRedis([sub.url]);
      try {
        await node.call('CLIENT', 'KILL', 'ID', String(sub.id));
      } finally {
        node.disconnect();
      }
      assert.equal((await client.post('/api/auth/logout')).status, 204);
      // With its Redis subscription cut, the server still hears the revocation over PostgreSQL (the bus is
      // both carriers): within the revocation bound (200 ms, docs/api.md), not necessarily before the
      // logout's answer reached the client — a check sent later than that must be refused, and stay so.
      const answered = performance.now();
      for (;;) {
        const sent = performance.now();
        const status = (await watcher.get('/api/auth/session')).status;
        if (status === 401) break;
        assert.ok(sent - answered < 200, `round ${round}: still accepted ${(sent - answered).toFixed(0)} ms after the logout answered`);
      }
      for (let i = 0; i < 10; i++) assert.equal((await watcher.get('/api/auth/session')).status, 401);
      await waitFor('Redis bus back', () => redisCarrier(cut.deps.sessionStack).up);
      assert.equal((await watcher.get('/api/auth/session')).status, 401);
    }
  });

  test('the repair flush reaches every master', async () => {
    const stack = fleet.servers[2]!.deps.sessionStack!;
    const keys = new RedisSessionCache(raw, { keyPrefix: prefix });
    const u = await makeUser(fleet.db);
    for (let i = 0; i < 12; i++) await stack.store.create(sessionFor(u), u, 100);
    assert.ok((await keys.flush()) >= 12);
    const left = await Promise.all(dataNodes(raw).map((n) => countKeys(n, `${prefix}*`)));
    assert.deepEqual(left, [0, 0, 0]);
  });
});
