import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { PASSWORD, TestClient, uniqueUsername } from '../../support/client.js';
import { type RawResponse, rawRequest } from '../../support/raw-http.js';
import { signedInAdmin, signedInMerchant } from '../defences/helpers.js';

/**
 * S-71 canonical routing, generated from the OpenAPI document: every unsafe operation under /api, sent
 * with a live session cookie but as a forger would (foreign Origin, `Sec-Fetch-Site: cross-site`, no
 * X-CSRF-Token), under every non-canonical spelling of its path that the router would still match —
 * percent-encoded letters in the first or a later segment, an absolute-form request target, a fragment — is never
 * answered 2xx and writes nothing; and every /api answer, refusals and 404s included, carries
 * `Cache-Control: no-store`. Raw sockets: fetch would normalise or refuse these targets.
 */

const APP = 'https://shop.example';
const FORGED = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
const UNSAFE = new Set(['post', 'put', 'patch', 'delete']);

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
};
type Operation = {
  tags?: string[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, unknown> }>;
};
type Doc = { paths: Record<string, Record<string, Operation>> };

/** Values a schema cannot invent: ones that make a forged request otherwise valid, so a bypass would act. */
const BY_NAME: Record<string, () => unknown> = {
  username: () => uniqueUsername('forged'),
  password: () => PASSWORD,
  currentPassword: () => PASSWORD,
  newPassword: () => 'a forged new passphrase 42',
  sku: () => `FORGED-${randomUUID().slice(0, 8)}`,
  version: () => 1,
};

/** A value valid for a JSON schema (every property filled in), so that only the CSRF rules can refuse it. */
function example(schema: Schema, name?: string): unknown {
  const byName = name === undefined ? undefined : BY_NAME[name];
  if (byName) return byName();
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const type = [schema.type ?? 'object'].flat().find((t) => t !== 'null') ?? 'null';
  switch (type) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, example(s, k)]));
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 0) }, () => example(schema.items ?? {}));
    case 'string':
      return 'forged'.padEnd(schema.minLength ?? 0, 'x');
    case 'integer':
    case 'number':
      return Math.min(Math.max(1, schema.minimum ?? 1), schema.maximum ?? 1);
    case 'boolean':
      return true;
    default:
      return null;
  }
}

function bodyFor(op: Operation): { contentType: string; body: string } | undefined {
  const [contentType, media] = Object.entries(op.requestBody?.content ?? {})[0] ?? [];
  if (!contentType) return undefined;
  if (contentType.includes('csv')) return { contentType, body: `sku,name,quantity\r\nFORGED-CSV-${randomUUID().slice(0, 8)},Forged,1\r\n` };
  return { contentType, body: JSON.stringify(example(media?.schema ?? {})) };
}

/**
 * Spellings of one concrete path that a lenient router resolves to the same route: the canonical one
 * (a control: it is refused already) and the non-canonical ones. `origin` is the server's own
 * http://host:port, for absolute-form targets.
 */
