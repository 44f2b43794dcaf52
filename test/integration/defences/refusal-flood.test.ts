import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { TestClient, uniqueUsername } from '../../support/client.js';
import { REFUSAL_BUDGETS } from '../../../src/http/refusals.js';
import { count, signedInMerchant } from './helpers.js';

/**
 * S-87 (issue 11 item 6): refused requests are cheap. 300 forged cross-origin POSTs without a cookie write
 * no audit row (fbb863e wrote one each) and a bounded number of log lines; a signed-in session's refusals
 * stay audited but bounded per session, by CSRF or by role alike. Every refusal is still counted, in a
 * metric. The floods run 20 requests in flight.
 */

const APP = 'https://shop.example';
const FLOOD = 300;
/** docs/security.md S-87: "300 forged POSTs add ≤ 30 audit rows"; the same bound for log lines. */
const BOUND = 30;

async function flood(n: number, send: (i: number) => Promise<number>): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < n) {
        const status = await send(next++);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

/** Audit rows are written after the answer (a refusal never waits for its row): poll, never sleep. */
async function eventually(what: string, read: () => Promise<number>, expected: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  let value = await read();
  while (value !== expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  assert.equal(value, expected, what);
}

/** The value of one series of /metrics (0 when absent). */
async function metric(server: TestServer, series: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

for (const database of ['pglite', 'postgres'] as const) {
  describe(`refusals are cheap (${database})`, () => {
    let server: TestServer;
    const logLines: string[] = [];
    const linesOf = (event: string) => logLines.filter((l) => (JSON.parse(l) as { event?: string }).event === event).length;

    before(async () => {
      server = await startTestServer({ database, logLines, env: { ALLOWED_ORIGINS: APP } });
    });
    after(() => server.close());

    test(`${FLOOD} forged anonymous POSTs write no audit row and a bounded number of log lines`, async () => {
      const rowsBefore = await count(server, 'audit_events');
      const linesBefore = linesOf('csrf.failure');
      const metricBefore = await metric(server, 'stockade_requests_refused_total{type="csrf.failure",session="anonymous"}');
      const targets = ['/api/auth/logout', '/api/items', '/api/auth/login', '/api/auth/register'];
      const statuses = await flood(FLOOD, async (i) => {
        const res = await fetch(server.url + targets[i % targets.length], {
          method: 'POST',
          headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
          body: JSON.stringify({ username: uniqueUsername(), password: 'correct horse battery staple', sku: `F-${i}`, name: 'forged' }),
        });
        await res.arrayBuffer();
        return res.status;
      });
      assert.deepEqual([...statuses], [[403, FLOOD]], 'every one refused');
      const rows = (await count(server, 'audit_events')) - rowsBefore;
      assert.ok(rows <= BOUND, `${rows} audit rows for ${FLOOD} anonymous refusals`);
      assert.equal(rows, 0, 'an anonymous refusal names nobody: no row at all');
      // A row written late would be in before one written by a later, audited action.
      await signedInMerchant(server);
      assert.equal(await count(server, `audit_events WHERE type = 'csrf.failure' AND user_id IS NULL`), 0);
      const lines = linesOf('csrf.failure') - linesBefore;
      assert.ok(lines >= 1, 'the refusals are logged');
      assert.ok(lines <= BOUND, `${lines} log lines for ${FLOOD} refusals`);
      const counted = (await metric(server, 'stockade_requests_refused_total{type="csrf.failure",session="anonymous"}')) - metricBefore;
      assert.equal(counted, FLOOD, 'every refusal is counted');
    });

    test(`${FLOOD} forged requests on one signed-in session: audited, but at most a bounded number of rows; the session lives`, async () => {
      const victim = await signedInMerchant(server);
      const rows = () => count(server, `audit_events WHERE user_id = $1 AND type IN ('csrf.failure', 'authz.denied')`, [victim.id]);
      const csrf = await flood(FLOOD, async () => (await victim.client.post('/api/auth/logout', undefined, { csrf: false })).status);
      assert.deepEqual([...csrf], [[403, FLOOD]]);
      await eventually('a signed-in refusal is audited, up to the per-session bound', rows, REFUSAL_BUDGETS.ROWS_PER_SESSION);
      assert.ok(REFUSAL_BUDGETS.ROWS_PER_SESSION <= BOUND);
      // Refused by role: a merchant on an admin route, over and over.
      const denied = await flood(FLOOD, async () => (await victim.client.get('/api/admin/users')).status);
      assert.deepEqual([...denied], [[403, FLOOD]]);
      await signedInMerchant(server); // (see above: late rows would be in by now)
      const all = await rows();
      assert.equal(all, REFUSAL_BUDGETS.ROWS_PER_SESSION, `${all} refusal rows for ${2 * FLOOD} refusals of one session`);
      assert.equal((await victim.client.get('/api/auth/session')).status, 200, 'still signed in');
      assert.equal((await victim.client.post('/api/auth/logout')).status, 204, 'and the real thing still works');
    });

    test('the bound is per session: another session of the same user, and another user, are audited from their first refusal', async () => {
      const a = await signedInMerchant(server);
      const rowsOf = (userId: string) => count(server, `audit_events WHERE user_id = $1 AND type = 'csrf.failure'`, [userId]);
      for (let i = 0; i < 40; i++) assert.equal((await a.client.post('/api/auth/logout', undefined, { csrf: false })).status, 403);
      const afterFirst = Math.min(40, REFUSAL_BUDGETS.ROWS_PER_SESSION);
      await eventually('the first session, up to its bound', () => rowsOf(a.id), afterFirst);
      const second = new TestClient(server.url);
      assert.equal((await second.login(a.username)).status, 200);
      assert.equal((await second.post('/api/auth/logout', undefined, { csrf: false })).status, 403);
      await eventually('the second session has its own budget', () => rowsOf(a.id), afterFirst + 1);
      const b = await signedInMerchant(server);
      assert.equal((await b.client.post('/api/auth/logout', undefined, { csrf: false })).status, 403);
      await eventually('another user too', () => rowsOf(b.id), 1);
    });
  });
}
