import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { TestClient, uniqueUsername } from '../../support/client.js';

/** docs/api.md "CSRF and cross-site rules", docs/security.md D (S-26 … S-32). */
const APP = 'https://shop.example';

describe('CSRF and cross-site rules', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { ALLOWED_ORIGINS: APP } });
  });
  after(() => server.close());

  /** The state a forged request would change: whether the session still works. */
  async function signedIn(): Promise<TestClient> {
    const c = new TestClient(server.url);
    await c.register();
    return c;
  }

  test('an unsafe request with a session needs the session’s own X-CSRF-Token', async () => {
    const a = await signedIn();
    const b = await signedIn();
    const noToken = await a.post('/api/auth/logout', undefined, { csrf: false });
    assert.equal(noToken.status, 403);
    assert.equal(noToken.body.code, 'csrf');
    const random = await a.post('/api/auth/logout', undefined, { headers: { 'x-csrf-token': 'A'.repeat(43) } });
    assert.equal(random.status, 403);
    const someoneElses = await a.post('/api/auth/logout', undefined, { headers: { 'x-csrf-token': b.csrfToken! } });
    assert.equal(someoneElses.status, 403);
    const inQuery = await a.post(`/api/auth/logout?_csrf=${a.csrfToken}`, undefined, { csrf: false });
    assert.equal(inQuery.status, 403);
    assert.equal((await a.get('/api/auth/session')).status, 200, 'the refused logouts changed nothing');
    assert.equal((await a.post('/api/auth/logout')).status, 204);
    assert.equal((await a.get('/api/auth/session', { headers: { cookie: `__Host-sid=${b.token}` } })).status, 200);
  });

  test('a foreign Origin is refused, with or without a session, login and register included', async () => {
    const a = await signedIn();
    for (const origin of ['https://evil.example', 'null', `${APP}.evil.example`, 'http://shop.example']) {
      const res = await a.post('/api/auth/logout', undefined, { headers: { origin } });
      assert.equal(res.status, 403, origin);
      assert.equal(res.body.code, 'csrf');
      const anon = new TestClient(server.url);
      const reg = await anon.post(
        '/api/auth/register',
        { username: uniqueUsername(), password: 'correct horse battery staple' },
        { headers: { origin } },
      );
      assert.equal(reg.status, 403, `register from ${origin}`);
      assert.equal(anon.token, undefined, 'no session issued');
      const login = await anon.login('whoever', 'whatever it is', { headers: { origin } });
      assert.equal(login.status, 403, `login from ${origin}`);
    }
    assert.equal((await a.get('/api/auth/session')).status, 200);
    const ok = await a.post('/api/auth/logout', undefined, { headers: { origin: APP } });
    assert.equal(ok.status, 204);
  });

  test('without Origin, a foreign Referer is refused', async () => {
    const a = await signedIn();
    assert.equal((await a.post('/api/auth/logout', undefined, { headers: { referer: 'https://evil.example/x' } })).status, 403);
    assert.equal((await a.post('/api/auth/logout', undefined, { headers: { referer: `${APP}/inventory` } })).status, 204);
  });

  test('Sec-Fetch-Site cross-site and same-site are refused; same-origin passes; Vary is sent', async () => {
    const a = await signedIn();
    for (const site of ['cross-site', 'same-site']) {
      const res = await a.post('/api/auth/logout', undefined, { headers: { 'sec-fetch-site': site } });
      assert.equal(res.status, 403, site);
      assert.match(res.headers.get('vary') ?? '', /Sec-Fetch-Site/i);
    }
    const ok = await a.post('/api/auth/logout', undefined, { headers: { 'sec-fetch-site': 'same-origin', origin: APP } });
    assert.equal(ok.status, 204);
  });

  test('CORS-simple content types are refused (415, or 403 when the token is missing) and change nothing', async () => {
    const a = await signedIn();
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const withToken = await a.request('POST', '/api/auth/password', {
        raw: '{"currentPassword":"correct horse battery staple","newPassword":"another long passphrase"}',
        contentType,
      });
      assert.equal(withToken.status, 415, contentType);
      assert.equal(withToken.body.code, 'unsupported_media_type');
      const forged = await a.request('POST', '/api/auth/password', { raw: 'x=1', contentType, csrf: false });
      assert.equal(forged.status, 403);
    }
    const anon = new TestClient(server.url);
    const textLogin = await anon.request('POST', '/api/auth/register', {
      raw: JSON.stringify({ username: uniqueUsername(), password: 'correct horse battery staple' }),
      contentType: 'text/plain',
    });
    assert.equal(textLogin.status, 415);
    assert.equal(anon.token, undefined);
  });

  test('no method override, no state change on safe methods, no CORS grant to a foreign origin', async () => {
    const a = await signedIn();
    assert.equal((await a.get('/api/auth/logout')).status, 404);
    assert.equal((await a.request('GET', '/api/auth/logout?_method=POST')).status, 404);
    const override = await a.request('GET', '/api/auth/session', { headers: { 'x-http-method-override': 'DELETE' } });
    assert.equal(override.status, 200);
    assert.equal((await a.get('/api/auth/session')).status, 200, 'still signed in');
    const cors = await a.get('/api/auth/session', { headers: { origin: 'https://evil.example' } });
    assert.equal(cors.headers.get('access-control-allow-origin'), null);
    const preflight = await a.request('OPTIONS', '/api/auth/logout', {
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'DELETE',
        'access-control-request-headers': 'x-csrf-token',
      },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), null);
  });
});
