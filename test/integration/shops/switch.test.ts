import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, startTestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';
import { signedInAdmin } from '../defences/helpers.js';

/*
 * POST /api/shops opens another shop (owned by the caller, now active); POST /api/auth/shop switches the
 * session's active shop without rotating the token; a shop the caller is not a member of is 404 and
 * changes nothing. On both databases.
 */
for (const backend of ['pglite', 'postgres'] as const) {
  describe(`open and switch shops (${backend})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database: backend });
    });
    after(() => server?.close());

    const skus = async (c: TestClient) => (await c.get('/api/items')).body.items.map((i: { sku: string }) => i.sku);

    test('open a second shop, work in it, switch back — same token throughout', async () => {
      const c = new TestClient(server.url);
      const me = await c.register();
      const first = (await server.db.query<{ shop_id: string }>('SELECT shop_id FROM memberships WHERE user_id = $1', [me.id])).rows[0]!
        .shop_id;
      assert.equal((await c.post('/api/items', { sku: 'FIRST', name: 'in the first shop' })).status, 201);
      const token = c.token;

      const opened = await c.post('/api/shops', { name: '  Corner shop  ' });
      assert.equal(opened.status, 201, opened.text);
      assert.equal(opened.body.shop.name, 'Corner shop');
      assert.equal(opened.body.shop.role, 'owner');
      assert.equal(opened.body.shop.currency, 'EUR');
      assert.equal(opened.body.shop.timezone, 'UTC');
      assert.notEqual(opened.body.shop.id, first);
      assert.deepEqual(await skus(c), [], 'the new shop is the active one, and empty');
      assert.equal((await c.post('/api/items', { sku: 'SECOND', name: 'in the second shop' })).status, 201);

      const back = await c.post('/api/auth/shop', { shopId: first });
      assert.equal(back.status, 200, back.text);
      assert.equal(back.body.shop.id, first);
      assert.equal(back.body.shop.role, 'owner');
      assert.equal(back.body.shop.name, `${me.username}'s shop`);
      assert.deepEqual(await skus(c), ['FIRST']);
      assert.equal(c.token, token, 'no token rotation');

      assert.equal((await c.post('/api/auth/shop', { shopId: opened.body.shop.id })).status, 200);
      assert.deepEqual(await skus(c), ['SECOND']);
      const audit = await server.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_events WHERE type = 'shop.created' AND user_id = $1`,
        [me.id],
      );
      assert.equal(audit.rows[0]?.n, 1);
    });

    test("switching to another merchant's shop, or a made-up one, is 404 and changes nothing", async () => {
      const owner = new TestClient(server.url);
      const o = await owner.register();
      const foreign = (await server.db.query<{ shop_id: string }>('SELECT shop_id FROM memberships WHERE user_id = $1', [o.id])).rows[0]!
        .shop_id;
      assert.equal((await owner.post('/api/items', { sku: 'SECRET', name: 'not yours' })).status, 201);

      const c = new TestClient(server.url);
      await c.register();
      assert.equal((await c.post('/api/items', { sku: 'MINE', name: 'mine' })).status, 201);
      for (const shopId of [foreign, '00000000-0000-4000-8000-000000000000', 'not-a-uuid', foreign.toUpperCase()]) {
        const res = await c.post('/api/auth/shop', { shopId });
        assert.equal(res.status, 404, `${shopId}: ${res.text}`);
        assert.equal(res.body.code, 'not_found');
      }
      assert.deepEqual(await skus(c), ['MINE'], 'still in their own shop');
    });

    test('bad names are 400 and open nothing; an admin may neither open nor switch (403)', async () => {
      const c = new TestClient(server.url);
      const me = await c.register();
      for (const name of ['   ', 'a\u0000b', 'tab\there', 'x'.repeat(101)]) {
        const res = await c.post('/api/shops', { name });
        assert.equal(res.status, 400, JSON.stringify(name));
        assert.equal(res.body.code, 'validation');
      }
      const shops = await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM memberships WHERE user_id = $1', [me.id]);
      assert.equal(shops.rows[0]?.n, 1);

      const admin = await signedInAdmin(server);
      assert.equal((await admin.client.post('/api/shops', { name: 'admin shop' })).status, 403);
      assert.equal((await admin.client.post('/api/auth/shop', { shopId: '00000000-0000-4000-8000-000000000000' })).status, 403);
    });
  });
}
