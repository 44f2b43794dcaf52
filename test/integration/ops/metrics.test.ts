import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { openPostgres } from '../../../src/db/postgres.js';
import { startTestServer, type TestServer } from '../../support/app.js';
import { PASSWORD, TestClient, uniqueUsername } from '../../support/client.js';
import { freePort } from '../../support/ports.js';
import { sample, sampleOr0 } from './metrics-text.js';

/**
 * GET /metrics: Prometheus text with the request histogram (route patterns, never raw URLs), sign-in
 * outcomes and lockouts, live sessions, store errors; and who may scrape it.
 * Counters are per process and test files run in their own processes, but tests here share one, so
 * they compare before and after.
 */

const HISTOGRAM = 'stockade_http_request_duration_seconds_count';

async function scrape(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${url}/metrics`, { headers });
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  return res.text();
}

describe('metrics', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { LOGIN_MAX_FAILURES: '2', LOGIN_ADDRESS_MAX_FAILURES: '1000' } });
  });
  after(() => server.close());

  test('latency by route pattern and status, one observation per request, no raw URL or id', async () => {
    const id = randomUUID();
    const junk = `no-such-page-${randomUUID()}`;
    const before = await scrape(server.url);
    const c = new TestClient(server.url);
    for (let i = 0; i < 3; i++) assert.equal((await c.get(`/api/items/${id}`)).status, 401);
    assert.equal((await c.get(`/${junk}?token=abc`)).status, 404);
    assert.equal((await c.get('/healthz')).status, 200);
    const text = await scrape(server.url);

    const items = { method: 'GET', route: '/api/items/:id', status: '401' };
    assert.equal(sampleOr0(text, HISTOGRAM, items) - sampleOr0(before, HISTOGRAM, items), 3);
    const unmatched = { route: 'unmatched', status: '404' };
    assert.equal(sampleOr0(text, HISTOGRAM, unmatched) - sampleOr0(before, HISTOGRAM, unmatched), 1);
    // Requests between the two scrapes: 5 here plus the first scrape itself.
    assert.equal(sampleOr0(text, HISTOGRAM) - sampleOr0(before, HISTOGRAM), 6);
    assert.ok(!text.includes(id) && !text.includes(junk) && !text.includes('token=abc'), 'raw paths never become labels');
    assert.ok(sample(text, 'stockade_http_request_duration_seconds_sum', items) > 0);
    // The process metrics the load test reads.
    for (const name of ['process_resident_memory_bytes', 'nodejs_eventloop_lag_max_seconds', 'nodejs_heap_size_used_bytes']) {
      assert.ok(sample(text, name) > 0 || name === 'nodejs_eventloop_lag_max_seconds', name);
    }
  });

  test('sign-in successes, failures, throttling and lockouts', async () => {
    const before = await scrape(server.url);
    const alice = new TestClient(server.url);
    const name = uniqueUsername('alice');
    await alice.register(name);
    assert.equal((await alice.login(name)).status, 200);
    const mallory = new TestClient(server.url);
    assert.equal((await mallory.login(name, 'wrong password one')).status, 401);
    assert.equal((await mallory.login(name, 'wrong password two')).status, 429, 'second failure locks (LOGIN_MAX_FAILURES=2)');
    assert.equal((await mallory.login(name, PASSWORD)).status, 429, 'locked: even the right password waits');
    const text = await scrape(server.url);

    const delta = (metric: string, labels: Record<string, string>) => sampleOr0(text, metric, labels) - sampleOr0(before, metric, labels);
    assert.equal(delta('stockade_signin_attempts_total', { outcome: 'success' }), 1);
    assert.equal(delta('stockade_signin_attempts_total', { outcome: 'failure' }), 1);
    assert.equal(delta('stockade_signin_attempts_total', { outcome: 'throttled' }), 2);
    assert.equal(delta('stockade_signin_lockouts_total', { scope: 'pair' }), 1, 'the (account, address) pair locked');

    assert.ok(!text.includes(name), 'no username in metrics');
  });

  test('scrapers: loopback without proxy headers when no token is set', async () => {
    await scrape(server.url);
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
      const res = await new TestClient(server.url).get('/metrics', { headers: { [header]: '203.0.113.9' } });
      assert.equal(res.status, 403, header);
      assert.equal(res.body.code, 'forbidden');
    }
  });
});

describe('live sessions gauge', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('counts sessions that are neither idle- nor absolutely expired, across users', async () => {
    const a = new TestClient(server.url);
    const user = await a.register();
    await new TestClient(server.url).register();
    assert.equal((await new TestClient(server.url).login(user.username)).status, 200);
    const signedOut = new TestClient(server.url);
    await signedOut.register();
    assert.equal((await signedOut.post('/api/auth/logout')).status, 204);
    // An expired one, written straight into the table: not live.
    await server.db.query(
      `UPDATE sessions SET idle_expires_at = now() - interval '1 second'
                            WHERE id_hash = (SELECT id_hash FROM sessions WHERE user_id = $1 ORDER BY created_at LIMIT 1)`,
      [user.id],
    );
    // The first scrape of this server counts (later ones reuse the count for up to 10 s).
    const text = await scrape(server.url);
    assert.equal(sample(text, 'stockade_active_sessions'), 2);
  });
});

describe('local session cache and revocation bus', () => {
  let server: TestServer;
  before(async () => {
    // Embedded PGlite: the in-process bus and this server's cache of validated sessions.
    server = await startTestServer();
  });
  after(() => server.close());

  test('hits and misses of the local cache, bus state, messages and their lag', async () => {
    assert.ok(server.deps.sessionStack?.cache && server.deps.sessionStack.bus, 'PGlite builds a cache and a local bus');
    const before = await scrape(server.url);
    const c = new TestClient(server.url);
    await c.register();
    for (let i = 0; i < 5; i++) assert.equal((await c.get('/api/auth/session')).status, 200);
    const other = new TestClient(server.url);
    await other.register();
    assert.equal((await other.post('/api/auth/logout')).status, 204);
    const text = await scrape(server.url);

    const delta = (metric: string, labels: Record<string, string> = {}) =>
      sampleOr0(text, metric, labels) - sampleOr0(before, metric, labels);
    const stats = server.deps.sessionStack.cache.stats;
    assert.equal(sample(text, 'stockade_session_cache_lookups_total', { result: 'hit' }), stats.hits);
    assert.equal(sample(text, 'stockade_session_cache_lookups_total', { result: 'miss' }), stats.misses);
    assert.ok(delta('stockade_session_cache_lookups_total', { result: 'hit' }) >= 4, 'repeated checks of one session hit the cache');
    const ratio = sample(text, 'stockade_session_cache_hit_ratio');
    assert.ok(Math.abs(ratio - stats.hits / (stats.hits + stats.misses)) < 1e-9, `ratio ${ratio}`);
    assert.equal(sample(text, 'stockade_revocation_bus_up', { carrier: 'local' }), 1);
    assert.ok(delta('stockade_revocation_bus_messages_total', { direction: 'published' }) >= 1, 'logout publishes');
    assert.ok(delta('stockade_revocation_bus_lag_seconds_count') >= 1, 'received messages are timed');
    assert.ok(sample(text, 'stockade_revocation_bus_lag_seconds_sum') < 1);
  });
});

describe('metrics with METRICS_TOKEN', () => {
  const TOKEN = 'metrics-token-0123456789abcdef';
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { METRICS_TOKEN: TOKEN } });
  });
  after(() => server.close());

  test('a bearer token is required, from anywhere', async () => {
    const c = new TestClient(server.url);
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token-0123456789abcdef' },
      { authorization: `Basic ${TOKEN}` },
      { authorization: `Bearer ${TOKEN}x` },
    ];
    for (const headers of attempts) {
      const res = await c.get('/metrics', { headers });
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(res.body.code, 'unauthenticated');
    }
    const text = await scrape(server.url, { authorization: `Bearer ${TOKEN}`, 'x-forwarded-for': '203.0.113.9' });
    assert.ok(text.includes('stockade_http_request_duration_seconds'));
  });
});

describe('metrics while the database is unreachable', () => {
  let server: TestServer;
  before(async () => {
    // Nothing listens on this port: every query fails with ECONNREFUSED.
    // createDeps counts its failures (stockade_store_errors_total).
    const db = openPostgres(`postgres://postgres@127.0.0.1:${await freePort()}/none`, { connectionTimeoutMillis: 500 });
    server = await startTestServer({ db });
  });
  after(async () => {
    await server.close();
    await server.db.close();
  });

  test('store errors are counted by store, and the scrape still answers', async () => {
    const before = await scrape(server.url);
    const c = new TestClient(server.url);
    c.token = 'A'.repeat(43);
    const res = await c.get('/api/auth/session');
    assert.equal(res.status, 503);
    assert.equal(res.body.code, 'unavailable');
    assert.equal((await c.get('/readyz')).status, 503);
    const text = await scrape(server.url);
    const labels = { store: 'postgres', kind: 'unavailable' };
    assert.ok(sampleOr0(text, 'stockade_store_errors_total', labels) - sampleOr0(before, 'stockade_store_errors_total', labels) >= 2);
    assert.equal(sampleOr0(text, 'stockade_store_errors_total', { kind: 'error' }), 0, 'an outage is not counted as a query error');
  });
});
