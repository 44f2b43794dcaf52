import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseSetCookie, TestClient } from '../../support/client.js';
import { startTestServer, type TestServer } from '../../support/app.js';

/** docs/api.md "The session cookie" and docs/security.md A–B (S-01 … S-12). */
describe('session cookie', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  const sessionCookieOf = (lines: string[]) => lines.map(parseSetCookie).find((c) => c.name === '__Host-sid');

  test('login sets __Host-sid: Secure, HttpOnly, SameSite=Lax, Path=/, no Domain, no Max-Age, no-store', async () => {
    const c = new TestClient(server.url);
    const { username } = await c.register();
    const res = await c.login(username);
    assert.equal(res.status, 200);
    const cookie = sessionCookieOf(res.setCookies);
    assert.ok(cookie, 'a session cookie');
    assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(cookie.attrs.secure, true);
    assert.equal(cookie.attrs.httponly, true);
    assert.equal(String(cookie.attrs.samesite).toLowerCase(), 'lax');
    assert.equal(cookie.attrs.path, '/');
    assert.equal(cookie.attrs.domain, undefined);
    assert.equal(cookie.attrs['max-age'], undefined);
    assert.equal(cookie.attrs.expires, undefined);
    assert.match(res.headers.get('cache-control') ?? '', /no-store/);
    assert.ok(cookie.name.length + cookie.value.length < 4096);
  });

  test('remember me: Max-Age is the absolute lifetime left (30 days by default)', async () => {
    const c = new TestClient(server.url);
    const { username } = await c.register();
    const res = await c.login(username, undefined, { remember: true });
    const cookie = sessionCookieOf(res.setCookies);
    const maxAge = Number(cookie?.attrs['max-age']);
    assert.ok(maxAge > 30 * 86400 - 60 && maxAge <= 30 * 86400, `max-age ${maxAge}`);
  });

  test('40 sign-ins give 40 distinct random tokens with no constant position', async () => {
    const c = new TestClient(server.url);
    const { username } = await c.register();
    const tokens: string[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await c.login(username);
      tokens.push(sessionCookieOf(res.setCookies)!.value);
    }
    assert.equal(new Set(tokens).size, tokens.length);
    for (let pos = 0; pos < 42; pos++) {
      assert.ok(new Set(tokens.map((t) => t[pos])).size > 1, `position ${pos} varies`);
    }
    for (const t of tokens) {
      const decoded = Buffer.from(t, 'base64url').toString('latin1');
      assert.ok(!decoded.includes(username) && !decoded.includes('merchant') && !decoded.startsWith('{"'), 'nothing meaningful inside');
      assert.ok(!t.includes('.'), 'not a JWT-like structure');
    }
  });

  test('an unknown or tampered cookie is 401 and cleared, and never adopted', async () => {
    const c = new TestClient(server.url);
    await c.register();
    const real = c.token!;
    const forged = `${'A'.repeat(42)}Q`;
    for (const value of [forged, real.slice(0, -1) + (real.endsWith('A') ? 'B' : 'A'), "'", '%00', '../', 'A'.repeat(8000)]) {
      const res = await c.get('/api/auth/session', { headers: { cookie: `__Host-sid=${value}` } });
      assert.equal(res.status, 401, `value ${value.slice(0, 10)}`);
      assert.equal(res.body.code, 'unauthenticated');
      const cleared = sessionCookieOf(res.setCookies);
      assert.ok(cleared && cleared.attrs['max-age'] === '0', 'cleared');
      assert.doesNotMatch(res.text, /sql|syntax|stack|at \w+ \(/i);
    }
  });

  test('the token is accepted from the cookie only: not query, Authorization, custom header or body', async () => {
    const c = new TestClient(server.url);
    await c.register();
    const token = c.token!;
    const anon = { cookie: false } as const;
    assert.equal((await c.get(`/api/auth/session?sid=${token}`, anon)).status, 401);
    assert.equal((await c.get('/api/auth/session', { ...anon, headers: { authorization: `Bearer ${token}` } })).status, 401);
    assert.equal((await c.get('/api/auth/session', { ...anon, headers: { 'x-session-id': token } })).status, 401);
    assert.equal((await c.get('/api/auth/session')).status, 200);
    const me = await c.get('/api/auth/session');
    const sessions = await c.get('/api/sessions');
    for (const res of [me, sessions]) {
      assert.ok(!res.text.includes(token), 'the token never appears in a body');
      assert.doesNotMatch(res.text, /hash|password|secret/i);
    }
  });
});

describe('session cookie with COOKIE_SECURE=false', () => {
  test('is named sid and not Secure (plain-HTTP deployments only)', async () => {
    const server = await startTestServer({ env: { COOKIE_SECURE: 'false' } });
    try {
      const c = new TestClient(server.url, { secureCookie: false });
      const res = await c.post('/api/auth/register', { username: 'plainhttp', password: 'correct horse battery staple' });
      const cookie = res.setCookies.map(parseSetCookie).find((x) => x.name === 'sid');
      assert.ok(cookie);
      assert.equal(cookie.attrs.secure, undefined);
      assert.equal(cookie.attrs.httponly, true);
      assert.equal((await c.get('/api/auth/session')).status, 200);
    } finally {
      await server.close();
    }
  });
});
