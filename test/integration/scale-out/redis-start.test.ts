import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServerProcess } from '../../fault/support/server-process.js';
import { TEST_SECRET_KEY } from '../../support/secret-key.js';
import { startTestServer } from '../../support/app.js';
import { redisCli, startRedis } from '../../support/redis-server.js';
import { createServerDatabase, type ServerDatabase } from '../../support/test-databases.js';
import { ROOT } from '../defences/cli-helpers.js';
import { redisPrefix, waitFor } from './support.js';
import { startTcpProxy } from './tcp-proxy.js';

/**
 * Redis at start (issue 21 item 9, issue 11 item 8): an unreachable Redis is logged once (warn) and its
 * recovery once (info); a Redis whose maxmemory-policy can evict session keys (anything but noeviction:
 * volatile-* too, since every session key has a TTL) stops the start with one line, and is never
 * trusted if the server only reaches it later; a Redis that refuses CONFIG GET (managed services) is
 * warned about once and used.
 */

type LogLine = { level?: number; event?: string; msg?: string; reason?: string };
const parse = (lines: string[]): LogLine[] => lines.map((l) => JSON.parse(l) as LogLine);

describe('Redis at start', () => {
  let database: ServerDatabase;

  before(async () => {
    database = await createServerDatabase();
  });
  after(async () => {
    await database?.drop();
  });

  test('unreachable at start: one warning; reachable again: one info line, and Redis is used', async () => {
    const redis = await startRedis();
    const proxy = await startTcpProxy(redis.port);
    proxy.cut();
    const lines: string[] = [];
    const server = await startTestServer({ env: { REDIS_URL: proxy.url, REDIS_KEY_PREFIX: redisPrefix() }, logLines: lines });
    try {
      const events = (name: string) => parse(lines).filter((l) => l.event === name);
      await waitFor('a redis.down line', () => events('redis.down').length > 0, 8000);
      const down = events('redis.down')[0]!;
      assert.equal(down.level, 40, 'warn');
      // Probes go on every 250 ms; none of them may repeat the line.
      await sleep(1500);
      assert.equal(events('redis.down').length, 1, 'logged once');
      assert.equal(events('redis.up').length, 0);
      proxy.heal();
      await waitFor('a redis.up line', () => events('redis.up').length > 0, 10_000);
      assert.equal(events('redis.up')[0]!.level, 30, 'info');
      await sleep(500);
      assert.equal(events('redis.up').length, 1);
      assert.equal(events('redis.down').length, 1);
      assert.equal(server.deps.sessionStack?.breaker?.up, true);
    } finally {
      await server.close();
      await proxy.close();
      await redis.stop();
    }
  });

  test('an evicting maxmemory-policy stops the start with one clear line (allkeys-lru, volatile-ttl)', async () => {
    for (const policy of ['allkeys-lru', 'volatile-ttl']) {
      const redis = await startRedis({ settings: { 'maxmemory-policy': policy } });
      try {
        const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? '/tmp',
            DATABASE_URL: database.url,
            SECRET_KEY: TEST_SECRET_KEY,
            REDIS_URL: redis.url,
            PORT: '0',
            HOST: '127.0.0.1',
          },
          encoding: 'utf8',
          timeout: 30_000,
        });
        assert.equal(run.status, 1, `${policy}: exit status (stderr: ${run.stderr})`);
        const last = run.stderr.trim().split('\n').at(-1) ?? '';
        assert.match(last, new RegExp(`^stockade: failed to start: Redis maxmemory-policy is ${policy} .*noeviction`));
        assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
      } finally {
        await redis.stop();
      }
    }
  });

  test('an evicting Redis reached only after the start is never trusted, and says why', async () => {
    const redis = await startRedis({ settings: { 'maxmemory-policy': 'allkeys-lfu' } });
    const proxy = await startTcpProxy(redis.port);
    proxy.cut();
    const lines: string[] = [];
    const server = await startTestServer({ env: { REDIS_URL: proxy.url, REDIS_KEY_PREFIX: redisPrefix() }, logLines: lines });
    try {
      await waitFor('a redis.down line', () => parse(lines).some((l) => l.event === 'redis.down'), 8000);
      proxy.heal();
      await waitFor(
        'the policy named in the log',
        () => parse(lines).some((l) => /maxmemory-policy is allkeys-lfu/.test(l.msg ?? '')),
        10_000,
      );
      await sleep(1000);
      assert.equal(server.deps.sessionStack?.breaker?.up, false, 'Redis not trusted');
      assert.equal(parse(lines).filter((l) => /maxmemory-policy/.test(l.msg ?? '')).length, 1, 'said once');
    } finally {
      await server.close();
      await proxy.close();
      await redis.stop();
    }
  });

  test('a Redis that refuses CONFIG GET (managed Redis): one warning, and the server starts and uses it', async () => {
    const redis = await startRedis();
    await redisCli(redis.port, 'ACL', 'SETUSER', 'default', '-config');
    const server = await startServerProcess({ env: { DATABASE_URL: database.url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: redisPrefix() } });
    try {
      await waitFor('redis in service', () => server.logLines().some((l) => l.event === 'redis.up'), 10_000);
      const warned = server.logLines().filter((l) => /maxmemory-policy/.test(String(l.msg ?? '')));
      assert.equal(warned.length, 1, JSON.stringify(warned));
      assert.equal(warned[0]!.level, 40);
    } finally {
      await server.stop();
      await redis.stop();
    }
  });
});
