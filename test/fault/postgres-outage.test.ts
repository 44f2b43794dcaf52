import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ERROR_CODES } from '../../src/errors.js';
import { type ApiResponse, PASSWORD, TestClient } from '../support/client.js';
import { type PgServer, startPostgresServer } from '../support/pg-server.js';
import { type ServerProcess, startServerProcess } from './support/server-process.js';
import { merchant } from './support/traffic.js';

/**
 * PostgreSQL stops under traffic (fast shutdown: open connections are terminated, new ones refused)
 * and comes back on the same port. The server process must answer every request meanwhile with a
 * 503 `unavailable` problem carrying Retry-After — never a 500, a stack, SQL or a driver message, never a
 * crash — say so on /readyz while /healthz stays up, and recover by itself once the database is back.
 */

interface Seen {
  at: number;
  label: string;
  res: ApiResponse;
}

const LEAKS =
  /\n\s+at |node_modules|ECONNREFUSED|ECONNRESET|57P01|terminating connection|SELECT |INSERT |UPDATE |pg-pool|Connection terminated/;

describe('PostgreSQL outage', () => {
  let pg: PgServer;
  let server: ServerProcess;
  before(async () => {
    pg = await startPostgresServer();
    server = await startServerProcess({ env: { DATABASE_URL: pg.url } });
  });
  after(async () => {
    await server.stop();
    await pg.stop();
  });

  test('503 unavailable with Retry-After during the outage, then recovery in the same process', async (t) => {
    const owner = await merchant(server.url);
    const username = (await owner.get('/api/auth/session')).body.user.username as string;
    const item = (await owner.post('/api/items', { sku: 'PG-1', name: 'Outage', quantity: 10 })).body.item as { id: string };
    const pid = server.pid;

    const seen: Seen[] = [];
    const failures: string[] = [];
    let stop = false;
    const calls: [string, (c: TestClient) => Promise<ApiResponse>][] = [
      ['list', (c) => c.get('/api/items?limit=10')],
      ['who', (c) => c.get('/api/auth/session')],
      [
        'adjust',
        (c) =>
          c.post(`/api/items/${item.id}/adjustments`, { delta: 1, reason: 'received' }, { headers: { 'idempotency-key': randomUUID() } }),
      ],
      ['summary', (c) => c.get('/api/inventory/summary')],
    ];
    const workers = calls.map(async ([label, call]) => {
      const c = owner.clone();
      while (!stop) {
        try {
          seen.push({ at: Date.now(), label, res: await call(c) });
        } catch (err) {
          // A request the server never answered: recorded, and fails the test below with its cause.
          const e = err as Error & { cause?: { code?: string } };
          failures.push(`${label}: ${e.message} ${e.cause?.code ?? ''}`);
        }
        await sleep(20);
      }
    });

    try {
      await outageAndRecovery();
    } finally {
      stop = true;
      await Promise.all(workers);
    }

    async function outageAndRecovery() {
      await sleep(1000);
      const down = Date.now();
      await pg.pause();
      await sleep(2500);

      // While it is down: sign-in says "unavailable", not "wrong password"; liveness up, readiness down.
      let login: ApiResponse;
      try {
        login = await new TestClient(server.url, { secureCookie: false }).login(username, PASSWORD);
      } catch (err) {
        stop = true;
        throw new Error(
          `sign-in unanswered (${(err as Error & { cause?: { code?: string } }).cause?.code}); alive: ${server.daemon.alive()}; log:\n${server.logText().slice(-4000)}`,
        );
      }
      assert.equal(login.status, 503, login.text);
      assert.equal(login.body.code, 'unavailable');
      const health = await new TestClient(server.url).get('/healthz');
      assert.equal(health.status, 200);
      const ready = await new TestClient(server.url).get('/readyz');
      assert.equal(ready.status, 503);
      assert.equal(ready.body.checks.database, 'down');
      assert.ok(Number(ready.headers.get('retry-after')) > 0);
      const metricsDuring = await (await fetch(`${server.url}/metrics`)).text();

      const up = Date.now();
      await pg.resume();
      // Recovered: every kind of call succeeds again, in the same process.
      const deadline = Date.now() + 20_000;
      let recoveredAt = 0;
      while (!recoveredAt && Date.now() < deadline) {
        await sleep(200);
        const recent = seen.filter((s) => s.at > Date.now() - 600);
        const labels = new Set(recent.filter((s) => s.res.status < 300).map((s) => s.label));
        if (labels.size === calls.length && recent.every((s) => s.res.status < 300)) recoveredAt = Date.now();
      }
      stop = true;
      await Promise.all(workers);
      assert.deepEqual(failures, [], `unanswered requests; server log:\n${server.logText().slice(-3000)}`);
      assert.ok(recoveredAt, 'recovered within 20 s of the database coming back');

      const during = seen.filter((s) => s.at > down + 300 && s.at < up);
      assert.ok(during.length >= 20, `${during.length} requests during the outage`);
      const statuses = new Map<number, number>();
      for (const s of seen) statuses.set(s.res.status, (statuses.get(s.res.status) ?? 0) + 1);
      for (const s of seen) {
        assert.ok([200, 201, 503].includes(s.res.status), `${s.label}: ${s.res.status} ${s.res.text.slice(0, 200)}`);
        if (s.res.status !== 503) continue;
        assert.match(s.res.headers.get('content-type') ?? '', /^application\/problem\+json/);
        assert.equal(s.res.body.code, 'unavailable');
        assert.equal(s.res.body.status, ERROR_CODES.unavailable.status);
        assert.ok(Number(s.res.headers.get('retry-after')) > 0, 'Retry-After');
        assert.doesNotMatch(s.res.text, LEAKS);
      }
      assert.ok(
        during.filter((s) => s.res.status === 503).length >= during.length * 0.9,
        'the outage is visible, not hidden by stale answers',
      );

      // Same process, still alive, no crash or fatal line; the outage is counted in the metrics.
      assert.equal(server.pid, pid);
      assert.ok(server.daemon.alive());
      const lines = server.logLines();
      assert.ok(!lines.some((l) => l.level === 60 || /uncaught|unhandled/i.test(String(l.msg))), 'no fatal line');
      assert.ok(!lines.some((l) => l.msg === 'unhandled error'), 'no 500 logged');
      assert.match(metricsDuring, /stockade_store_errors_total\{store="postgres",kind="unavailable"\} [1-9]/);
      const after = await owner.get(`/api/items/${item.id}`);
      assert.equal(after.status, 200);
      const adjusted = seen.filter((s) => s.label === 'adjust' && s.res.status === 201).length;
      assert.equal(after.body.item.quantity, 10 + adjusted, 'every 201 adjustment is in the stock, no 503 one is');
      t.diagnostic(
        `outage: ${during.length} requests while down, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ` +
          `recovered ${recoveredAt - up} ms after the database came back`,
      );
    }
  });
});
