import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { type ApiResponse, TestClient } from '../../support/client.js';

/** RFC 9457 problems for every failure, security headers on every response (docs/security.md G–H). */
describe('errors and headers', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());
  const client = () => new TestClient(server.url);

  function assertProblem(res: ApiResponse, status: number, code: string) {
    assert.equal(res.status, status);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(res.body.status, status);
    assert.equal(res.body.code, code);
    for (const key of ['type', 'title', 'detail']) assert.equal(typeof res.body[key], 'string', key);
    assert.doesNotMatch(res.text, /SyntaxError|at JSON\.parse|node_modules|\/work\/|\.ts:\d|SQLSTATE|syntax error at/);
  }

  test('unknown route, bad JSON, wrong types, unknown fields, wrong media type, oversized body', async () => {
    const c = client();
    assertProblem(await c.get('/api/nope'), 404, 'not_found');
    assertProblem(await c.request('POST', '/api/auth/login', { raw: '{"username":', contentType: 'application/json' }), 400, 'validation');
    const typed = await c.post('/api/auth/login', { username: 5, password: ['x'] });
    assertProblem(typed, 400, 'validation');
    assert.ok(typed.body.errors.length >= 2, 'every field error listed');
    assertProblem(await c.post('/api/auth/login', { username: 'a', password: 'b', role: 'admin' }), 400, 'validation');
    assertProblem(
      await c.request('POST', '/api/auth/login', { raw: '<x/>', contentType: 'application/xml' }),
      415,
      'unsupported_media_type',
    );
    assertProblem(
      await c.request('POST', '/api/auth/login', { raw: JSON.stringify({ pad: 'x'.repeat(1_100_000) }), contentType: 'application/json' }),
      413,
      'payload_too_large',
    );
    assertProblem(
      await c.request('POST', '/api/auth/login', {
        raw: '{"__proto__":{"isAdmin":true},"username":"a","password":"b"}',
        contentType: 'application/json',
      }),
      400,
      'validation',
    );
    assertProblem(
      await c.request('POST', '/api/auth/login', {
        raw: Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
        contentType: 'application/json',
      }),
      400,
      'validation',
    );
  });

  test('security headers on pages, API answers and errors alike', async () => {
    const c = client();
    for (const res of [await c.get('/healthz'), await c.get('/api/auth/session'), await c.get('/api/nope'), await c.get('/nope')]) {
      const csp = res.headers.get('content-security-policy') ?? '';
      for (const directive of [
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "script-src 'self'",
        "form-action 'self'",
      ]) {
        assert.ok(csp.includes(directive), `${directive} in ${csp}`);
      }
      // 'wasm-unsafe-eval' (compiling the barcode decoder's WebAssembly) is the one addition, never eval.
      assert.ok(!/unsafe-inline|(?<!wasm-)unsafe-eval/.test(csp), csp);
      assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.ok(res.headers.get('x-request-id'));
      assert.equal(res.headers.get('x-powered-by'), null);
      assert.equal(res.headers.get('cross-origin-resource-policy'), 'same-origin');
      assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=\d{8,}; includeSubDomains/);
    }
    assert.equal((await c.get('/api/auth/session')).headers.get('cache-control'), 'no-store');
    // Documents (anything outside /api, which answers JSON) also get the headers that only a rendered page
    // uses: process isolation and the features a page may use (S-64).
    for (const res of [await c.get('/'), await c.get('/nope'), await c.get('/healthz')]) {
      assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin');
      // The camera for our own pages (scanning), for nobody else's frame; the microphone for nobody.
      assert.match(res.headers.get('permissions-policy') ?? '', /camera=\(self\), microphone=\(\)/);
    }
  });

  test('health and readiness', async () => {
    const c = client();
    assert.deepEqual((await c.get('/healthz')).body, { status: 'ok' });
    const ready = await c.get('/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.checks.database, 'ok');
  });
});

describe('HSTS only when cookies are Secure (served over HTTPS)', () => {
  test('no HSTS with COOKIE_SECURE=false', async () => {
    const server = await startTestServer({ env: { COOKIE_SECURE: 'false' } });
    try {
      const res = await fetch(`${server.url}/healthz`);
      assert.equal(res.headers.get('strict-transport-security'), null);
    } finally {
      await server.close();
    }
  });
});
