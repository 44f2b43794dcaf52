import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { PASSWORD, TestClient } from '../../support/client.js';
import { signedInAdmin, signedInMerchant } from './helpers.js';

/**
 * The admin API (docs/api.md "Admin", S-51): who may call it, the kill switch, disable/enable, role changes
 * that leave no stale privilege, the last-admin rule, and the user list.
 */
for (const database of ['pglite', 'postgres'] as const) {
  describe(`admin on ${database}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database });
    });
    after(() => server.close());
    const client = () => new TestClient(server.url);

    test('the kill switch ends every session of a user on their next request', async () => {
      const admin = await signedInAdmin(server);
      const laptop = await signedInMerchant(server);
      const phone = client();
      assert.equal((await phone.login(laptop.username)).status, 200);
      assert.equal((await laptop.client.get('/api/auth/session')).status, 200);

      const res = await admin.client.post(`/api/admin/users/${laptop.id}/revoke-sessions`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { revoked: 2 });
      assert.equal((await laptop.client.get('/api/auth/session')).status, 401);
      assert.equal((await phone.get('/api/items')).status, 401);
      assert.equal((await admin.client.get('/api/auth/session')).status, 200, 'the admin is not affected');
      assert.equal((await admin.client.post('/api/admin/users/00000000-0000-4000-8000-000000000000/revoke-sessions')).status, 404);
    });

    test('disabling ends the sessions and refuses sign-in generically; enabling lets the user back in', async () => {
      const admin = await signedInAdmin(server);
      const m = await signedInMerchant(server);
      const res = await admin.client.patch(`/api/admin/users/${m.id}`, { disabled: true });
      assert.equal(res.status, 200);
      assert.equal(res.body.user.disabled, true);
      assert.equal(res.body.user.activeSessions, 0);
      assert.equal((await m.client.get('/api/auth/session')).status, 401);
      const refused = await client().login(m.username);
      assert.equal(refused.status, 401);
      assert.equal(refused.body.code, 'unauthenticated');
      assert.equal((await admin.client.patch(`/api/admin/users/${m.id}`, { disabled: false })).status, 200);
      assert.equal((await client().login(m.username)).status, 200);
    });

    test('a role change revokes: a promoted merchant must sign in again, a demoted admin gets 403 next time', async () => {
      const admin = await signedInAdmin(server);
      const m = await signedInMerchant(server);
      assert.equal((await m.client.get('/api/admin/users')).status, 403);

      const up = await admin.client.patch(`/api/admin/users/${m.id}`, { role: 'admin' });
      assert.equal(up.status, 200);
      assert.equal(up.body.user.role, 'admin');
      assert.equal((await m.client.get('/api/admin/users')).status, 401, 'the old session died with its old role');
      const promoted = client();
      assert.equal((await promoted.login(m.username)).status, 200);
      assert.equal((await promoted.get('/api/admin/users')).status, 200);
      assert.equal((await promoted.get('/api/items')).status, 403, 'an admin has no inventory');

      const down = await admin.client.patch(`/api/admin/users/${m.id}`, { role: 'merchant' });
      assert.equal(down.status, 200);
      assert.equal((await promoted.get('/api/admin/users')).status, 401);
      const demoted = client();
      assert.equal((await demoted.login(m.username)).status, 200);
      const next = await demoted.get('/api/admin/users');
      assert.equal(next.status, 403);
      assert.equal(next.body.code, 'forbidden');
    });

    test('the last enabled admin cannot demote or disable themself (409); with a second admin they can', async () => {
      // A database of its own: "last admin" counts every admin the other tests made.
      const solo = await startTestServer({ database });
      try {
        const only = await signedInAdmin(solo);
        for (const change of [{ role: 'merchant' }, { disabled: true }]) {
          const res = await only.client.patch(`/api/admin/users/${only.id}`, change);
          assert.equal(res.status, 409, JSON.stringify(change));
          assert.equal(res.body.code, 'conflict');
        }
        assert.equal((await only.client.delete('/api/me', { password: PASSWORD })).status, 409, 'nor delete their account');
        const second = await signedInAdmin(solo);
        assert.equal((await only.client.patch(`/api/admin/users/${second.id}`, { disabled: true })).status, 200);
        assert.equal(
          (await only.client.patch(`/api/admin/users/${only.id}`, { role: 'merchant' })).status,
          409,
          'the other one is disabled',
        );
        assert.equal((await only.client.patch(`/api/admin/users/${second.id}`, { disabled: false })).status, 200);
        const demoted = await only.client.patch(`/api/admin/users/${only.id}`, { role: 'merchant' });
        assert.equal(demoted.status, 200);
        assert.equal((await only.client.get('/api/auth/session')).status, 401, 'demoting yourself signs you out');
      } finally {
        await solo.close();
      }
    });
  });
}

describe('admin routes: who may call them', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('no session: 401 · a merchant: 403 · an admin: 2xx, on every admin route', async () => {
    const admin = await signedInAdmin(server);
    const m = await signedInMerchant(server);
    const anonymous = new TestClient(server.url);
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/admin/users'],
      ['GET', '/api/admin/users?limit=1'],
      ['GET', '/api/admin/audit'],
      ['POST', `/api/admin/users/${m.id}/revoke-sessions`],
      ['PATCH', `/api/admin/users/${m.id}`, { disabled: false }],
      // Authorization comes before validation: a malformed request does not reveal the route's shape.
      ['PATCH', `/api/admin/users/${m.id}`, { nonsense: 1 }],
    ];
    for (const [method, path, body] of routes) {
      const who = `${method} ${path} ${JSON.stringify(body ?? '')}`;
      const none = await anonymous.request(method, path, { body });
      assert.equal(none.status, 401, `anonymous ${who}`);
      assert.equal(none.body.code, 'unauthenticated');
      const merchant = await m.client.request(method, path, { body });
      assert.equal(merchant.status, 403, `merchant ${who}`);
      assert.equal(merchant.body.code, 'forbidden');
    }
    for (const [method, path, body] of routes.slice(0, 5)) {
      const res = await admin.client.request(method, path, { body });
      assert.ok(res.status >= 200 && res.status < 300, `admin ${method} ${path}: ${res.status}`);
    }
    assert.equal((await admin.client.patch(`/api/admin/users/${m.id}`, { nonsense: 1 })).status, 400);
    assert.equal((await admin.client.patch(`/api/admin/users/${m.id}`, {})).status, 400);
    assert.equal((await admin.client.patch(`/api/admin/users/${m.id}`, { role: 'root' })).status, 400);
    assert.equal((await admin.client.patch('/api/admin/users/not-a-user', { disabled: true })).status, 404);
  });

  test('the user list: roles, disabled flag, live-session counts, last sign-in, keyset pages', async () => {
    const admin = await signedInAdmin(server);
    const m = await signedInMerchant(server);
    await new TestClient(server.url).login(m.username);
    const seen = new Map<string, Record<string, unknown>>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: { users: Record<string, unknown>[]; nextCursor: string | null } } = await admin.client.get(
        `/api/admin/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(res.status, 200);
      assert.ok(res.body.users.length <= 2);
      for (const u of res.body.users) {
        assert.ok(!seen.has(u.id as string), 'no user twice across pages');
        seen.set(u.id as string, u);
      }
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    const total = Number((await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users')).rows[0]!.n);
    assert.equal(seen.size, total, 'the pages cover every user');
    const row = seen.get(m.id)!;
    assert.deepEqual(Object.keys(row).sort(), ['activeSessions', 'createdAt', 'disabled', 'id', 'lastLoginAt', 'role', 'username']);
    assert.equal(row.activeSessions, 2);
    assert.equal(row.role, 'merchant');
    assert.equal(row.disabled, false);
    assert.match(String(row.lastLoginAt), /^\d{4}-\d\d-\d\dT.*Z$/);
    assert.equal(seen.get(admin.id)?.role, 'admin');
    assert.equal((await admin.client.get('/api/admin/users?cursor=%21%21')).status, 400);
    assert.equal((await admin.client.get('/api/admin/users?limit=0')).status, 400);
  });
});
