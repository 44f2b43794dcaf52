import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ensureAdmin } from '../../../src/auth/bootstrap-admin.js';
import type { TestServer } from '../../support/app.js';
import { type ApiResponse, PASSWORD, TestClient, uniqueUsername } from '../../support/client.js';
import { BACKENDS } from './fixtures.js';
import { twoMerchants } from './two-merchants.js';

/*
 * GET /api/inventory/movements/daily over real HTTP (our extension to docs/api.md, for the dashboard chart):
 * per-UTC-day sums over the merchant's whole ledger, zero days included, nobody else's movements.
 */

interface Day {
  date: string;
  unitsIn: number;
  unitsOut: number;
  movements: number;
}

const utcToday = () => new Date().toISOString().slice(0, 10);
const ZERO = { unitsIn: 0, unitsOut: 0, movements: 0 };
const figures = (d: Day) => ({ unitsIn: d.unitsIn, unitsOut: d.unitsOut, movements: d.movements });

function problem(res: ApiResponse, status: number, code: string) {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(res.body.code, code);
}

/** The answer's days: `count` consecutive UTC dates ending today, oldest first. */
async function daysOf(client: TestClient, query: string, count: number): Promise<Day[]> {
  const before = utcToday();
  const res = await client.get(`/api/inventory/movements/daily${query}`);
  const after = utcToday();
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('cache-control') ?? '', /no-store/);
  assert.deepEqual(Object.keys(res.body), ['days']);
  const days = res.body.days as Day[];
  assert.equal(days.length, count);
  for (const d of days) assert.deepEqual(Object.keys(d).sort(), ['date', 'movements', 'unitsIn', 'unitsOut']);
  // Midnight UTC may pass during the request: today is the date before or after it.
  assert.ok([before, after].includes(days[days.length - 1]?.date ?? ''), `last day ${days[days.length - 1]?.date}`);
  days.forEach((d, i) => {
    if (i > 0) assert.equal(Date.parse(d.date) - Date.parse(days[i - 1]?.date ?? ''), 86_400_000, `${d.date} follows`);
  });
  return days;
}

