import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openPostgres } from '../../src/db/postgres.js';
import type { TestClient } from '../support/client.js';
import { type Haproxy, startHaproxy } from '../support/haproxy.js';
import { createServerDatabase, type ServerDatabase, testRedisUrl, uniqueName } from '../support/test-databases.js';
import { type ServerProcess, startServerProcess } from './support/server-process.js';
import { attempt, type Fate, merchant } from './support/traffic.js';

/**
 * Three server processes on one PostgreSQL database (with and without Redis) behind the shipped
 * deploy/haproxy.cfg, configured as docs/operations.md says (TRUST_PROXY=1, METRICS_TOKEN). The
 * documented upgrade — one server at a time: SIGTERM, start it again, wait until it serves — runs under
 * steady signed-in traffic (reads, and stock adjustments with an Idempotency-Key), and not one request
 * may fail: every answer 200/201, no connection error. Then, through the proxy, what the public side
 * must not reach: a forged X-Forwarded-For does not reach the throttle or the audit trail (S-75), and /metrics
 * and /docs are 403.
 */

const READERS = 8;
const WRITERS = 4;
const METRICS_TOKEN = 'rolling-restart-metrics-token-0123456789';

interface Outcome {
  what: string;
  fate: Fate;
}

for (const withRedis of [false, true]) {
  describe(`rolling restart of three servers behind deploy/haproxy.cfg, ${withRedis ? 'with' : 'without'} Redis`, () => {
    let database: ServerDatabase;
    let servers: ServerProcess[] = [];
    let proxy: Haproxy;
    let env: Record<string, string>;
    before(async () => {
      database = await createServerDatabase();
      env = {
        DATABASE_URL: database.url,
        TRUST_PROXY: '1',
        METRICS_TOKEN,
        LOGIN_ADDRESS_MAX_FAILURES: '6',
        LOGIN_LOCKOUT_BASE: '2s',
        LOGIN_LOCKOUT_MAX: '2s',
        ...(withRedis ? { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: `${uniqueName('rr')}:` } : {}),
      };
      servers = await Promise.all([0, 1, 2].map(() => startServerProcess({ env })));
      proxy = await startHaproxy(servers.map((s) => ({ host: '127.0.0.1', port: s.port })));
    });
    after(async () => {
      await proxy?.stop();
      await Promise.all(servers.map((s) => s.stop()));
      await database?.drop();
    });

    /** Requests to the API (not health checks) a server process has logged since it started. */
    const apiRequests = (s: ServerProcess) =>
      s.logLines().filter((l) => l.msg === 'incoming request' && String((l.req as { url?: string } | undefined)?.url).startsWith('/api/'))
        .length;

    test('SIGTERM, restart, next: zero failed requests under steady traffic', async (t) => {
      const owners: TestClient[] = [];
      const items: string[] = [];
      for (let i = 0; i < WRITERS; i++) {
        const owner = await merchant(proxy.url);
        const res = await owner.post('/api/items', { sku: `ROLL-${i}`, name: 'Rolling restart', quantity: 0 });
        assert.equal(res.status, 201);
        owners.push(owner);
        items.push(res.body.item.id as string);
      }

      const outcomes: Outcome[] = [];
      const acknowledged = new Map<string, number>(); // item id → sum of acknowledged deltas
      let stop = false;
      const readers = Array.from({ length: READERS }, async (_, r) => {
        const client = owners[r % owners.length]!.clone();
        const itemId = items[r % items.length]!;
        for (let n = 0; !stop; n++) {
          const path = n % 2 === 0 ? '/api/auth/session' : `/api/items/${itemId}`;
          outcomes.push({ what: `GET ${path}`, fate: await attempt(() => client.get(path)) });
        }
      });
      const writers = owners.map(async (owner, w) => {
        const client = owner.clone();
        const itemId = items[w]!;
        while (!stop) {
          const fate = await attempt(() =>
            client.post(
              `/api/items/${itemId}/adjustments`,
              { delta: 1, reason: 'received' },
              { headers: { 'idempotency-key': randomUUID() } },
            ),
          );
          outcomes.push({ what: 'POST adjustment', fate });
          if (fate.kind === 'answered' && fate.res.status === 201) acknowledged.set(itemId, (acknowledged.get(itemId) ?? 0) + 1);
          await sleep(20);
        }
      });

      const phases: string[] = [];
      await sleep(1000);
      for (let i = 0; i < servers.length; i++) {
        const old = servers[i]!;
        const before = outcomes.length;
        const started = Date.now();
        old.signal('SIGTERM');
        assert.equal(await old.exited, 0, `server ${i + 1} drained and exited 0`);
        const fresh = await startServerProcess({ env: { ...env, PORT: String(old.port) } });
        servers[i] = fresh;
        await old.stop(); // already exited: removes its temporary directory
        // Back in rotation: HAProxy's health check has passed and traffic reaches it.
        const deadline = Date.now() + 60_000;
        while (apiRequests(fresh) < 5) {
          assert.ok(Date.now() < deadline, `server ${i + 1} did not get traffic back within 60 s`);
          await sleep(100);
        }
        phases.push(`server ${i + 1}: ${Date.now() - started} ms, ${outcomes.length - before} requests`);
      }
      await sleep(1000);
      stop = true;
      await Promise.all([...readers, ...writers]);

      const failed = outcomes.filter((o) => !(o.fate.kind === 'answered' && [200, 201].includes(o.fate.res.status)));
      const describeFate = (o: Outcome) =>
        `${o.what}: ${o.fate.kind === 'answered' ? `${o.fate.res.status} ${o.fate.res.text.slice(0, 120)}` : `${o.fate.kind} ${o.fate.error}`}`;
      assert.deepEqual(failed.slice(0, 10).map(describeFate), [], `${failed.length} of ${outcomes.length} requests failed`);
      assert.ok(outcomes.length > 300, `there was traffic: ${outcomes.length} requests`);

      // Every acknowledged adjustment is in the stock, once.
      const db = openPostgres(database.url, { max: 1 });
      try {
        for (const itemId of items) {
          const q = await db.query<{ quantity: number }>('SELECT quantity FROM items WHERE id = $1', [itemId]);
          assert.equal(Number(q.rows[0]?.quantity), acknowledged.get(itemId) ?? 0);
        }
      } finally {
        await db.close();
      }
      t.diagnostic(`rolling restart: ${outcomes.length} requests, 0 failed; ${phases.join('; ')}`);
    });

    test('through the proxy: /metrics and /docs are 403; each server still serves /metrics with the token', async () => {
      for (const path of ['/metrics', '/docs', '/docs/json']) {
        const res = await fetch(`${proxy.url}${path}`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
        assert.equal(res.status, 403, path);
      }
      for (const s of servers) {
        assert.equal((await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status, 200);
        assert.equal((await fetch(`${s.url}/metrics`)).status, 401, 'not without the token, even from loopback');
      }
    });

    test('through the proxy: a forged X-Forwarded-For reaches neither the throttle nor the audit trail', async () => {
      const victim = await merchant(proxy.url);
      const { username, id } = (await victim.get('/api/auth/session')).body.user as { username: string; id: string };
      const statuses: number[] = [];
      for (let i = 1; i <= 7; i++) {
        const res = await victim.clone().login(i === 1 ? username : `nobody-${randomUUID().slice(0, 8)}`, 'wrong password', {
          headers: { 'x-forwarded-for': `198.51.100.${i}`, forwarded: `for=198.51.100.${i}`, 'x-real-ip': `198.51.100.${i}` },
        });
        statuses.push(res.status);
      }
      // All seven came from 127.0.0.1 as far as HAProxy is concerned: one address, locked at the 6th.
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429]);
      const db = openPostgres(database.url, { max: 1 });
      try {
        const deadline = Date.now() + 20_000;
        let ips: string[] = [];
        while (ips.length === 0 && Date.now() < deadline) {
          const q = await db.query<{ ip: string }>(`SELECT ip FROM audit_events WHERE user_id = $1 AND type = 'login.failure'`, [id]);
          ips = q.rows.map((r) => r.ip);
          if (ips.length === 0) await sleep(50);
        }
        assert.deepEqual(ips, ['127.0.0.0/24'], 'the address HAProxy saw, not the forged one');
      } finally {
        await db.close();
      }
    });
  });
}
