import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openPostgres } from '../../../src/db/postgres.js';
import { deviceSummary, truncateIp } from '../../../src/lib/client-info.js';
import { LocalSessionCache } from '../../../src/sessions/tiers/local-cache.js';
import { MemorySessionStore } from '../../../src/sessions/stores/memory.js';
import { PostgresSessionStore } from '../../../src/sessions/stores/postgres.js';
import { RedisSessionCache } from '../../../src/sessions/tiers/redis-tier.js';
import type { SessionUser } from '../../../src/auth/user.js';
import type { SessionRecord } from '../../../src/sessions/session.js';
import { hashToken, newPublicId, newToken } from '../../../src/sessions/tokens.js';
import { openTestPglite } from '../../support/pglite.js';
import { startRedis } from '../../support/redis-server.js';
import { createServerDatabase } from '../../support/test-databases.js';
import { configFor, makeUser, rawRedis, readyStack } from './support.js';

/**
 * Bytes per session, measured (docs/operations.md "Scaling out" quotes these lines): Redis by MEMORY
 * USAGE of every key and by the growth of used_memory, PostgreSQL by pg_column_size of the rows and by
 * the size of the table with its indexes. Sessions look like real ones: device summaries and truncated
 * addresses as the app makes them, five sessions per user.
 */

const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15',
];
const IPS = ['203.0.113.77', '198.51.100.9', '2001:db8:abcd:12::1', '192.0.2.200'];

function realistic(user: SessionUser, i: number): SessionRecord {
  const now = Date.now();
  return {
    idHash: hashToken(newToken()),
    id: newPublicId(),
    userId: user.id,
    createdAt: new Date(now),
    lastSeenAt: new Date(now),
    authenticatedAt: new Date(now),
    idleExpiresAt: new Date(now + 30 * 60_000),
    absoluteExpiresAt: new Date(now + 12 * 3_600_000),
    remember: i % 7 === 0,
    userAgent: deviceSummary(AGENTS[i % AGENTS.length]),
    ip: truncateIp(IPS[i % IPS.length]),
  };
}

const line = (s: string) => process.stdout.write(`# ${s}\n`);

