import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, startTestServer } from '../../support/app.js';
import { PASSWORD, TestClient, uniqueUsername } from '../../support/client.js';
import { count, signedInMerchant } from '../defences/helpers.js';
import { uniqueAddress } from '../mail/helpers.js';

/*
 * Sign-up and shops (docs/api.md "Shops, members, invitations"): without an invitation the account opens
 * its own shop (`shopName` or "USERNAME's shop") in the transaction that creates it; with a valid
 * invitation it joins that shop instead and opens none; an invalid invitation is 404 and creates nothing
 * — no user row, no shop. On both databases.
 */
for (const database of ['pglite', 'postgres'] as const) {
  describe(`sign-up and shops (${database})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database });
    });
    after(() => server?.close());

    const users = (username: string) => count(server, 'users WHERE username = $1', [username]);

    async function invite(owner: TestClient, role: string, email?: string) {
      const res = await owner.post('/api/shop/invitations', email ? { role, email } : { role });
      assert.equal(res.status, 201, res.text);
      return res.body as { invitation: { id: string }; token: string };
    }

    test('without an invitation: the own shop, named as asked or "USERNAME\'s shop"', async () => {
      const c = new TestClient(server.url);
      const username = uniqueUsername('plain');
      const res = await c.post('/api/auth/register', { username, password: PASSWORD });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.shop.name, `${username}'s shop`);
      assert.equal(res.body.shop.role, 'owner');

      const named = new TestClient(server.url);
      const res2 = await named.post('/api/auth/register', {
        username: uniqueUsername('named'),
        password: PASSWORD,
        shopName: '  Corner Shop ',
      });
      assert.equal(res2.status, 201, res2.text);
      assert.equal(res2.body.shop.name, 'Corner Shop');
      assert.equal(res2.body.shop.currency, 'EUR');
      assert.equal((await named.post('/api/items', { sku: 'N-1', name: 'mine' })).status, 201, 'works in it at once');

      for (const shopName of ['   ', 'a\u0000b', 'x'.repeat(101)]) {
        const username = uniqueUsername('badshop');
        const bad = await new TestClient(server.url).post('/api/auth/register', { username, password: PASSWORD, shopName });
        assert.equal(bad.status, 400, JSON.stringify(shopName));
        assert.equal(bad.body.errors[0].path, 'shopName');
        assert.equal(await users(username), 0, 'no user row');
      }
    });

    test('with a valid invitation: joins that shop with the invited role, opens none', async () => {
      const owner = await signedInMerchant(server);
      assert.equal((await owner.client.post('/api/items', { sku: 'SHARED', name: 'their stock' })).status, 201);
      const issued = await invite(owner.client, 'clerk');
      const shopsBefore = await count(server, 'shops');
      const c = new TestClient(server.url);
      const username = uniqueUsername('joiner');
      const res = await c.post('/api/auth/register', { username, password: PASSWORD, invitation: issued.token });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.shop.role, 'clerk');
      assert.equal(res.body.shop.name, `${owner.username}'s shop`);
      assert.equal(await count(server, 'shops'), shopsBefore, 'no shop opened');
      assert.equal(await count(server, 'memberships WHERE user_id = $1', [res.body.user.id]), 1);
      assert.deepEqual(
        (await c.get('/api/items')).body.items.map((i: { sku: string }) => i.sku),
        ['SHARED'],
      );
      assert.equal(await count(server, 'invitations WHERE id = $1 AND used_by = $2', [issued.invitation.id, res.body.user.id]), 1);
      // Used up: the next sign-up with it is refused and creates nothing.
      const again = uniqueUsername('late');
      const late = await new TestClient(server.url).post('/api/auth/register', {
        username: again,
        password: PASSWORD,
        invitation: issued.token,
      });
      assert.equal(late.status, 404);
      assert.equal(await users(again), 0);
    });

    test('an invalid invitation is 404 and creates nothing: no user row, no shop', async () => {
      const owner = await signedInMerchant(server);
      const withdrawn = await invite(owner.client, 'viewer');
      assert.equal((await owner.client.delete(`/api/shop/invitations/${withdrawn.invitation.id}`)).status, 204);
      const bound = await invite(owner.client, 'viewer', uniqueAddress('bound'));
      const shopsBefore = await count(server, 'shops');
      for (const [what, token] of [
        ['unknown', 'C'.repeat(43)],
        ['malformed', 'not a token'],
        ['withdrawn', withdrawn.token],
        ['bound to an address a new account has not verified', bound.token],
      ] as const) {
        const username = uniqueUsername('nope');
        const res = await new TestClient(server.url).post('/api/auth/register', { username, password: PASSWORD, invitation: token });
        assert.equal(res.status, 404, `${what}: ${res.text}`);
        assert.equal(res.body.code, 'not_found');
        assert.equal(await users(username), 0, `${what}: no user row`);
      }
      assert.equal(await count(server, 'shops'), shopsBefore, 'no shop');

      // A taken username fails after the link was found: the transaction leaves the link unused.
      const valid = await invite(owner.client, 'viewer');
      const taken = await new TestClient(server.url).post('/api/auth/register', {
        username: owner.username,
        password: PASSWORD,
        invitation: valid.token,
      });
      assert.equal(taken.status, 409, taken.text);
      assert.equal(await count(server, 'invitations WHERE id = $1 AND used_at IS NULL', [valid.invitation.id]), 1, 'still usable');
      const both = uniqueUsername('both');
      const res = await new TestClient(server.url).post('/api/auth/register', {
        username: both,
        password: PASSWORD,
        invitation: valid.token,
        shopName: 'Mine',
      });
      assert.equal(res.status, 400, 'a shop name and an invitation together');
      assert.equal(await users(both), 0);
    });
  });
}
