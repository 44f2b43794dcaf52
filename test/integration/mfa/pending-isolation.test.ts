import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, startTestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';
import { enrolledMerchant, passwordStep, TestClock } from './helpers.js';

/**
 * The pending cookie reaches nothing but the second step (S-79): every operation of the OpenAPI
 * document that needs a signed-in caller is called with the pending cookie alone — as it would arrive
 * from the browser, CSRF token or not — and answers 401, as it would to nobody at all.
 */
type Doc = { paths: Record<string, Record<string, { 'x-access'?: string }>> };

describe('the pending sign-in alone', () => {
  let server: TestServer;
  const clock = new TestClock();
  before(async () => {
    server = await startTestServer({ clock: clock.now });
  });
  after(() => server.close());

  test('every route that needs a session answers 401; the second step is the only door', async () => {
    const m = await enrolledMerchant(server, clock);
    const { cookie } = await passwordStep(server, m.username);
    const bare = new TestClient(server.url);
    const doc = (await bare.get('/docs/json')).body as Doc;
    const wrong: string[] = [];
    let probes = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [lower, op] of Object.entries(ops)) {
        const access = op['x-access'] ?? '';
        if (access === 'public' || access === 'scraper') continue;
        const method = lower.toUpperCase();
        const target = path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
        for (const headers of [{ cookie }, { cookie, 'x-csrf-token': 'anything' }] as Record<string, string>[]) {
          probes++;
          const res = await bare.request(method, target, { headers, ...(method === 'GET' ? {} : { body: {} }) });
          if (res.status !== 401) wrong.push(`${method} ${path}: ${res.status}`);
        }
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(probes > 40, `${probes} probes`);
    // Still pending: the probes neither used it nor turned it into anything.
    const done = await bare.post('/api/auth/login/mfa', { code: clock.nextCode(m.secret) }, { headers: { cookie } });
    assert.equal(done.status, 200, done.text);
  });
});
