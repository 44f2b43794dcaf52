import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';
import { sample, sampleOr0 } from './metrics-text.js';

/**
 * Two apps in one process (as the tests build them, and as a process could) each keep their own
 * metrics: a request, a session, a cache hit, a refusal or a bus message of one never shows on the
 * other's /metrics, whichever app was built last (issue 12 item 4: no module-global registry).
 */

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200, await res.clone().text());
  return res.text();
}

describe('metrics per app', () => {
  let first: TestServer;
  let second: TestServer;
  before(async () => {
    first = await startTestServer();
    // Built after the first: with one registry per process this one would take over the watched sources.
    second = await startTestServer();
  });
  after(async () => {
    await first.close();
    await second.close();
  });

  test("each app's /metrics shows its own requests, sessions, cache, bus and refusals only", async () => {
    const id = randomUUID();
    const c = new TestClient(first.url);
    for (let i = 0; i < 3; i++) assert.equal((await c.get(`/api/items/${id}`)).status, 401);
    await c.register();
    for (let i = 0; i < 4; i++) assert.equal((await c.get('/api/auth/session')).status, 200);
    // A CSRF refusal by a signed-in session (a cross-site Origin).
    const refused = await c.post('/api/auth/logout', undefined, { headers: { origin: 'https://evil.example' } });
    assert.equal(refused.status, 403);
    const leaving = new TestClient(first.url);
    await leaving.register();
    assert.equal((await leaving.post('/api/auth/logout')).status, 204);

    const mine = await scrape(first.url);
    const theirs = await scrape(second.url);
    const route = { method: 'GET', route: '/api/items/:id', status: '401' };
    const COUNT = 'stockade_http_request_duration_seconds_count';
    assert.equal(sampleOr0(mine, COUNT, route), 3, 'the first app counts its own requests');
    assert.equal(sampleOr0(theirs, COUNT, route), 0, "the second app does not count the first's requests");
    // A scrape is observed after its text is made, so the second app's first scrape shows no request.
    assert.equal(sampleOr0(theirs, COUNT), 0, "the second app's histogram holds none of the first's requests");

    assert.equal(sample(mine, 'stockade_active_sessions'), 1, "the first app counts its own database's sessions");
    assert.equal(sample(theirs, 'stockade_active_sessions'), 0, "the second app counts its own database's sessions");

    const firstCache = first.deps.sessionStack?.cache;
    assert.ok(firstCache && firstCache.stats.hits >= 3, 'PGlite builds a local cache, and repeated checks hit it');
    assert.equal(sample(mine, 'stockade_session_cache_lookups_total', { result: 'hit' }), firstCache.stats.hits);
    assert.equal(sampleOr0(theirs, 'stockade_session_cache_lookups_total', { result: 'hit' }), 0);

    assert.ok(
      sampleOr0(mine, 'stockade_revocation_bus_messages_total', { direction: 'published' }) >= 1,
      'logout publishes on the first bus',
    );
    assert.equal(sampleOr0(theirs, 'stockade_revocation_bus_messages_total', { direction: 'published' }), 0);

    assert.equal(sampleOr0(mine, 'stockade_requests_refused_total', { type: 'csrf.failure' }), 1);
    assert.equal(sampleOr0(theirs, 'stockade_requests_refused_total', { type: 'csrf.failure' }), 0);
  });
});
