import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ensureAdmin } from '../../src/auth/bootstrap-admin.js';
import { hashToken, newToken } from '../../src/sessions/tokens.js';
import { ERROR_CODES } from '../../src/errors.js';
import { startTestServer, type TestServer } from '../support/app.js';
import { type ApiResponse, PASSWORD, TestClient, uniqueUsername } from '../support/client.js';
import {
  HOSTILE_IDS,
  hostileQueries,
  hostileValues,
  type JsonSchema,
  parserLevelBodies,
  type RawBody,
  schemaLevelBodies,
} from './support/hostile.js';

/**
 * Table-driven input fuzz over every operation of the OpenAPI document: hostile path parameters, query
 * values, body fields (wrong types, NUL, lone surrogates, over-long strings, huge and fractional numbers,
 * deep nesting, prototype keys) and whole bodies (malformed, invalid UTF-8, oversized, wrong media
 * types). Each case starts from a request that would succeed and breaks one thing. Every answer must be
 * a 4xx problem with a catalogue code — never a 5xx, never a success — and nothing may be written: row
 * counts of the data tables are the same afterwards. (Refused sign-ins and CSRF failures are recorded in
 * the audit trail and the throttle; those tables are meant to grow, and are not counted.)
 */

const DATA_TABLES = [
  'users',
  'sessions',
  'items',
  'movements',
  'idempotency_keys',
  'install_secrets',
  'email_verifications',
  'mail_queue',
  'shops',
  'memberships',
  'passkeys',
  'counts',
  'count_lines',
  'imports',
  'import_items',
];
const CODES = new Set(Object.keys(ERROR_CODES));
/** Operations that take no input at all (nothing to fuzz but the URL itself, covered by the 404 tests). */
const NO_INPUT = new Set([
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /api/auth/session',
  'GET /api/sessions',
  'GET /api/events',
  'GET /api/items/export.csv',
  'GET /api/items/import/template',
  'GET /api/inventory/summary',
  'GET /api/counts',
  'POST /api/me/export',
  'GET /api/me/mfa',
  'GET /api/me/email',
  'GET /api/shop',
  'GET /api/shop/members',
  'GET /api/shop/invitations',
]);

const B64 = Buffer.from('{"type":"webauthn.get","challenge":"AAAA","origin":"http://localhost"}').toString('base64url');
const FAKE_REGISTRATION = {
  id: 'AAAAAAAA',
  rawId: 'AAAAAAAA',
  type: 'public-key',
  response: { clientDataJSON: B64, attestationObject: 'oA' },
  clientExtensionResults: {},
};
const FAKE_ASSERTION = {
  id: 'AAAAAAAA',
  rawId: 'AAAAAAAA',
  type: 'public-key',
  response: { clientDataJSON: B64, authenticatorData: 'AAAA', signature: 'AAAA' },
  clientExtensionResults: {},
};

type Operation = { parameters?: { name: string; in: string }[]; requestBody?: { content: Record<string, { schema: JsonSchema }> } };

