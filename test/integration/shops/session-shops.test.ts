import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, startTestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';
import { signedInAdmin } from '../defences/helpers.js';

/*
 * GET /api/auth/session tells the web app where it works (docs/api.md "Shops, members, invitations"):
 * `shop` = the session's active shop with the caller's role, currency and time zone, and `shops` = every
 * shop the user belongs to, with the role there. An admin's memberships are dormant: `shop: null`,
 * `shops: []` (nothing to switch to while shop routes answer 403). On both databases.
 */
for (const backend of ['pglite', 'postgres'] as const) {
  describe(`who am I: the active shop and the shop list (${backend})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database: backend });
    });
    after(() => server?.close());

    const shopOf = async (userId: string) =>
      (await server.db.query<{ shop_id: string }>('SELECT shop_id FROM memberships WHERE user_id = $1', [userId])).rows[0]!.shop_id;

    test('a new merchant: their own shop, active, as owner; a second shop and a switch show at once', async () => {
      const c = new TestClient(server.url);
      const me = await c.register();
      const own = await shopOf(me.id);
      const first = await c.get('/api/auth/session');
      assert.equal(first.status, 200, first.text);
      assert.deepEqual(first.body.shop, { id: own, name: `${me.username}'s shop`, role: 'owner', currency: 'EUR', timezone: 'UTC' });
      assert.deepEqual(first.body.shops, [{ id: own, name: `${me.username}'s shop`, role: 'owner' }]);

      const opened = (await c.post('/api/shops', { name: 'Corner shop' })).body.shop;
      const now = await c.get('/api/auth/session');
      assert.equal(now.body.shop.id, opened.id);
      assert.deepEqual(now.body.shops.map((s: { id: string }) => s.id).sort(), [own, opened.id].sort());
      assert.equal((await c.post('/api/auth/shop', { shopId: own })).status, 200);
      assert.equal((await c.get('/api/auth/session')).body.shop.id, own);
    });

    test('a member of another shop sees their role there; removed from the active shop, `shop` is null at once', async () => {
      const owner = new TestClient(server.url);
      const o = await owner.register();
      const shop = await shopOf(o.id);
      await server.db.query(`UPDATE shops SET currency = 'NZD', timezone = 'Pacific/Auckland' WHERE id = $1`, [shop]);
      const clerk = new TestClient(server.url);
      const k = await clerk.register();
      await server.db.query(`INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, 'clerk')`, [shop, k.id]);
      assert.equal((await clerk.post('/api/auth/shop', { shopId: shop })).status, 200);
      const seen = await clerk.get('/api/auth/session');
      assert.deepEqual(seen.body.shop, {
        id: shop,
        name: `${o.username}'s shop`,
        role: 'clerk',
        currency: 'NZD',
        timezone: 'Pacific/Auckland',
      });
      assert.equal(seen.body.shops.length, 2);
      assert.equal(seen.body.shops.find((s: { id: string }) => s.id === shop).role, 'clerk');

      // Through the owner's routes, which tell every server (shop.changed): who-am-I's copy of the
      // clerk's shops is forgotten before the change answers (src/shops/session-shops-cache.ts).
      assert.equal((await owner.patch(`/api/shop/members/${k.id}`, { role: 'viewer' })).status, 200);
      assert.equal((await clerk.get('/api/auth/session')).body.shop.role, 'viewer', 'no stale role after the change answered');
      assert.equal((await owner.delete(`/api/shop/members/${k.id}`)).status, 204);
      const gone = await clerk.get('/api/auth/session');
      assert.equal(gone.status, 200, 'the session survives');
      assert.equal(gone.body.shop, null);
      assert.deepEqual(
        gone.body.shops.map((s: { id: string }) => s.id),
        [await shopOf(k.id)],
      );
    });

    test('an admin: shop null, shops empty, even with a dormant membership', async () => {
      const admin = await signedInAdmin(server);
      const owner = new TestClient(server.url);
      const shop = await shopOf((await owner.register()).id);
      await server.db.query(`INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, 'manager')`, [shop, admin.id]);
      const res = await admin.client.get('/api/auth/session');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.shop, null);
      assert.deepEqual(res.body.shops, []);
    });
  });
}
