import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { closeDeps, createDeps } from '../../../src/wiring/deps.js';
import { requireUser } from '../../../src/http/guards.js';
import { type TestServer, startTestServer } from '../../support/app.js';
import { type ApiResponse, TestClient } from '../../support/client.js';
import { openTestPglite } from '../../support/pglite.js';
import { signedInAdmin, signedInMerchant } from '../defences/helpers.js';
import { REFUSAL_BUDGETS } from '../../../src/http/refusals.js';

/**
 * Default deny (S-47, S-51; refusals audited, S-69), walked over the whole contract: every operation of the OpenAPI document (not a hand
 * list, so a new route is covered the day it is added) is called anonymously, with each wrong platform
 * role and with the right one. Every probe is built to fail validation (an unknown query parameter, an
 * unknown body field, an over-long path parameter), so a 401/403 proves the guard ran before the route's
 * schema was looked at: nobody learns a route's shape without the right to call it.
 */

type Operation = { 'x-access'?: string; security?: Record<string, string[]>[] };
type Doc = { paths: Record<string, Record<string, Operation>> };

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Longer than any path parameter's maxLength (64), so validation would refuse it were it reached. */
const BAD_PARAM = 'p'.repeat(80);

/** "/api/items/{id}" → "/api/items/pppp…?unexpected=1": a request no route schema accepts. */
function probePath(path: string): string {
  return `${path.replace(/\{[^}]+\}/g, BAD_PARAM)}?unexpected=1`;
}

function probe(client: TestClient, method: string, path: string): Promise<ApiResponse> {
  return client.request(method, probePath(path), UNSAFE.has(method) ? { body: { unexpected: true } } : {});
}

/** Who may call, and who must be refused with 403, for each declaration. */
const ROLES = {
  user: { allowed: ['merchant', 'admin'], refused: [] },
  merchant: { allowed: ['merchant'], refused: ['admin'] },
  admin: { allowed: ['admin'], refused: ['merchant'] },
  // The merchant signed up, so owns the shop their session works in (every shop role is theirs); an
  // admin's memberships are dormant. Each role below the declared one: test/integration/shops/matrix.test.ts.
  'shop:viewer': { allowed: ['merchant'], refused: ['admin'] },
  'shop:clerk': { allowed: ['merchant'], refused: ['admin'] },
  'shop:manager': { allowed: ['merchant'], refused: ['admin'] },
  'shop:owner': { allowed: ['merchant'], refused: ['admin'] },
} as const;

