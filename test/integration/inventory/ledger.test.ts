import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, startTestServer } from '../../support/app.js';
import { type ApiResponse, PASSWORD, type TestClient } from '../../support/client.js';
import { signedInAdmin, signedInMerchant } from '../defences/helpers.js';

/*
 * The shop-wide ledger (GET /api/movements) and who made each movement (`by` = {userId, username}, "deleted
 * user" once the account is erased): newest first, keyset pages that add up to the whole ledger,
 * filters by item, reason and person, bad filters and mismatched cursors 400, other shops invisible.
 * On both databases.
 */

interface Movement {
  id: string;
  itemId: string;
  delta: number;
  reason: string;
  by: { userId: string | null; username: string };
}

for (const database of ['pglite', 'postgres'] as const) {
  describe(`shop-wide ledger (${database})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database });
    });
    after(() => server?.close());

    async function allPages(c: TestClient, query: string, limit: number): Promise<Movement[]> {
      const out: Movement[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 100; i++) {
        const res: ApiResponse = await c.get(`/api/movements?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(res.status, 200, res.text);
        assert.ok(res.body.movements.length <= limit);
        out.push(...res.body.movements);
        cursor = res.body.nextCursor;
        if (!cursor) return out;
      }
      throw new Error('more than 100 pages');
    }

    test('newest first, paged, filtered by item, reason and person; who made it, until the account is erased', async () => {
      const owner = await signedInMerchant(server);
      const invited = await owner.client.post('/api/shop/invitations', { role: 'clerk' });
      assert.equal(invited.status, 201, invited.text);
      const clerk = await signedInMerchant(server);
      assert.equal((await clerk.client.post(`/api/invitations/${invited.body.token}/accept`)).status, 200);

      const a = (await owner.client.post('/api/items', { sku: 'L-A', name: 'A', quantity: 10 })).body.item.id as string;
      const b = (await owner.client.post('/api/items', { sku: 'L-B', name: 'B', quantity: 5 })).body.item.id as string;
      const adjust = async (c: TestClient, id: string, delta: number, reason: string) => {
        const res = await c.post(`/api/items/${id}/adjustments`, { delta, reason });
        assert.equal(res.status, 201, res.text);
        return res.body.movement as Movement;
      };
      const made: Movement[] = [];
      made.push(await adjust(owner.client, a, 3, 'received'));
      made.push(await adjust(clerk.client, a, -2, 'sold'));
      made.push(await adjust(clerk.client, b, -1, 'sold'));
      made.push(await adjust(owner.client, b, -1, 'damaged'));
      made.push(await adjust(clerk.client, a, 4, 'received'));
      assert.deepEqual(made[1]!.by, { userId: clerk.id, username: clerk.username }, 'the adjustment names its writer');

      const everything = await allPages(owner.client, '', 200);
      assert.equal(everything.length, 7, 'two initial quantities and five adjustments');
      assert.deepEqual(
        everything.slice(0, 5).map((m) => m.id),
        made.map((m) => m.id).reverse(),
        'newest first',
      );
      for (const limit of [1, 2, 3]) {
        assert.deepEqual(
          (await allPages(clerk.client, '', limit)).map((m) => m.id),
          everything.map((m) => m.id),
          `pages of ${limit} add up to the whole ledger`,
        );
      }
      const byClerk = await allPages(owner.client, `&by=${clerk.id}`, 2);
      assert.deepEqual(
        byClerk.map((m) => m.id),
        [made[4]!.id, made[2]!.id, made[1]!.id],
      );
      assert.ok(byClerk.every((m) => m.by.username === clerk.username));
      assert.deepEqual(
        (await allPages(owner.client, `&itemId=${b}`, 1)).map((m) => m.delta),
        [-1, -1, 5],
      );
      assert.deepEqual(
        (await allPages(owner.client, '&reason=sold', 5)).map((m) => m.id),
        [made[2]!.id, made[1]!.id],
      );
      assert.deepEqual(
        (await allPages(owner.client, `&reason=sold&itemId=${a}&by=${clerk.id}`, 5)).map((m) => m.id),
        [made[1]!.id],
      );
      assert.deepEqual(await allPages(owner.client, `&by=${owner.id.toUpperCase()}`, 50).then((l) => l.length), 4, 'ids in either case');

      // Another shop's ledger, items and people are not this one's.
      const stranger = await signedInMerchant(server);
      const theirs = (await stranger.client.post('/api/items', { sku: 'L-X', name: 'X', quantity: 1 })).body.item.id as string;
      assert.deepEqual(await allPages(owner.client, `&itemId=${theirs}`, 10), []);
      assert.deepEqual(await allPages(stranger.client, `&by=${clerk.id}`, 10), []);
      assert.equal((await allPages(stranger.client, '', 10)).length, 1);

      // Bad filters and cursors are 400, never 500.
      const page = await owner.client.get('/api/movements?limit=1&reason=sold');
      const cursor = page.body.nextCursor;
      assert.equal(typeof cursor, 'string');
      for (const q of [
        'itemId=nope',
        'by=123',
        'reason=stolen',
        'limit=0',
        'limit=201',
        'cursor=AAAA',
        `cursor=${cursor}`,
        `cursor=${cursor}&reason=received`,
        'colour=red',
      ]) {
        const res = await owner.client.get(`/api/movements?${q}`);
        assert.equal(res.status, 400, `${q}: ${res.text}`);
        assert.equal(res.body.code, 'validation');
      }
      assert.equal((await owner.client.get(`/api/movements?reason=sold&cursor=${cursor}`)).status, 200, 'with its own filters');
      const foreignCursor = (await stranger.client.get('/api/movements?limit=1')).body.nextCursor;
      assert.equal(foreignCursor, null);

      // Item history names people too.
      const history = await owner.client.get(`/api/items/${a}/movements`);
      assert.deepEqual(history.body.movements[0].by, { userId: clerk.id, username: clerk.username });

      // The clerk erases their account: their movements stay, by "deleted user".
      const erased = await clerk.client.delete('/api/me', { password: PASSWORD });
      assert.equal(erased.status, 204, erased.text);
      const after = await allPages(owner.client, '', 200);
      assert.deepEqual(
        after.map((m) => m.id),
        everything.map((m) => m.id),
        'no movement lost',
      );
      for (const m of after) {
        const was = everything.find((e) => e.id === m.id)!;
        assert.deepEqual(m.by, was.by.userId === clerk.id ? { userId: null, username: 'deleted user' } : was.by);
      }
      assert.deepEqual(await allPages(owner.client, `&by=${clerk.id}`, 10), [], 'nothing is theirs any more');
      assert.deepEqual((await owner.client.get(`/api/items/${a}/movements`)).body.movements[0].by, {
        userId: null,
        username: 'deleted user',
      });
    });

    test('every member may read it (a viewer too); an admin may not (403)', async () => {
      const owner = await signedInMerchant(server);
      assert.equal((await owner.client.post('/api/items', { sku: 'V-1', name: 'v', quantity: 2 })).status, 201);
      const invited = await owner.client.post('/api/shop/invitations', { role: 'viewer' });
      const viewer = await signedInMerchant(server);
      assert.equal((await viewer.client.post(`/api/invitations/${invited.body.token}/accept`)).status, 200);
      const seen = await viewer.client.get('/api/movements');
      assert.equal(seen.status, 200, seen.text);
      assert.deepEqual(seen.body.movements[0].by, { userId: owner.id, username: owner.username });
      const admin = await signedInAdmin(server);
      assert.equal((await admin.client.get('/api/movements')).status, 403);
    });
  });
}
