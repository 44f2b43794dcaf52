import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { TestServer } from '../../support/app.js';
import { type ApiResponse, TestClient } from '../../support/client.js';
import { BACKENDS } from './fixtures.js';
import { twoMerchants } from './two-merchants.js';

/* docs/api.md "Inventory" over real HTTP: a server on loopback, signed-in clients with cookie and CSRF token. */

function problem(res: ApiResponse, status: number, code: string) {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(res.body.code, code);
  assert.doesNotMatch(res.text, /SQLSTATE|syntax error|invalid byte sequence|node_modules|\.ts:\d/);
}

/** A problem body without its per-request instance id: what "identical" means across two requests. */
const sameProblem = (res: ApiResponse) => ({
  status: res.status,
  type: res.headers.get('content-type'),
  body: { ...res.body, instance: undefined },
});

for (const backend of BACKENDS) {
  describe(`inventory over HTTP (${backend})`, () => {
    let server: TestServer;
    let a: TestClient;
    let b: TestClient;
    before(async () => ({ server, a, b } = await twoMerchants(backend)));
    after(() => server?.close());

    test('nobody signed in: 401 on every inventory route, before any body is read', async () => {
      const anon = new TestClient(server.url);
      const id = randomUUID();
      const calls: [string, string, unknown?][] = [
        ['GET', '/api/items'],
        ['POST', '/api/items', { sku: 'x', name: 'x' }],
        ['GET', `/api/items/${id}`],
        ['PATCH', `/api/items/${id}`, { version: 1 }],
        ['DELETE', `/api/items/${id}`],
        ['POST', `/api/items/${id}/restore`],
        ['GET', '/api/items/lookup?code=x'],
        ['POST', `/api/items/${id}/adjustments`, { delta: 1, reason: 'sold' }],
        ['GET', `/api/items/${id}/movements`],
        ['GET', '/api/items/export.csv'],
        ['GET', '/api/inventory/summary'],
      ];
      for (const [method, path, body] of calls)
        problem(await anon.request(method, path, body === undefined ? {} : { body }), 401, 'unauthenticated');
      problem(
        await anon.request('POST', '/api/items/import', { raw: 'sku,name\n'.repeat(200_000), contentType: 'text/csv' }),
        401,
        'unauthenticated',
      );
    });

    test('create, read, edit with version, adjust, ledger, delete', async () => {
      const created = await a.post('/api/items', { sku: 'HTTP-1', name: 'Widget', quantity: 4, priceCents: 250, tags: ['t'] });
      assert.equal(created.status, 201);
      assert.match(created.headers.get('cache-control') ?? '', /no-store/);
      const item = created.body.item;
      assert.deepEqual(
        { ...item, id: 0, createdAt: 0, updatedAt: 0 },
        {
          id: 0,
          sku: 'HTTP-1',
          name: 'Widget',
          description: null,
          quantity: 4,
          unit: null,
          priceCents: 250,
          costCents: null,
          lowStockThreshold: 0,
          location: null,
          tags: ['t'],
          barcode: null,
          version: 1,
          createdAt: 0,
          updatedAt: 0,
          archivedAt: null,
        },
      );
      assert.deepEqual((await a.get(`/api/items/${item.id}`)).body, { item });
      problem(await a.post('/api/items', { sku: 'http-1', name: 'dup' }), 409, 'conflict');

      const edited = await a.patch(`/api/items/${item.id}`, { name: 'Widget v2', version: 1 });
      assert.equal(edited.status, 200);
      assert.equal(edited.body.item.version, 2);
      const stale = await a.patch(`/api/items/${item.id}`, { name: 'lost update', version: 1 });
      problem(stale, 409, 'conflict');
      assert.deepEqual(stale.body.current, edited.body.item);

      const adjusted = await a.post(`/api/items/${item.id}/adjustments`, { delta: -3, reason: 'sold', note: 'till 2' });
      assert.equal(adjusted.status, 201);
      assert.equal(adjusted.body.item.quantity, 1);
      assert.deepEqual(Object.keys(adjusted.body.movement).sort(), [
        'by',
        'createdAt',
        'delta',
        'id',
        'itemId',
        'note',
        'quantityAfter',
        'reason',
      ]);
      problem(await a.post(`/api/items/${item.id}/adjustments`, { delta: -2, reason: 'sold' }), 409, 'conflict');
      const ledger = await a.get(`/api/items/${item.id}/movements?limit=1`);
      assert.equal(ledger.body.movements.length, 1);
      assert.equal(ledger.body.movements[0].delta, -3);
      const rest = await a.get(`/api/items/${item.id}/movements?cursor=${ledger.body.nextCursor}`);
      assert.deepEqual(
        rest.body.movements.map((m: { delta: number }) => m.delta),
        [4],
      );
      assert.equal(rest.body.nextCursor, null);

      // DELETE archives (docs/api.md "Shop floor"): the item stays readable, with its archive time.
      assert.equal((await a.delete(`/api/items/${item.id}`)).status, 204);
      assert.match((await a.get(`/api/items/${item.id}`)).body.item.archivedAt, /^\d{4}-\d{2}-\d{2}T/);
    });

    test("a second merchant gets 404 (never 403, never data) on every route with the first one's ids", async () => {
      const secret = (await a.post('/api/items', { sku: 'CANARY-7', name: 'B-CANARY secret', quantity: 5, costCents: 100 })).body.item;
      const unknown = sameProblem(await b.get(`/api/items/${randomUUID()}`));
      const attempts: [string, string, unknown?][] = [
        ['GET', `/api/items/${secret.id}`],
        ['PATCH', `/api/items/${secret.id}`, { name: 'pwned', version: 1 }],
        ['DELETE', `/api/items/${secret.id}`],
        ['POST', `/api/items/${secret.id}/restore`],
        ['GET', '/api/items/lookup?code=CANARY-7'],
        ['POST', `/api/items/${secret.id}/adjustments`, { delta: -5, reason: 'lost' }],
        ['GET', `/api/items/${secret.id}/movements`],
      ];
      for (const [method, path, body] of attempts) {
        const res = await b.request(method, path, body === undefined ? {} : { body });
        problem(res, 404, 'not_found');
        assert.deepEqual(sameProblem(res), unknown, `${method} ${path}`);
      }
      // Collections, search, export and totals of B show nothing of A; tenant filters are refused.
      for (const path of [
        '/api/items',
        '/api/items?q=CANARY-7',
        '/api/items?q=B-CANARY&limit=200',
        '/api/items?lowStock=true',
        '/api/items?archived=true',
      ]) {
        const res = await b.get(path);
        assert.equal(res.status, 200);
        assert.ok(!res.text.includes('CANARY'), path);
      }
      for (const path of [`/api/items?merchantId=${a}`, '/api/items?merchant_id=x', '/api/items?include=all', '/api/items?limit=100000']) {
        problem(await b.get(path), 400, 'validation');
      }
      const exported = await b.get('/api/items/export.csv');
      assert.equal(exported.status, 200);
      assert.ok(!exported.text.includes('CANARY'));
      assert.deepEqual((await b.get('/api/inventory/summary')).body.stockValueCents, 0);
      // Importing A's SKU makes B's own item; A's stays as it was.
      const imported = await b.request('POST', '/api/items/import', {
        raw: 'sku,name,quantity\nCANARY-7,mine,1\n',
        contentType: 'text/csv',
      });
      assert.deepEqual([imported.body.created, imported.body.updated], [1, 0]);
      assert.deepEqual((await a.get(`/api/items/${secret.id}`)).body.item, secret);
    });

    test('Idempotency-Key: a retry replays the first response and writes nothing; another body is 409', async () => {
      const headers = { 'idempotency-key': randomUUID() };
      const body = { sku: 'IDEM-1', name: 'once', quantity: 2 };
      const first = await a.post('/api/items', body, { headers });
      const again = await a.post('/api/items', body, { headers });
      assert.equal(first.status, 201);
      assert.equal(again.status, 201);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(again.body, first.body);
      problem(await a.post('/api/items', { ...body, name: 'changed' }, { headers }), 409, 'conflict');
      const id = first.body.item.id;
      const adj = { 'idempotency-key': 'adjust-once' };
      const r1 = await a.post(`/api/items/${id}/adjustments`, { delta: 5, reason: 'received' }, { headers: adj });
      const r2 = await a.post(`/api/items/${id}/adjustments`, { delta: 5, reason: 'received' }, { headers: adj });
      assert.deepEqual(r2.body, r1.body);
      assert.equal((await a.get(`/api/items/${id}`)).body.item.quantity, 7);
      assert.equal((await a.get(`/api/items/${id}/movements`)).body.movements.length, 2);
      const csvHeaders = { 'idempotency-key': 'import-once' };
      const csv = 'sku,name,quantity\nIDEM-CSV,from csv,3\n';
      const i1 = await a.request('POST', '/api/items/import', { raw: csv, contentType: 'text/csv', headers: csvHeaders });
      const i2 = await a.request('POST', '/api/items/import', { raw: csv, contentType: 'text/csv', headers: csvHeaders });
      assert.deepEqual([i1.body.created, i1.body.updated], [1, 0]);
      assert.deepEqual(i2.body, i1.body, 'the replay answers the first import, its id included');
      assert.equal(i2.headers.get('idempotent-replayed'), 'true');
      problem(await a.post('/api/items', body, { headers: { 'idempotency-key': 'has space' } }), 400, 'validation');
    });

    test('40 concurrent -1 adjustments over HTTP on quantity 25: 25 × 201, 15 × 409, stock 0', async (ctx) => {
      const item = (await a.post('/api/items', { sku: 'RACE-HTTP', name: 'race', quantity: 25 })).body.item;
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: 40 }, () => a.post(`/api/items/${item.id}/adjustments`, { delta: -1, reason: 'sold' })),
      );
      const ms = performance.now() - started;
      const statuses = results.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 201).length, 25);
      assert.equal(statuses.filter((s) => s === 409).length, 15);
      assert.equal((await a.get(`/api/items/${item.id}`)).body.item.quantity, 0);
      const ledger = await a.get(`/api/items/${item.id}/movements?limit=200`);
      assert.equal(ledger.body.movements.filter((m: { reason: string }) => m.reason === 'sold').length, 25);
      assert.equal(
        ledger.body.movements.reduce((s: number, m: { delta: number }) => s + m.delta, 0),
        0,
      );
      ctx.diagnostic(`HTTP race (${backend}): 25 × 201, 15 × 409, quantity 0, ${ms.toFixed(0)} ms`);
    });

    test('input is validated: types, unknown fields, NUL, lone surrogates, query pollution', async () => {
      const bad: unknown[] = [
        { sku: 'V', name: 'n', quantity: '5' },
        { sku: 'V', name: 'n', quantity: 1.5 },
        { sku: 'V', name: 'n', quantity: -1 },
        { sku: 'V', name: 'n', merchantId: 'x' },
        { sku: 'V', name: 'nul\u0000' },
        { sku: 'V', name: 'rtl\u202Eoverride' },
        { name: 'no sku' },
      ];
      for (const body of bad) problem(await a.post('/api/items', body), 400, 'validation');
      problem(
        await a.request('POST', '/api/items', { raw: '{"sku":"V","name":"\\ud800"}', contentType: 'application/json' }),
        400,
        'validation',
      );
      problem(
        await a.request('POST', '/api/items', { raw: '{"sku":"V","name":"x","quantity":1e309}', contentType: 'application/json' }),
        400,
        'validation',
      );
      const emoji = await a.post('/api/items', { sku: 'EMOJI', name: '🧰 box' });
      assert.equal(emoji.body.item.name, '🧰 box');
      problem(await a.patch(`/api/items/${emoji.body.item.id}`, { quantity: 9, version: 1 }), 400, 'validation');
      problem(await a.post(`/api/items/${emoji.body.item.id}/adjustments`, { delta: 0, reason: 'sold' }), 400, 'validation');
      problem(await a.post(`/api/items/${emoji.body.item.id}/adjustments`, { delta: 1, reason: 'gift' }), 400, 'validation');
      for (const query of [
        'q=a&q=b',
        'limit=201',
        'limit=-1',
        'limit[]=1',
        'sort=merchant_id',
        'sort=name;DROP TABLE items',
        'cursor=!!',
        'lowStock=yes',
      ]) {
        problem(await a.get(`/api/items?${query}`), 400, 'validation');
      }
      for (const id of ['not-a-uuid', "1'%20OR%20'1'='1", 'x'.repeat(64)]) problem(await a.get(`/api/items/${id}`), 404, 'not_found');
      problem(await a.request('POST', '/api/items', { raw: 'sku,name\na,b', contentType: 'text/csv' }), 415, 'unsupported_media_type');
      problem(await a.post('/api/items/import', { sku: 'a', name: 'b' }), 415, 'unsupported_media_type');
    });

    test('CSV: export is text/csv with formulas neutralised; import answers 422 with row errors, 413 when huge', async () => {
      await a.post('/api/items', { sku: 'CSV-1', name: '=HYPERLINK("http://evil","x")' });
      const exported = await a.get('/api/items/export.csv');
      assert.equal(exported.status, 200);
      assert.match(exported.headers.get('content-type') ?? '', /^text\/csv; charset=utf-8/);
      assert.match(exported.headers.get('content-disposition') ?? '', /attachment/);
      assert.match(exported.headers.get('cache-control') ?? '', /no-store/);
      assert.ok(exported.text.includes(`"'=HYPERLINK(""http://evil"",""x"")"`));
      // Round trip through HTTP: importing our own export changes nothing.
      const again = await a.request('POST', '/api/items/import', { raw: exported.text, contentType: 'text/csv; charset=utf-8' });
      assert.deepEqual([again.body.created, again.body.updated], [0, 0]);

      const bad = await a.request('POST', '/api/items/import', {
        raw: 'sku,name,quantity\nOK-ROW-77,fine,1\nBAD,,many\n',
        contentType: 'text/csv',
      });
      problem(bad, 422, 'validation');
      assert.deepEqual(
        bad.body.errors.map((e: { path: string }) => e.path),
        ['rows/2/name', 'rows/2/quantity'],
      );
      assert.deepEqual((await a.get('/api/items?q=OK-ROW-77')).body.items, [], 'nothing written');
      problem(
        await a.request('POST', '/api/items/import', { raw: Buffer.from([0x73, 0x6b, 0x75, 0x2c, 0xc3, 0x28]), contentType: 'text/csv' }),
        422,
        'validation',
      );

      // Above the global 1 MiB JSON limit but within the 20 MiB CSV one.
      const rows = ['sku,name,description'];
      for (let i = 0; i < 2000; i++) rows.push(`BIG-${i},Big ${i},${'d'.repeat(1000)}`);
      const big = await a.request('POST', '/api/items/import', { raw: rows.join('\n'), contentType: 'text/csv' });
      assert.deepEqual([big.body.created, big.body.updated], [2000, 0]);
      problem(
        await a.request('POST', '/api/items/import', { raw: 'x'.repeat(21 * 1024 * 1024), contentType: 'text/csv' }),
        413,
        'payload_too_large',
      );
    });

    test('summary', async () => {
      const c = new TestClient(server.url);
      await c.register();
      assert.deepEqual((await c.get('/api/inventory/summary')).body, { itemCount: 0, totalUnits: 0, stockValueCents: 0, lowStockCount: 0 });
      await c.post('/api/items', { sku: 'S1', name: 'one', quantity: 3, costCents: 100, priceCents: 999, lowStockThreshold: 5 });
      await c.post('/api/items', { sku: 'S2', name: 'two', quantity: 2, priceCents: 50 });
      assert.deepEqual((await c.get('/api/inventory/summary')).body, {
        itemCount: 2,
        totalUnits: 5,
        stockValueCents: 400,
        lowStockCount: 1,
      });
    });
  });
}