describe('bytes per session', () => {
  /**
   * Every key under the prefix counts (sessions and anything kept per user or per deployment), divided
   * by the sessions: what a session costs, whatever structure holds it. Budget (issue 20): ≤ 200 B with
   * one session per user; with five per user no more than the 192 B measured when a per-user index
   * shared the cost.
   */
  for (const [perUser, budget] of [
    [1, 200],
    [5, 192],
  ] as const) {
    test(`Redis: MEMORY USAGE per session at ${perUser} per user stays within ${budget} B`, async () => {
      const redis = await startRedis();
      const raw = await rawRedis([redis.url]);
      const db = await openTestPglite();
      const stack = await readyStack(configFor({ REDIS_URL: redis.url, SESSION_LOCAL_CACHE_SIZE: '0' }), db, new MemorySessionStore());
      try {
        const n = 2000;
        const users = n / perUser;
        const before = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);
        const created: SessionRecord[] = [];
        for (let u = 0; u < users; u++) {
          const user: SessionUser = { id: crypto.randomUUID(), username: `merchant-${u}`, role: 'merchant', createdAt: new Date() };
          await Promise.all(
            Array.from({ length: perUser }, (_, i) => {
              const s = realistic(user, u * perUser + i);
              created.push(s);
              return stack.store.create(s, user, 20);
            }),
          );
        }
        const afterMem = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);
        const keys = new RedisSessionCache(raw, { keyPrefix: 'stk:' });
        const sessionKeys = new Set(created.map((s) => keys.sessionKey(s.idHash).toString('latin1')));
        const all: Buffer[] = [];
        let cursor = '0';
        do {
          const [next, found] = await raw.scanBuffer(cursor, 'MATCH', 'stk:*', 'COUNT', 1000);
          cursor = next.toString();
          all.push(...found);
        } while (cursor !== '0');
        const bytes = await Promise.all(all.map((k) => raw.call('MEMORY', 'USAGE', k) as Promise<number>));
        const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
        const sessionBytes = sum(bytes.filter((_, i) => sessionKeys.has(all[i]!.toString('latin1'))));
        const otherBytes = sum(bytes) - sessionBytes;
        const values = await Promise.all(created.slice(0, 200).map((s) => raw.strlen(keys.sessionKey(s.idHash))));
        const perSessionKey = sessionBytes / n;
        const perSessionOther = otherBytes / n;
        const perSession = perSessionKey + perSessionOther;
        const perSessionUsed = (afterMem - before) / n;
        line(`Redis bytes per session (${n} sessions, ${perUser} per user, prefix "stk:", ${all.length} keys):`);
        line(
          `  value ${(sum(values) / values.length).toFixed(1)} B; MEMORY USAGE session key ${perSessionKey.toFixed(1)} B + other keys' share ${perSessionOther.toFixed(1)} B = ${perSession.toFixed(1)} B`,
        );
        line(
          `  used_memory growth ${perSessionUsed.toFixed(1)} B per session (adds expiry entries, hash-table buckets, allocator rounding)`,
        );
        assert.equal(sessionKeys.size, n);
        assert.ok(perSession <= budget, `MEMORY USAGE per session ${perSession.toFixed(1)} B > ${budget} B`);
        assert.ok(perSessionUsed < 500, `used_memory per session ${perSessionUsed.toFixed(1)} B`);
      } finally {
        raw.disconnect();
        await stack.close();
        await db.close();
        await redis.stop();
      }
    });
  }

  test('each server’s memory: heap per cached session', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const n = 10_000;
    const cache = new LocalSessionCache(n);
    cache.enable();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < n; i++) {
      const user: SessionUser = { id: crypto.randomUUID(), username: `merchant-${i}`, role: 'merchant', createdAt: new Date() };
      // Shaped as the PostgreSQL store returns it: a Buffer copied out of the driver's bytes, Dates.
      const s = { ...realistic(user, i), idHash: Buffer.from(new Uint8Array(hashToken(newToken()))) };
      cache.insert(s.idHash.toString('base64url'), { session: s, user }, cache.generation());
    }
    gc();
    const perEntry = (process.memoryUsage().heapUsed - before) / n;
    line(`local cache: ${perEntry.toFixed(0)} B of heap per cached session (${n} entries)`);
    assert.equal(cache.size, n);
    assert.ok(perEntry < 4096, `${perEntry} B per entry`);
  });

  test('PostgreSQL: bytes per session row, and per session with the indexes', async () => {
    const created = await createServerDatabase();
    const db = openPostgres(created.url);
    try {
      const store = new PostgresSessionStore(db);
      const users = 400;
      const perUser = 5;
      const n = users * perUser;
      // One at a time: concurrent inserts make PostgreSQL extend the table by many pages at once,
      // which would count not-yet-used space as bytes per session.
      for (let u = 0; u < users; u++) {
        const user = await makeUser(db);
        for (let i = 0; i < perUser; i++) await store.create(realistic(user, u * perUser + i), user, 20);
      }
      await db.query('VACUUM ANALYZE sessions');
      const r = await db.query<{ row: string; heap: string; indexes: string; total: string }>(
        `SELECT avg(pg_column_size(s.*))::numeric(10,1) AS row,
                pg_relation_size('sessions') AS heap,
                pg_indexes_size('sessions') AS indexes,
                pg_total_relation_size('sessions') AS total
           FROM sessions s`,
      );
      const { row, heap, indexes, total } = r.rows[0]!;
      line(`PostgreSQL bytes per session (${n} rows):`);
      line(
        `  row (pg_column_size) ${row} B; table ${(Number(heap) / n).toFixed(1)} B + indexes ${(Number(indexes) / n).toFixed(1)} B = ${(Number(total) / n).toFixed(1)} B per session on disk`,
      );
      assert.ok(Number(row) < 300, `row ${row} B`);
      assert.ok(Number(total) / n < 1000);
    } finally {
      await db.close();
      await created.drop();
    }
  });
});