for (const backend of BACKENDS) {
  describe(`daily movements over HTTP (${backend})`, () => {
    let server: TestServer;
    let a: TestClient;
    let b: TestClient;
    before(async () => ({ server, a, b } = await twoMerchants(backend)));
    after(() => server?.close());

    /** Moves one ledger row to another time, as the owner (the app role cannot rewrite the ledger). */
    async function backdate(movementId: string, at: string) {
      const res = await server.db.query('UPDATE movements SET created_at = ($2::text)::timestamptz WHERE id = $1', [movementId, at]);
      assert.equal(res.rowCount, 1);
    }

    test('a new merchant: 14 zero days by default, days=1 is today, days=90 is 90 days', async () => {
      const fresh = new TestClient(server.url);
      await fresh.register();
      const days = await daysOf(fresh, '', 14);
      assert.deepEqual(days.map(figures), Array(14).fill(ZERO));
      assert.deepEqual((await daysOf(fresh, '?days=1', 1)).map(figures), [ZERO]);
      assert.equal((await daysOf(fresh, '?days=90', 90)).filter((d) => d.movements > 0).length, 0);
    });

    test('sums units in and out per UTC day across items; zero days stay; the window ends at UTC midnight', async () => {
      // Today: +10 (opening stock: a movement, not units in), -3, -2 on one item; +7 received on another;
      // nothing for an item made at 0.
      const bolts = (await a.post('/api/items', { sku: 'DAY-1', name: 'Bolts', quantity: 10 })).body.item;
      const nuts = (await a.post('/api/items', { sku: 'DAY-2', name: 'Nuts' })).body.item;
      for (const [id, delta, reason] of [
        [bolts.id, -3, 'sold'],
        [bolts.id, -2, 'damaged'],
        [nuts.id, 7, 'received'],
      ] as const) {
        assert.equal((await a.post(`/api/items/${id}/adjustments`, { delta, reason })).status, 201);
      }
      let days = await daysOf(a, '?days=14', 14);
      assert.deepEqual(days.slice(0, 13).map(figures), Array(13).fill(ZERO));
      assert.deepEqual(figures(days[13] as Day), { unitsIn: 7, unitsOut: 5, movements: 4 });

      // Three more movements, moved back in time: one 3 days ago, one at the first instant of the
      // 14-day window (00:00:00.000 UTC, 13 days ago), one a millisecond before it (outside).
      const made = [];
      for (const [delta, reason] of [
        [4, 'received'],
        [-6, 'sold'],
        [100, 'returned'],
      ] as const) {
        const res = await a.post(`/api/items/${bolts.id}/adjustments`, { delta, reason });
        assert.equal(res.status, 201);
        made.push(res.body.movement.id as string);
      }
      const today = Date.parse(`${days[13]?.date}T00:00:00.000Z`);
      const dayStart = (ago: number) => new Date(today - ago * 86_400_000);
      await backdate(made[0] as string, new Date(dayStart(3).getTime() + 15 * 3_600_000).toISOString());
      await backdate(made[1] as string, dayStart(13).toISOString());
      await backdate(made[2] as string, new Date(dayStart(13).getTime() - 1).toISOString());

      days = await daysOf(a, '', 14);
      const byDate = new Map(days.map((d) => [d.date, figures(d)]));
      assert.equal(days[0]?.date, dayStart(13).toISOString().slice(0, 10));
      assert.deepEqual(byDate.get(dayStart(3).toISOString().slice(0, 10)), { unitsIn: 4, unitsOut: 0, movements: 1 });
      assert.deepEqual(figures(days[0] as Day), { unitsIn: 0, unitsOut: 6, movements: 1 });
      assert.deepEqual(figures(days[13] as Day), { unitsIn: 7, unitsOut: 5, movements: 4 });
      assert.equal(days.filter((d) => d.movements === 0).length, 11, 'the other days are present, at zero');

      // One more day back reaches the row a millisecond before the 14-day window.
      days = await daysOf(a, '?days=15', 15);
      assert.deepEqual(figures(days[0] as Day), { unitsIn: 100, unitsOut: 0, movements: 1 });
      assert.deepEqual(figures(days[1] as Day), { unitsIn: 0, unitsOut: 6, movements: 1 });
      assert.deepEqual((await daysOf(a, '?days=1', 1)).map(figures), [{ unitsIn: 7, unitsOut: 5, movements: 4 }]);
    });

    test('units in are deliveries and returns only: opening stock, imports, corrections and counts set stock', async () => {
      const c = new TestClient(server.url);
      await c.register();
      const item = (await c.post('/api/items', { sku: 'IN-1', name: 'Beans', quantity: 5 })).body.item;
      for (const [delta, reason] of [
        [3, 'correction'],
        [2, 'received'],
        [1, 'returned'],
      ] as const) {
        assert.equal((await c.post(`/api/items/${item.id}/adjustments`, { delta, reason })).status, 201);
      }
      const imported = await c.request('POST', '/api/items/import', { raw: 'sku,name,quantity\nIN-1,Beans,20\n', contentType: 'text/csv' });
      assert.equal(imported.status, 200, imported.text);
      const ledger = (await c.get(`/api/items/${item.id}/movements`)).body.movements as { delta: number; reason: string }[];
      assert.deepEqual(
        ledger.map((m) => [m.delta, m.reason]),
        [
          [9, 'import'],
          [1, 'returned'],
          [2, 'received'],
          [3, 'correction'],
          [5, 'opening'],
        ],
      );
      const [today] = await daysOf(c, '?days=1', 1);
      assert.deepEqual(figures(today as Day), { unitsIn: 3, unitsOut: 0, movements: 5 });
      // The system's reasons are not a client's to post.
      for (const reason of ['opening', 'import', 'count']) {
        const res = await c.post(`/api/items/${item.id}/adjustments`, { delta: 1, reason });
        problem(res, 400, 'validation');
      }
      assert.equal((await c.get(`/api/items/${item.id}`)).body.item.quantity, 20, 'refused adjustments changed nothing');
    });

    test("another merchant's movements are never counted", async () => {
      const item = (await b.post('/api/items', { sku: 'B-DAY', name: 'B only', quantity: 1000 })).body.item;
      assert.equal((await b.post(`/api/items/${item.id}/adjustments`, { delta: -999, reason: 'sold' })).status, 201);
      const mine = await daysOf(b, '?days=90', 90);
      assert.deepEqual(figures(mine[89] as Day), { unitsIn: 0, unitsOut: 999, movements: 2 });
      assert.equal(mine.filter((d) => d.movements > 0).length, 1);
      // A's figures do not include B's, and B's do not include A's.
      const theirs = await daysOf(a, '?days=90', 90);
      assert.ok(!theirs.some((d) => d.unitsOut >= 999), JSON.stringify(theirs.filter((d) => d.movements)));
      assert.equal(
        theirs.reduce((n, d) => n + d.movements, 0),
        7,
      );
    });

    test('an admin gets 403, nobody signed in 401', async () => {
      const username = uniqueUsername('admin');
      await ensureAdmin(server.deps.users, server.deps.authenticator, username, PASSWORD);
      const admin = new TestClient(server.url);
      assert.equal((await admin.login(username)).status, 200);
      problem(await admin.get('/api/inventory/movements/daily'), 403, 'forbidden');
      problem(await new TestClient(server.url).get('/api/inventory/movements/daily'), 401, 'unauthenticated');
      problem(await new TestClient(server.url).get('/api/inventory/movements/daily?days=abc'), 401, 'unauthenticated');
    });

    test('bad or unknown query parameters: 400 validation', async () => {
      for (const query of ['0', '91', '100', '-1', '1.5', '07', '14abc', 'abc', '', '1e1', '%2014']) {
        problem(await a.get(`/api/inventory/movements/daily?days=${query}`), 400, 'validation');
      }
      for (const query of ['days=1&days=2', 'since=2024-01-01', 'days=7&merchantId=x']) {
        problem(await a.get(`/api/inventory/movements/daily?${query}`), 400, 'validation');
      }
    });
  });
}
