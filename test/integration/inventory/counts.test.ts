import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { type ApiResponse, TestClient } from '../../support/client.js';
import { BACKENDS } from './fixtures.js';
import { memberOf, shopOf } from './members.js';

/*
 * docs/api.md "Shop floor": stock counts over HTTP on both databases — a snapshot at start, absolute
 * shelf counts by clerks (several at once), commit through one `count` movement per changed item that
 * keeps what moved after the counting, the one-open-count rule under a race, commits racing each other.
 */

type Item = { id: string; quantity: number };

for (const backend of BACKENDS) {
  describe(`stock counts (${backend})`, () => {
    let server: TestServer;
    let manager: TestClient;
    let clerk1: TestClient;
    let clerk2: TestClient;
    let viewer: TestClient;
    let stranger: TestClient;
    before(async () => {
      server = await startTestServer({ database: backend });
      manager = new TestClient(server.url);
      await manager.register();
      const shop = await shopOf(server, manager);
      clerk1 = await memberOf(server, shop, 'clerk');
      clerk2 = await memberOf(server, shop, 'clerk');
      viewer = await memberOf(server, shop, 'viewer');
      stranger = new TestClient(server.url);
      await stranger.register();
    });
    after(() => server.close());

    const create = async (body: Record<string, unknown>): Promise<Item> => {
      const res = await manager.post('/api/items', body);
      assert.equal(res.status, 201, res.text);
      return res.body.item;
    };
    const quantity = async (item: Item) => (await manager.get(`/api/items/${item.id}`)).body.item.quantity as number;
    const movements = async (item: Item) =>
      (await manager.get(`/api/items/${item.id}/movements?limit=200`)).body.movements as {
        delta: number;
        reason: string;
        quantityAfter: number;
      }[];
    const start = async (body: Record<string, unknown>): Promise<{ id: string; lines: number }> => {
      const res = await manager.post('/api/counts', body);
      assert.equal(res.status, 201, res.text);
      return res.body.count;
    };
    const put = (c: TestClient, countId: string, item: Item, counted: number) =>
      c.request('PUT', `/api/counts/${countId}/lines/${item.id}`, { body: { counted } });
    const ok = (res: ApiResponse, status = 200) => {
      assert.equal(res.status, status, res.text);
      return res;
    };

    test('a sale between counting and committing ends right; archived and uncounted items are left alone', async () => {
      const p1 = await create({ sku: 'C-P1', name: 'Beans', quantity: 10, costCents: 100, priceCents: 250, location: 'Back' });
      const p2 = await create({ sku: 'C-P2', name: 'Filters', quantity: 5, priceCents: 300, location: 'back' });
      const p3 = await create({ sku: 'C-P3', name: 'Kettle', quantity: 4, location: 'Back' });
      const p4 = await create({ sku: 'C-P4', name: 'Mugs', quantity: 6, location: 'Back' });
      const gone = await create({ sku: 'C-GONE', name: 'Retired', quantity: 3, location: 'Back' });
      await create({ sku: 'C-FRONT', name: 'Front thing', quantity: 1, location: 'Front' });
      ok(await manager.delete(`/api/items/${gone.id}`), 204);

      const count = await start({ location: 'BACK', name: 'Back room' });
      assert.equal(count.lines, 4, 'the active items at Back (any case); archived ones are not counted');
      ok(await put(clerk1, count.id, p1, 12)); // replaced below: a later entry wins
      const line = ok(await put(clerk1, count.id, p1, 8)).body.line;
      assert.deepEqual(
        { ...line, countedAt: typeof line.countedAt, countedBy: typeof line.countedBy },
        {
          itemId: p1.id,
          sku: 'C-P1',
          name: 'Beans',
          archived: false,
          expected: 10,
          counted: 8,
          countedAt: 'string',
          countedBy: 'string',
          onHandWhenCounted: 10,
          varianceUnits: -2,
          varianceValueCents: null,
        },
      );
      // A sale after the counting: the shelf had 8, one more went, so 7 remain.
      ok(await clerk2.post(`/api/items/${p1.id}/adjustments`, { delta: -1, reason: 'sold' }), 201);
      ok(await put(clerk2, count.id, p2, 6));
      ok(await put(clerk1, count.id, p4, 0));
      ok(await manager.delete(`/api/items/${p4.id}`), 204); // archived after counting: the commit leaves it alone
      // p3 is never counted.

      const seenByViewer = ok(await viewer.get(`/api/counts/${count.id}`)).body;
      assert.equal(seenByViewer.count.countedLines, 3);
      assert.ok(seenByViewer.lines.every((l: { varianceValueCents: unknown }) => l.varianceValueCents === null));
      const seenByManager = ok(await manager.get(`/api/counts/${count.id}`)).body;
      const value = Object.fromEntries(
        seenByManager.lines.map((l: { sku: string; varianceValueCents: number | null }) => [l.sku, l.varianceValueCents]),
      );
      assert.deepEqual(value, { 'C-P1': -200, 'C-P2': 300, 'C-P3': null, 'C-P4': 0 }, 'at cost, else price; p4 has neither');

      assert.equal((await viewer.request('PUT', `/api/counts/${count.id}/lines/${p1.id}`, { body: { counted: 1 } })).status, 403);
      const ledgerBefore = (await movements(p1)).length;
      const refused = await clerk1.post(`/api/counts/${count.id}/commit`);
      assert.equal(refused.status, 403, refused.text);
      assert.equal(refused.body.code, 'forbidden');
      assert.equal((await movements(p1)).length, ledgerBefore, 'a refused commit writes nothing');
      assert.equal((await manager.get(`/api/counts/${count.id}`)).body.count.status, 'open');

      const committed = ok(await manager.post(`/api/counts/${count.id}/commit`)).body;
      assert.deepEqual(committed, { adjusted: 2, varianceUnits: -1, varianceValueCents: 100 });
      assert.equal(await quantity(p1), 7);
      assert.equal(await quantity(p2), 6);
      assert.equal(await quantity(p3), 4, 'uncounted: untouched');
      assert.equal(await quantity(p4), 6, 'archived: untouched');
      const [last] = await movements(p1);
      assert.deepEqual(
        { delta: last?.delta, reason: last?.reason, quantityAfter: last?.quantityAfter },
        { delta: -2, reason: 'count', quantityAfter: 7 },
      );
      assert.equal((await movements(p4)).length, 1);

      for (const res of [
        await manager.post(`/api/counts/${count.id}/commit`),
        await manager.delete(`/api/counts/${count.id}`),
        await put(clerk1, count.id, p2, 1),
      ]) {
        assert.equal(res.status, 409, res.text);
        assert.equal(res.body.code, 'conflict');
      }
      const listed = ok(await viewer.get('/api/counts')).body.counts.find((c: { id: string }) => c.id === count.id);
      assert.equal(listed.status, 'committed');
      assert.equal(listed.name, 'Back room');
    });

    test('an item in an open count: another start over it is 409 naming that count; abandon frees it', async () => {
      await create({ sku: 'C-T1', name: 'Tagged', quantity: 2, tags: ['Seasonal'] });
      const first = await start({ tag: 'seasonal' });
      assert.equal(first.lines, 1);
      const second = await manager.post('/api/counts', {});
      assert.equal(second.status, 409, second.text);
      assert.equal(second.body.countId, first.id);
      assert.match(second.body.countName, /Seasonal|seasonal/);
      assert.equal((await manager.post('/api/counts', { tag: 'no-such-tag' })).status, 400);
      ok(await manager.delete(`/api/counts/${first.id}`), 204);
      assert.equal((await manager.get(`/api/counts/${first.id}`)).body.count.status, 'abandoned');
      assert.equal((await manager.delete(`/api/counts/${first.id}`)).status, 409);
      assert.equal((await manager.post(`/api/counts/${first.id}/commit`)).status, 409, 'an abandoned count cannot be committed');
      const all = await start({});
      ok(await manager.delete(`/api/counts/${all.id}`), 204);
    });

    test('two starts over one item at once: one 201, the others 409', async () => {
      await create({ sku: 'C-R1', name: 'Raced', quantity: 1, location: 'Race shelf' });
      const results = await Promise.all(Array.from({ length: 6 }, () => manager.post('/api/counts', { location: 'race shelf' })));
      assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409], results.map((r) => r.text).join('\n'));
      const winner = results.find((r) => r.status === 201)!.body.count.id;
      for (const r of results.filter((x) => x.status === 409)) assert.equal(r.body.countId, winner);
      ok(await manager.delete(`/api/counts/${winner}`), 204);
    });

    test('two clerks counting at once: every entry lands, the last one for a line wins whole', async () => {
      const items: Item[] = [];
      for (let i = 0; i < 12; i++) items.push(await create({ sku: `C-TWO-${i}`, name: `Two ${i}`, quantity: i, location: 'Two clerks' }));
      const count = await start({ location: 'two clerks' });
      const results = await Promise.all(
        items.flatMap((item, i) => [put(clerk1, count.id, item, i + 100), put(clerk2, count.id, item, i + 200)]),
      );
      assert.ok(
        results.every((r) => r.status === 200),
        results.map((r) => r.status).join(','),
      );
      const { lines, count: after } = ok(await manager.get(`/api/counts/${count.id}`)).body;
      assert.equal(after.countedLines, 12);
      const ids = { 1: (await clerk1.get('/api/auth/session')).body.user.id, 2: (await clerk2.get('/api/auth/session')).body.user.id };
      for (const [i, item] of items.entries()) {
        const l = lines.find((x: { itemId: string }) => x.itemId === item.id);
        assert.ok(l.counted === i + 100 || l.counted === i + 200, `line ${i}: ${l.counted}`);
        assert.equal(l.countedBy, l.counted === i + 100 ? ids[1] : ids[2], 'counted and countedBy come from one entry');
      }
      ok(await manager.delete(`/api/counts/${count.id}`), 204);
    });

    test('concurrent commits: one wins, one count movement; sales racing the commit are all kept', async () => {
      const item = await create({ sku: 'C-CC', name: 'Contended', quantity: 50, location: 'Contended' });
      const count = await start({ location: 'contended' });
      ok(await put(clerk1, count.id, item, 40));
      const sales = Array.from({ length: 8 }, () => clerk2.post(`/api/items/${item.id}/adjustments`, { delta: -1, reason: 'sold' }));
      const commits = Array.from({ length: 5 }, () => manager.post(`/api/counts/${count.id}/commit`));
      const [saleResults, commitResults] = await Promise.all([Promise.all(sales), Promise.all(commits)]);
      assert.ok(saleResults.every((r) => r.status === 201));
      assert.deepEqual(commitResults.map((r) => r.status).sort(), [200, 409, 409, 409, 409], commitResults.map((r) => r.text).join('\n'));
      assert.equal(await quantity(item), 40 - 8, 'the count, less every sale after the counting');
      assert.equal((await movements(item)).filter((m) => m.reason === 'count').length, 1);
    });

    test('a count pages its lines by name (limit + opaque cursor); totals stay over the whole count', async () => {
      const made: Item[] = [];
      // Names out of SKU order, so the page order (item name) is what is tested.
      for (const [i, name] of ['Pear', 'apple', 'Fig', 'banana', 'Cherry', 'date', 'Elder'].entries()) {
        made.push(await create({ sku: `C-PG-${i}`, name, quantity: 10 + i, costCents: 100 * (i + 1), location: 'Paged' }));
      }
      const count = await start({ location: 'paged' });
      assert.equal(count.lines, 7);
      // Counted: apple 9 (−2), banana 20 (+7), Fig 12 (0); the others uncounted.
      ok(await put(clerk1, count.id, made[1] as Item, 9));
      ok(await put(clerk2, count.id, made[3] as Item, 20));
      ok(await put(clerk1, count.id, made[2] as Item, 12));
      const totals = { expected: 7 * 10 + 21, counted: 9 + 20 + 12, varianceUnits: -2 + 7 + 0, varianceValueCents: -2 * 200 + 7 * 400 };

      const pages: { lines: { name: string; itemId: string }[]; totals: unknown; nextCursor: string | null }[] = [];
      let next: string | null = null;
      do {
        const res = ok(await manager.get(`/api/counts/${count.id}?limit=3${next ? `&cursor=${next}` : ''}`));
        pages.push(res.body);
        assert.ok(res.body.lines.length <= 3, `a page of at most 3 lines, got ${res.body.lines.length}`);
        assert.equal(res.body.count.lines, 7);
        assert.equal(res.body.count.countedLines, 3);
        next = res.body.nextCursor;
        assert.ok(pages.length <= 3, 'the pages end');
      } while (next !== null);
      assert.deepEqual(
        pages.map((p) => p.lines.map((l) => l.name)),
        [['apple', 'banana', 'Cherry'], ['date', 'Elder', 'Fig'], ['Pear']],
        'by name (case-insensitively), three a page, each line once',
      );
      for (const page of pages) assert.deepEqual(page.totals, totals, 'the totals are the whole count’s on every page');

      // A viewer sees the units but not the value; without `limit` a page is 50 lines (here: all, no cursor).
      const seen = ok(await viewer.get(`/api/counts/${count.id}`)).body;
      assert.equal(seen.lines.length, 7);
      assert.equal(seen.nextCursor, null);
      assert.deepEqual(seen.totals, { ...totals, varianceValueCents: null });

      // An entry between two pages moves no line across them: the cursor is a position by name.
      const first = ok(await manager.get(`/api/counts/${count.id}?limit=2`)).body;
      ok(await put(clerk1, count.id, made[0] as Item, 1));
      const second = ok(await manager.get(`/api/counts/${count.id}?limit=2&cursor=${first.nextCursor}`)).body;
      assert.deepEqual(
        second.lines.map((l: { name: string }) => l.name),
        ['Cherry', 'date'],
      );
      assert.equal(second.totals.counted, totals.counted + 1);

      // Bad pages are 400 and change nothing: a cursor that does not decode, another count's cursor, limits out of range.
      await create({ sku: 'C-PG-OTHER-1', name: 'Other one', quantity: 1, location: 'Elsewhere-pg' });
      await create({ sku: 'C-PG-OTHER-2', name: 'Other two', quantity: 1, location: 'Elsewhere-pg' });
      const otherCount = await start({ location: 'elsewhere-pg' });
      // A cursor whose fields have the wrong types (hand-made: clients must not, and get a 400).
      const forge = (fields: Record<string, unknown>) =>
        Buffer.from(JSON.stringify({ t: 'cl', c: count.id, k: 'apple', id: made[1]?.id, ...fields })).toString('base64url');
      const forged = [forge({ k: 5, id: 'x' }), forge({ k: 'a\u0000b' }), forge({ k: 'x'.repeat(5000) }), forge({ id: 'not-a-uuid' })];
      const queries = [
        'cursor=nonsense!',
        'cursor=e30',
        ...forged.map((f) => `cursor=${f}`),
        'limit=0',
        'limit=201',
        'limit=abc',
        'page=2',
      ];
      for (const query of queries) {
        const res = await manager.get(`/api/counts/${count.id}?${query}`);
        assert.equal(res.status, 400, `${query}: ${res.text}`);
        assert.equal(res.body.code, 'validation');
      }
      const otherFirst = ok(await manager.get(`/api/counts/${otherCount.id}?limit=1`)).body;
      assert.equal(otherFirst.lines.length, 1);
      assert.equal(typeof otherFirst.nextCursor, 'string');
      const foreign = await manager.get(`/api/counts/${otherCount.id}?limit=1&cursor=${first.nextCursor}`);
      assert.equal(foreign.status, 400, `a cursor of another count: ${foreign.text}`);
      ok(await manager.delete(`/api/counts/${count.id}`), 204);
      ok(await manager.delete(`/api/counts/${otherCount.id}`), 204);
    });

    test("another shop's count is 404 everywhere; bad entries are 400 and change nothing", async () => {
      const item = await create({ sku: 'C-OWN', name: 'Own', quantity: 3, location: 'Own' });
      const count = await start({ location: 'own' });
      for (const res of [
        await stranger.get(`/api/counts/${count.id}`),
        await put(stranger, count.id, item, 1),
        await stranger.post(`/api/counts/${count.id}/commit`),
        await stranger.delete(`/api/counts/${count.id}`),
      ]) {
        assert.equal(res.status, 404, res.text);
        assert.equal(res.body.code, 'not_found');
      }
      assert.equal((await stranger.get('/api/counts')).body.counts.length, 0);
      for (const body of [{ counted: -1 }, { counted: 1.5 }, { counted: '3' }, {}, { counted: 1, extra: 1 }]) {
        const res = await clerk1.request('PUT', `/api/counts/${count.id}/lines/${item.id}`, { body });
        assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
      }
      const other = await create({ sku: 'C-NOT-IN', name: 'Not in it', quantity: 1 });
      assert.equal((await put(clerk1, count.id, other, 1)).status, 404);
      assert.equal((await manager.get(`/api/counts/${count.id}`)).body.count.countedLines, 0);
      ok(await manager.delete(`/api/counts/${count.id}`), 204);
    });
  });
}