describe('hostile input on every route', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { LOGIN_ADDRESS_MAX_FAILURES: '100000' } });
  });
  after(() => server.close());

  async function counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const t of DATA_TABLES) out[t] = Number((await server.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`)).rows[0]?.n);
    return out;
  }

  test('only 4xx problem answers, never a 5xx or a success, and nothing written', async (t) => {
    const doc = (await new TestClient(server.url).get('/docs/json')).body as { paths: Record<string, Record<string, Operation>> };

    // The world each case starts from: a merchant with an item and a second session, another merchant,
    // an admin. Every base request below would succeed.
    const merchant = new TestClient(server.url);
    const me = await merchant.register();
    const item = (await merchant.post('/api/items', { sku: 'FZ-1', name: 'Fuzz', quantity: 5 })).body.item;
    // An open stock count over it: the count routes' hostile cases must neither enter, commit nor abandon it.
    const count = (await merchant.post('/api/counts', {})).body.count;
    assert.equal((await new TestClient(server.url).login(me.username)).status, 200);
    const otherSession = (await merchant.get('/api/sessions')).body.sessions.find((s: { current: boolean }) => !s.current).id as string;
    const victim = await new TestClient(server.url).register();
    const myShop = (await server.db.query<{ shop_id: string }>('SELECT shop_id FROM memberships WHERE user_id = $1', [me.id])).rows[0]
      ?.shop_id;
    const adminName = uniqueUsername('admin');
    await ensureAdmin(server.deps.users, server.deps.authenticator, adminName, PASSWORD);
    const admin = new TestClient(server.url);
    assert.equal((await admin.login(adminName)).status, 200);
    const anonymous = new TestClient(server.url);
    // A live reset link for the victim: the hostile cases on the reset routes must neither use it up nor set a password.
    const reset = await server.deps.passwordResets.issue({ id: victim.id }, { issuedBy: 'admin' });
    assert.ok(reset);
    // A live e-mail verification link for the victim: no hostile case may use it.
    const verification = newToken();
    await server.db.query(
      "INSERT INTO email_verifications (token_hash, user_id, email, email_key, expires_at) VALUES ($1, $2, 'v@example.test', 'v@example.test', now() + interval '1 hour')",
      [hashToken(verification), victim.id],
    );

    const BASE_BODIES: Record<string, Record<string, unknown>> = {
      'POST /api/auth/register': { username: uniqueUsername('fz'), password: 'a perfectly good passphrase 7' },
      'POST /api/auth/login': { username: me.username, password: PASSWORD, remember: false },
      'POST /api/auth/reauthenticate': { password: PASSWORD },
      'POST /api/auth/password': { currentPassword: PASSWORD, newPassword: 'another good passphrase 42' },
      'POST /api/items': {
        sku: 'FZ-NEW',
        name: 'New',
        description: 'd',
        quantity: 1,
        unit: 'pc',
        priceCents: 100,
        costCents: 50,
        lowStockThreshold: 1,
        location: 'A1',
        tags: ['t'],
      },
      'PATCH /api/items/:id': { name: 'Renamed', version: item.version },
      'POST /api/items/:id/adjustments': { delta: 1, reason: 'received', note: 'n' },
      'PATCH /api/admin/users/:id': { disabled: true },
      'DELETE /api/me': { password: PASSWORD },
      'POST /api/auth/password-reset/:token': { newPassword: 'another good passphrase 42' },
      'POST /api/admin/users/:id/password-reset': { invalidatePassword: false },
      'POST /api/auth/shop': { shopId: myShop },
      'POST /api/shops': { name: 'Fuzz shop' },
      'PATCH /api/shop': { name: 'Fuzz shop renamed', currency: 'USD', timezone: 'Pacific/Auckland', requireMfa: false },
      'DELETE /api/shop': { password: PASSWORD },
      'PATCH /api/shop/members/:userId': { role: 'viewer' },
      'POST /api/shop/invitations': { role: 'viewer' },
      'POST /api/me/mfa/totp/confirm': { code: '123456' },
      'POST /api/auth/login/mfa': { code: '123456' },
      // Well-formed WebAuthn responses that verify against nothing (no challenge was issued for them).
      'POST /api/me/passkeys': { response: FAKE_REGISTRATION, name: 'Fuzz key' },
      'PATCH /api/me/passkeys/:id': { name: 'Renamed key' },
      'POST /api/auth/passkey': { response: FAKE_ASSERTION },
      'PUT /api/me/email': { email: 'fuzz@example.test' },
      'POST /api/auth/verify-email': { token: verification },
      'POST /api/auth/password-reset': { login: me.username },
      'POST /api/counts': { name: 'Fuzz count', location: 'A1', tag: 't' },
      'PUT /api/counts/:id/lines/:itemId': { counted: 3 },
    };
    const idFor = (path: string) =>
      path.startsWith('/api/items')
        ? item.id
        : path.startsWith('/api/counts')
          ? count.id
          : path.startsWith('/api/sessions')
            ? otherSession
            : path.startsWith('/api/auth/password-reset')
              ? reset.token
              : victim.id;

    const before = await counts();
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let cases = 0;
    const check = (label: string, res: ApiResponse, status?: number) => {
      cases++;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const problem = /^application\/problem\+json/.test(res.headers.get('content-type') ?? '');
      if (
        res.status < 400 ||
        res.status >= 500 ||
        !problem ||
        !CODES.has(res.body?.code) ||
        (status !== undefined && res.status !== status)
      ) {
        failures.push(`${label}: ${res.status} ${res.text.slice(0, 160)}`);
      } else if (/\n\s+at |node_modules|SQLSTATE|syntax error at/.test(res.text)) {
        failures.push(`${label}: internals in the answer: ${res.text.slice(0, 160)}`);
      }
    };

    for (const [openapiPath, ops] of Object.entries(doc.paths)) {
      for (const [lower, op] of Object.entries(ops)) {
        const method = lower.toUpperCase();
        const path = openapiPath.replace(/\{(id|token|userId|itemId)\}/g, ':$1');
        const key = `${method} ${path}`;
        // Sign-up and sign-in from a client without a cookie: a sign-in revokes the session it presents.
        const client = path.startsWith('/api/admin') ? admin : /^\/api\/auth\/(login|register)$/.test(path) ? anonymous : merchant;
        const url = (id = idFor(path)) => path.replace(/:id\b|:token|:userId/, id).replace(':itemId', item.id);
        const jsonSchema = op.requestBody?.content['application/json']?.schema;
        const csv = op.requestBody?.content['text/csv'] !== undefined;
        const queryParams = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
        const hasId = /:id\b|:token|:userId/.test(path);
        const unsafe = method !== 'GET';
        if (!hasId && !queryParams.length && !unsafe) {
          assert.ok(NO_INPUT.has(key), `${key} takes input but has no fuzz cases`);
          continue;
        }
        const base = BASE_BODIES[key];
        if (jsonSchema) assert.ok(base, `${key} has a JSON body but no valid base body in this test`);
        const send = (label: string, target: string, body: RawBody | { json: unknown } | undefined, status?: number) =>
          client
            .request(
              method,
              target,
              body === undefined
                ? {}
                : 'json' in body
                  ? { body: body.json }
                  : { raw: body.raw, ...(body.contentType ? { contentType: body.contentType } : {}) },
            )
            .then((res) => check(`${key} ${label}`, res, status));

        if (hasId) for (const id of HOSTILE_IDS) await send(`id ${id.slice(0, 20)}`, url(id), base ? { json: base } : undefined);
        for (const p of queryParams)
          for (const q of hostileQueries(p)) await send(`query ${q.slice(0, 24)}`, `${url()}?${q}`, undefined, 400);
        if (!unsafe) continue;
        if (jsonSchema && base) {
          for (const [field, fieldSchema] of Object.entries(jsonSchema.properties ?? {})) {
            for (const h of hostileValues(fieldSchema)) await send(`${field} = ${h.label}`, url(), { json: { ...base, [field]: h.value } });
          }
          for (const b of schemaLevelBodies(base)) await send(b.label, url(), b, b.status);
          if (op.parameters?.some((p) => p.name === 'Idempotency-Key')) {
            for (const k of ['x'.repeat(300), 'caf\u00e9', ' ']) {
              await client
                .request(method, url(), { body: base, headers: { 'idempotency-key': k } })
                .then((res) => check(`${key} Idempotency-Key ${k.slice(0, 8)}`, res, 400));
            }
          }
        }
        // Parser-level refusals apply to every unsafe route, with or without a body schema: a route that
        // ignores its body (logout, DELETE) must not run on a body the server cannot even read.
        for (const b of parserLevelBodies(base ?? {}))
          if (!csv || b.contentType?.startsWith('application/json'))
            await send(b.label, url(), b, csv && b.status === 415 ? undefined : b.status);
        if (csv) {
          const csvCases: RawBody[] = [
            {
              label: 'CSV invalid UTF-8',
              raw: Buffer.concat([Buffer.from('sku,name\nA,'), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]),
              contentType: 'text/csv',
              status: 422,
            },
            { label: 'CSV NUL cell', raw: 'sku,name\nA,a\u0000b\n', contentType: 'text/csv', status: 422 },
            { label: 'CSV without header', raw: '\n', contentType: 'text/csv', status: 422 },
            { label: 'CSV unknown column', raw: 'sku,name,__proto__\nA,B,1\n', contentType: 'text/csv' },
            { label: 'CSV over 20 MiB', raw: `sku,name\n${'A,B\n'.repeat(5_400_000)}`, contentType: 'text/csv', status: 413 },
            { label: 'CSV as text/plain', raw: 'sku,name\nA,B\n', contentType: 'text/plain', status: 415 },
            { label: 'CSV labelled latin1', raw: 'sku,name\nA,B\n', contentType: 'text/csv; charset=latin1', status: 415 },
            { label: 'JSON to the CSV route', raw: '{"sku":"A","name":"B"}', contentType: 'application/json', status: 415 },
          ];
          for (const b of csvCases) await send(b.label, url(), b, b.status);
        }
      }
    }

    const afterCounts = await counts();
    const now = (await merchant.get(`/api/items/${item.id}`)).body.item;
    t.diagnostic(
      `fuzz: ${cases} hostile requests over ${Object.keys(doc.paths).length} paths; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
    );
    assert.deepEqual(failures, []);
    assert.deepEqual(afterCounts, before, 'no row written or deleted');
    assert.equal(now.version, item.version, 'the item is untouched');
    assert.equal(now.quantity, item.quantity);
    assert.deepEqual(
      await server.deps.passwordResets.peek(reset.token),
      { username: victim.username, userId: victim.id },
      'the reset link is unused and not replaced',
    );
    const polluted = Object.keys(Object.prototype).concat(['isAdmin', 'polluted'].filter((k) => k in {}));
    assert.deepEqual(polluted, [], 'Object.prototype unpolluted');
  });
});