function spellings(path: string, literalSegments: ReadonlySet<number>, origin: string): string[] {
  // Upper-case hex here, lower-case above: both spell the same octet.
  const encode = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
  const segments = path.split('/');
  // The last segment that is route text, not a parameter value, with a letter to encode.
  const later = [...literalSegments].filter((i) => i > 1 && /[a-z]/i.test(segments[i] ?? '')).pop();
  const out = [
    path,
    path.replace(/^\/api\//, '/%61pi/'),
    path.replace(/^\/api\//, '/ap%69/'),
    path.replace(/^\/api\//, '/%61%70%69/'),
    path.replace(/^\/api\//, '/%61p%69/'),
    `${origin}${path}`,
    `${origin}${path.replace(/^\/api\//, '/%61pi/')}`,
    `HTTP://${new URL(origin).host}${path}`,
    // A fragment has no place in a request target; the router cuts the path there.
    `${path}#/../../elsewhere`,
  ];
  if (later !== undefined) {
    const s = segments[later] ?? '';
    const i = s.search(/[a-z]/i);
    const encoded = [...segments];
    encoded[later] = s.slice(0, i) + encode(s[i] ?? '') + s.slice(i + 1);
    out.push(encoded.join('/'));
  }
  return [...new Set(out)];
}

for (const database of ['pglite', 'postgres'] as const) {
  describe(`S-71 canonical routing (${database})`, () => {
    let server: TestServer;
    let doc: Doc;
    let origin: string;

    before(async () => {
      server = await startTestServer({ database, env: { ALLOWED_ORIGINS: APP } });
      origin = server.url;
      const res = await new TestClient(server.url).get('/docs/json');
      assert.equal(res.status, 200);
      doc = res.body;
    });
    after(() => server.close());

    /** Every row the app keeps, bar the audit trail and rate-limit counters; the merchant's tenant rows included. */
    async function snapshot(merchantId: string): Promise<Record<string, string[]>> {
      return server.db.transaction(async (tx) => {
        await tx.query(
          `SELECT set_config('app.shop_id', coalesce((SELECT shop_id::text FROM memberships WHERE user_id = $1 LIMIT 1), ''), true)`,
          [merchantId],
        );
        const tables = await tx.query<{ name: string }>(
          `SELECT table_name AS name FROM information_schema.tables
            WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
              AND table_name NOT IN ('audit_events', 'rate_limits')
            ORDER BY table_name`,
        );
        const out: Record<string, string[]> = {};
        for (const { name } of tables.rows) {
          // Renewal may move a session's idle expiry: that is the session being used, not written by a forgery.
          const rows = await tx.query<{ row: string }>(
            `SELECT (to_jsonb(t) - ARRAY['last_seen_at', 'idle_expires_at'])::text AS row FROM "${name}" t ORDER BY 1`,
          );
          out[name] = rows.rows.map((r) => r.row);
        }
        return out;
      });
    }

    test('every unsafe operation, under every non-canonical spelling, is refused, writes nothing and is not stored', async () => {
      const merchant = await signedInMerchant(server);
      const m = merchant.client;
      const created = await m.post('/api/items', { sku: 'CANON-1', name: 'Canonical', quantity: 5 });
      assert.equal(created.status, 201);
      const itemId = created.body.item.id as string;
      assert.equal((await m.post(`/api/items/${itemId}/adjustments`, { delta: 2, reason: 'received' })).status, 201);
      const second = new TestClient(server.url);
      assert.equal((await second.login(merchant.username)).status, 200);
      const sessions = (await m.get('/api/sessions')).body.sessions as { id: string; current: boolean }[];
      const otherSessionId = sessions.find((s) => !s.current)?.id;
      assert.ok(otherSessionId);
      const admin = await signedInAdmin(server);

      /** Parameter values that name real things, so a forged request that got through would act on them. */
      const valueFor = (path: string) => {
        if (path.startsWith('/api/items/')) return itemId;
        if (path.startsWith('/api/sessions/')) return otherSessionId;
        if (path.startsWith('/api/admin/users/')) return merchant.id;
        return randomUUID();
      };

      const operations = Object.entries(doc.paths)
        .filter(([path]) => path.startsWith('/api/'))
        .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));
      const unsafe = operations.filter((o) => UNSAFE.has(o.method));
      assert.ok(unsafe.length >= 14, `unsafe operations in the document: ${unsafe.length}`);
      assert.ok(unsafe.some((o) => o.path === '/api/auth/logout'));

      const before = await snapshot(merchant.id);
      const auditBefore = Number((await server.db.query<{ n: string }>('SELECT max(id) AS n FROM audit_events')).rows[0]?.n ?? 0);
      const violations: string[] = [];
      const check = (what: string, res: RawResponse, mayBe2xx: boolean) => {
        if (!mayBe2xx && res.status >= 200 && res.status < 300) violations.push(`${what} → ${res.status}`);
        if (!/\bno-store\b/.test(res.headers['cache-control'] ?? '')) {
          violations.push(`${what} → ${res.status} without Cache-Control: no-store (${res.headers['cache-control'] ?? 'none'})`);
        }
      };

      // Operations that end or rotate a session, or disable its user, last: on code that lets them through,
      // the others still meet a live session (and show whether they got through too).
      const lastly = (p: string) => (p.startsWith('/api/auth/') ? 2 : /^\/api\/admin\/|revoke|^\/api\/me$/.test(p) ? 1 : 0);
      unsafe.sort((a, b) => lastly(a.path) - lastly(b.path));
      for (const { path, method, op } of [...operations.filter((o) => !UNSAFE.has(o.method)), ...unsafe]) {
        const literal = new Set(path.split('/').flatMap((s, i) => (s.startsWith('{') ? [] : [i])));
        const concrete = path.replace(/\{([^}]+)\}/g, () => valueFor(path));
        const client = op.tags?.includes('admin') ? admin.client : m;
        const payload = UNSAFE.has(method) ? bodyFor(op) : undefined;
        // An event stream answered in full never ends: its canonical spelling is left to its own tests
        // (test/integration/sessions/events.test.ts); every non-canonical one must still be refused.
        const streams = Object.values(op.responses ?? {}).some((r) => r.content?.['text/event-stream'] !== undefined);
        for (const target of spellings(concrete, literal, origin).filter((t) => !streams || t !== concrete)) {
          const res = await rawRequest(server.url, {
            method: method.toUpperCase(),
            target,
            headers: {
              cookie: `${client.cookieName}=${client.token}`,
              ...FORGED,
              ...(payload ? { 'content-type': payload.contentType } : {}),
            },
            ...(payload ? { body: payload.body } : {}),
          });
          // A safe operation may answer (with the forger's headers it is still only a read); no-store always.
          check(`${method.toUpperCase()} ${target}`, res, !UNSAFE.has(method));
        }
      }
      // No route at all under /api, spelled plainly or not: 404 (or 400), and still not stored.
      for (const [method, target] of [
        ['GET', '/api/no-such-route'],
        ['POST', '/api/no-such-route'],
        ['GET', '/%61pi/no-such-route'],
        ['DELETE', `${origin}/api/no-such-route`],
      ] as const) {
        check(
          `${method} ${target}`,
          await rawRequest(server.url, { method, target, headers: { cookie: `${m.cookieName}=${m.token}`, ...FORGED } }),
          true,
        );
      }

      assert.deepEqual(violations, [], `${violations.length} violations:\n${violations.join('\n')}`);
      assert.deepEqual(await snapshot(merchant.id), before, 'no row was written, changed or deleted');
      const written = await server.db.query<{ type: string }>('SELECT DISTINCT type FROM audit_events WHERE id > $1', [auditBefore]);
      for (const { type } of written.rows) assert.ok(['csrf.failure', 'authz.denied'].includes(type), `audited ${type}`);
      for (const [who, client] of [
        ['merchant', m],
        ['merchant (second session)', second],
        ['admin', admin.client],
      ] as const) {
        assert.equal((await client.get('/api/auth/session')).status, 200, `${who} still signed in`);
      }
      // The canonical, same-origin request with its token still works.
      const control = await m.post('/api/items', { sku: 'CANON-2', name: 'Still works' }, { headers: { origin: APP } });
      assert.equal(control.status, 201);
    });
  });
}