describe('access: every operation of the OpenAPI document', () => {
  let server: TestServer;
  let operations: { method: string; path: string; access: string; op: Operation }[];
  const clients: Record<'merchant' | 'admin', TestClient> = {} as never;
  const usernames: Record<'merchant' | 'admin', string> = {} as never;
  let anonymous: TestClient;

  /** A new session of the same user: audited refusals are bounded per session (http/refusals.ts, S-87). */
  async function freshSession(who: 'merchant' | 'admin'): Promise<TestClient> {
    const client = new TestClient(server.url);
    const res = await client.login(usernames[who]);
    assert.equal(res.status, 200, `${who} sign-in`);
    return client;
  }

  /**
   * A session for the next refusal: a new one every ROWS_PER_SESSION refusals, so each refusal is audited,
   * but not one per refusal — a user holds at most SESSION_MAX_PER_USER sessions (20), and signing in
   * beyond that would end the oldest, the very sessions the next test probes with.
   */
  const refusing: Partial<Record<'merchant' | 'admin', { client: TestClient; used: number }>> = {};
  async function refusingSession(who: 'merchant' | 'admin'): Promise<TestClient> {
    let current = refusing[who];
    if (!current || current.used >= REFUSAL_BUDGETS.ROWS_PER_SESSION) {
      current = { client: await freshSession(who), used: 0 };
      refusing[who] = current;
    }
    current.used += 1;
    return current.client;
  }

  before(async () => {
    server = await startTestServer();
    anonymous = new TestClient(server.url);
    const doc = (await anonymous.get('/docs/json')).body as Doc;
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, access: op['x-access'] ?? '(none)', op })),
    );
    const merchant = await signedInMerchant(server);
    const admin = await signedInAdmin(server);
    clients.merchant = merchant.client;
    clients.admin = admin.client;
    usernames.merchant = merchant.username;
    usernames.admin = admin.username;
  });
  after(() => server.close());

  test('every operation declares who may call it, and the document says so in its security requirement', () => {
    assert.ok(operations.length >= 31, `operations in the document: ${operations.length}`);
    for (const { method, path, access, op } of operations) {
      const where = `${method} ${path}`;
      assert.ok(access in ROLES || access === 'public' || access === 'scraper', `${where}: x-access ${access}`);
      const expected =
        access === 'public'
          ? []
          : access === 'scraper'
            ? [{ metricsToken: [] }, {}]
            : [{ sessionCookie: access === 'user' ? [] : [access] }];
      assert.deepEqual(op.security, expected, `${where}: security`);
    }
  });

  test('anonymous → 401 unauthenticated before validation, except public and scraper operations', async () => {
    const wrong: string[] = [];
    for (const { method, path, access } of operations) {
      if (access === 'public' || access === 'scraper') continue;
      for (const m of method === 'GET' ? ['GET', 'HEAD'] : [method]) {
        const res = await probe(anonymous, m, path);
        // HEAD answers carry no body: the status alone says it.
        if (res.status !== 401 || (m !== 'HEAD' && res.body.code !== 'unauthenticated'))
          wrong.push(`${m} ${path} (${access}): ${res.status} ${res.body.code ?? ''}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('signed in with the wrong platform role → 403 forbidden before validation, audited as authz.denied', async () => {
    const wrong: string[] = [];
    const refusals: { who: 'merchant' | 'admin'; method: string; route: string }[] = [];
    for (const { method, path, access } of operations) {
      if (!(access in ROLES)) continue;
      for (const who of ROLES[access as keyof typeof ROLES].refused) {
        const res = await probe(await refusingSession(who), method, path);
        if (res.status !== 403 || res.body.code !== 'forbidden')
          wrong.push(`${who} ${method} ${path} (${access}): ${res.status} ${res.body.code ?? ''}`);
        refusals.push({ who, method, route: path.replace(/\{([^}]+)\}/g, ':$1') });
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(refusals.length >= 15, `wrong-role probes: ${refusals.length}`);
    // Written off the request's path: poll until every refusal has its row.
    const deadline = Date.now() + 30_000;
    let rows: { method: string; route: string }[] = [];
    while (Date.now() < deadline) {
      const res = await server.db.query<{ method: string; route: string }>(
        "SELECT details->>'method' AS method, details->>'route' AS route FROM audit_events WHERE type = 'authz.denied'",
      );
      rows = res.rows;
      if (rows.length >= refusals.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const key = (r: { method: string; route: string }) => `${r.method} ${r.route}`;
    assert.deepEqual(rows.map(key).sort(), refusals.map(key).sort());
  });

  test('the right role gets past the guard (whatever the route then says of the dummy request)', async () => {
    const wrong: string[] = [];
    let probes = 0;
    for (const { method, path, access } of operations) {
      if (!(access in ROLES)) continue;
      for (const who of ROLES[access as keyof typeof ROLES].allowed) {
        const res = await probe(clients[who], method, path);
        probes++;
        // 400/404/415 are the route's own answers to a request built to be wrong; 401/403 would be the
        // guard (or a handler still deciding who may call), 5xx a handler that disagrees with its declaration.
        if (res.status === 401 || res.status === 403 || res.status >= 500)
          wrong.push(`${who} ${method} ${path} (${access}): ${res.status} ${res.body.code ?? ''}`);
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(probes >= 27, `right-role probes: ${probes}`);
    // Still signed in: no probe ended the session it was made with.
    for (const who of ['merchant', 'admin'] as const) assert.equal((await clients[who].get('/api/auth/session')).status, 200, who);
  });

  test('public and scraper operations answer an anonymous caller with something other than 401/403', async () => {
    const wrong: string[] = [];
    for (const { method, path, access } of operations) {
      if (access !== 'public' && access !== 'scraper') continue;
      // The test client is a direct loopback caller: /metrics (no METRICS_TOKEN here) serves it.
      const res = await probe(anonymous, method, path);
      if (res.status === 401 || res.status === 403 || res.status >= 500)
        wrong.push(`${method} ${path} (${access}): ${res.status} ${res.body.code ?? ''}`);
    }
    assert.deepEqual(wrong, []);
  });
});

describe('access: a route without a declaration refuses to start', () => {
  async function appWith(extra: (app: FastifyInstance) => void): Promise<{ app: FastifyInstance; ready: () => Promise<void> }> {
    const deps = createDeps(loadConfig({ HOST: '127.0.0.1', PORT: '0' }), await openTestPglite());
    const app = await buildApp(deps);
    app.addHook('onClose', () => closeDeps(deps));
    // Registered the way every route module is: a plugin of the built app.
    void app.register(async (scope) => extra(scope));
    return {
      app,
      ready: async () => {
        await app.ready();
      },
    };
  }

  let built: FastifyInstance[] = [];
  after(async () => {
    for (const app of built) await app.close().catch(() => {});
    built = [];
  });

  test('a route with no access declaration: ready() rejects, naming the route', async () => {
    const { app, ready } = await appWith((s) => s.get('/api/stray', async () => ({ ok: true })));
    built.push(app);
    await assert.rejects(ready(), /GET \/api\/stray declares no access/);
  });

  test('a nested plugin and an unknown access value are refused too', async () => {
    const nested = await appWith(
      (s) =>
        void s.register(async (inner) => {
          inner.post('/api/deeper', { config: {} }, async () => ({}));
        }),
    );
    built.push(nested.app);
    await assert.rejects(nested.ready(), /POST \/api\/deeper declares no access/);

    const typo = await appWith((s) => s.get('/api/typo', { config: { access: 'amdin' as never } }, async () => ({})));
    built.push(typo.app);
    await assert.rejects(typo.ready(), /GET \/api\/typo declares an unknown access "amdin"/);
  });

  test('the same route with a declaration starts, and is guarded', async () => {
    const { app, ready } = await appWith((s) => s.get('/api/declared', { config: { access: 'admin' } }, async () => ({ ok: true })));
    built.push(app);
    await ready();
    const res = await app.inject({ method: 'GET', url: '/api/declared' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().code, 'unauthenticated');
  });

  test('a handler that needs more than its route declares is a bug: 500, not a second authorization decision', async () => {
    const { app, ready } = await appWith((s) =>
      s.get('/api/misdeclared', { config: { access: 'public' } }, async (request) => requireUser(request).user.id),
    );
    built.push(app);
    await ready();
    const res = await app.inject({ method: 'GET', url: '/api/misdeclared' });
    assert.equal(res.statusCode, 500);
    assert.equal(res.json().code, 'internal');
    assert.doesNotMatch(res.body, /declares|misdeclared|access/, 'nothing about the route reaches the client');
  });
});

describe('access: routes of plugins we do not own are public only where registered as such', () => {
  let server: TestServer;
  let webRoot: string;
  before(async () => {
    webRoot = mkdtempSync(join(tmpdir(), 'stockade-web-'));
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>Stockade</title>');
    writeFileSync(join(webRoot, 'assets', 'app.js'), 'console.log(1)');
    server = await startTestServer({ webRoot });
  });
  after(async () => {
    await server.close();
    rmSync(webRoot, { recursive: true, force: true });
  });

  test('the web app files and the docs UI answer anyone; the API beside them does not', async () => {
    const anonymous = new TestClient(server.url);
    for (const path of ['/', '/index.html', '/assets/app.js', '/docs', '/docs/json', '/docs/problems']) {
      assert.equal((await anonymous.get(path)).status, 200, path);
    }
    assert.equal((await anonymous.get('/api/items')).status, 401);
    assert.equal((await anonymous.get('/api/admin/users')).status, 401);
  });
});
