import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RedisServer, redisCli, startRedis, startRedisCluster } from '../../support/redis-server.js';

describe('startRedis', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis?.stop());

  test('answers, with persistence off', async () => {
    assert.match(redis.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await redisCli(redis.port, 'PING')).trim(), 'PONG');
    assert.equal((await redisCli(redis.port, 'CONFIG', 'GET', 'appendonly')).trim(), 'appendonly\nno');
    assert.equal((await redisCli(redis.port, 'CONFIG', 'GET', 'save')).trim(), 'save');
  });

  test('pause refuses connections; resume is on the same port and empty', async () => {
    await redisCli(redis.port, 'SET', 'k', 'v');
    assert.equal((await redisCli(redis.port, 'GET', 'k')).trim(), 'v');
    const port = redis.port;
    await redis.pause();
    await assert.rejects(redisCli(port, 'PING'), /Could not connect/);
    await redis.resume();
    assert.equal(redis.port, port);
    assert.equal((await redisCli(redis.port, 'EXISTS', 'k')).trim(), '0');
  });
});

test('startRedisCluster: three masters covering all slots', async () => {
  const cluster = await startRedisCluster();
  try {
    assert.equal(cluster.urls.length, 3);
    for (const port of cluster.ports) {
      const info = await redisCli(port, 'CLUSTER', 'INFO');
      assert.match(info, /cluster_state:ok/);
      assert.match(info, /cluster_slots_assigned:16384/);
      assert.match(info, /cluster_known_nodes:3/);
    }
    // A key on the wrong node is redirected: proof the slots are really spread out.
    const owners = await Promise.all(cluster.ports.map((p) => redisCli(p, 'SET', 'a-key', '1').catch((e) => String(e))));
    assert.equal(owners.filter((o) => o.trim() === 'OK').length, 1);
  } finally {
    await cluster.stop();
  }
});
