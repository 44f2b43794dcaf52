import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, startTestServer } from '../../support/app.js';
import { type ApiResponse, TestClient } from '../../support/client.js';

/*
 * The permission matrix (docs/api.md "Shops, members, invitations"), walked over the whole contract:
 * every operation the OpenAPI document declares `shop:*` × every shop role, on both databases. Each
 * member works in one shop owned by someone else (their session's active shop), with the role set in
 * the database. Probes are built to fail validation (as in http/access.test.ts), so a 403 proves the
 * guard refused before the route looked at anything, and anything else proves it let the caller through.
 */

type Operation = { 'x-access'?: string };
type Doc = { paths: Record<string, Record<string, Operation>> };
type ShopRole = 'viewer' | 'clerk' | 'manager' | 'owner';

const ROLES: ShopRole[] = ['viewer', 'clerk', 'manager', 'owner'];
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const BAD_PARAM = 'p'.repeat(80);
const rank = (r: string) => ROLES.indexOf(r as ShopRole);

function probe(client: TestClient, method: string, path: string): Promise<ApiResponse> {
  const url = `${path.replace(/\{[^}]+\}/g, BAD_PARAM)}?unexpected=1`;
  return client.request(method, url, UNSAFE.has(method) ? { body: { unexpected: true } } : {});
}

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`shop permission matrix (${backend})`, () => {
    let server: TestServer;
    let operations: { method: string; path: string; needs: ShopRole }[];
    let owner: TestClient;
    let shopId: string;
    let itemId: string;
    const members = {} as Record<ShopRole, { client: TestClient; id: string }>;

    /** Puts `userId` in the owner's shop with `role` and makes it their sessions' active shop. */
    async function setRole(userId: string, role: ShopRole | null) {
      if (role === null) {
        await server.db.query('DELETE FROM memberships WHERE shop_id = $1 AND user_id = $2', [shopId, userId]);
        return;
      }
      await server.db.query(
        `INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (shop_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
        [shopId, userId, role],
      );
      await server.db.query('UPDATE sessions SET active_shop_id = $1 WHERE user_id = $2', [shopId, userId]);
    }

    const counts = async () =>
      (
        await server.db.query<{ items: string; movements: string; keys: string }>(
          `SELECT (SELECT count(*) FROM items)::text AS items, (SELECT count(*) FROM movements)::text AS movements,
                  (SELECT count(*) FROM idempotency_keys)::text AS keys`,
        )
      ).rows[0];

    before(async () => {
      server = await startTestServer({ database: backend });
      const doc = (await new TestClient(server.url).get('/docs/json')).body as Doc;
      operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.entries(ops)
          .filter(([, op]) => op['x-access']?.startsWith('shop:'))
          .map(([method, op]) => ({ method: method.toUpperCase(), path, needs: op['x-access']!.slice(5) as ShopRole })),
      );
      owner = new TestClient(server.url);
      const me = await owner.register();
      shopId = (await server.db.query<{ shop_id: string }>('SELECT shop_id FROM memberships WHERE user_id = $1', [me.id])).rows[0]!.shop_id;
      const created = await owner.post('/api/items', { sku: 'M-1', name: 'matrix', quantity: 10, priceCents: 500, costCents: 123 });
      assert.equal(created.status, 201, created.text);
      itemId = created.body.item.id;
      for (const role of ROLES) {
        const client = new TestClient(server.url);
        const user = await client.register(); // opens a shop of their own too: the active one must win
        await setRole(user.id, role);
        members[role] = { client, id: user.id };
      }
    });
    after(() => server?.close());

    test('every inventory operation declares a shop role, per the contract', () => {
      const needs = Object.fromEntries(operations.map((o) => [`${o.method} ${o.path}`, o.needs]));
      assert.deepEqual(needs, {
        'GET /api/items': 'viewer',
        'POST /api/items': 'manager',
        'GET /api/items/export.csv': 'viewer',
        'GET /api/items/labels': 'clerk',
        'GET /api/items/lookup': 'viewer',
        'POST /api/items/import': 'manager',
        'GET /api/items/{id}': 'viewer',
        'PATCH /api/items/{id}': 'manager',
        'DELETE /api/items/{id}': 'manager',
        'POST /api/items/{id}/restore': 'manager',
        'POST /api/items/{id}/adjustments': 'clerk',
        'GET /api/items/{id}/movements': 'viewer',
        'GET /api/inventory/summary': 'viewer',
        'GET /api/inventory/movements/daily': 'viewer',
        'POST /api/counts': 'manager',
        'GET /api/counts': 'viewer',
        'GET /api/counts/{id}': 'viewer',
        'PUT /api/counts/{id}/lines/{itemId}': 'clerk',
        'POST /api/counts/{id}/commit': 'manager',
        'DELETE /api/counts/{id}': 'manager',
        'GET /api/shop': 'viewer',
        'PATCH /api/shop': 'owner',
        'DELETE /api/shop': 'owner',
        'GET /api/shop/members': 'manager',
        'PATCH /api/shop/members/{userId}': 'owner',
        // Any member may leave (their own id); removing someone else is the owner's (shops/members.test.ts).
        'DELETE /api/shop/members/{userId}': 'viewer',
        'GET /api/movements': 'viewer',
        'POST /api/shop/invitations': 'manager',
        'GET /api/shop/invitations': 'manager',
        'DELETE /api/shop/invitations/{id}': 'manager',
      });
    });

    test('every operation × every role: below the declared role 403 (nothing written), at or above it past the guard', async () => {
      const before = await counts();
      const wrong: string[] = [];
      for (const { method, path, needs } of operations) {
        for (const role of ROLES) {
          const res = await probe(members[role].client, method, path);
          const refused = res.status === 403 && res.body.code === 'forbidden';
          const allowed = rank(role) >= rank(needs);
          if (allowed === refused || res.status === 401)
            wrong.push(`${role} ${method} ${path} (needs ${needs}): ${res.status} ${res.body.code ?? ''}`);
        }
      }
      assert.deepEqual(wrong, []);
      assert.deepEqual(await counts(), before);
    });

    test('a viewer calling every write route with a valid body: 403, nothing written', async () => {
      const viewer = members.viewer.client;
      const before = await counts();
      const writes: [string, string, unknown][] = [
        ['POST', '/api/items', { sku: 'V-1', name: 'viewer' }],
        ['PATCH', `/api/items/${itemId}`, { name: 'renamed', version: 1 }],
        ['DELETE', `/api/items/${itemId}`, undefined],
        ['POST', `/api/items/${itemId}/adjustments`, { delta: -1, reason: 'sold' }],
      ];
      for (const [method, path, body] of writes) {
        const res = await viewer.request(method, path, body === undefined ? {} : { body });
        assert.equal(res.status, 403, `${method} ${path}: ${res.text}`);
        assert.equal(res.body.code, 'forbidden');
      }
      const csv = await viewer.request('POST', '/api/items/import', {
        body: 'sku,name\nV-2,viewer\n',
        headers: { 'content-type': 'text/csv' },
      });
      assert.equal(csv.status, 403, csv.text);
      assert.deepEqual(await counts(), before);
      const item = await owner.get(`/api/items/${itemId}`);
      assert.equal(item.body.item.name, 'matrix');
      assert.equal(item.body.item.quantity, 10);
    });

    test('cost fields are null below manager: items, adjustments, summary, CSV export', async () => {
      for (const role of ROLES) {
        const { client } = members[role];
        const sees = rank(role) >= rank('manager');
        const one = await client.get(`/api/items/${itemId}`);
        assert.equal(one.status, 200);
        assert.equal(one.body.item.costCents, sees ? 123 : null, `${role} item`);
        assert.equal(one.body.item.priceCents, 500);
        const page = await client.get('/api/items');
        assert.deepEqual(
          page.body.items.map((i: { costCents: number | null }) => i.costCents),
          [sees ? 123 : null],
          `${role} list`,
        );
        const summary = await client.get('/api/inventory/summary');
        assert.equal(summary.body.stockValueCents, sees ? one.body.item.quantity * 123 : null, `${role} summary`);
        const csv = await client.get('/api/items/export.csv');
        assert.equal(csv.status, 200);
        assert.equal(/costCents/.test(csv.text.split('\n')[0] ?? ''), sees, `${role} export header`);
        if (role !== 'viewer') {
          const adjusted = await client.post(`/api/items/${itemId}/adjustments`, { delta: 1, reason: 'received' });
          assert.equal(adjusted.status, 201, adjusted.text);
          assert.equal(adjusted.body.item.costCents, sees ? 123 : null, `${role} adjustment`);
          assert.equal((await client.post(`/api/items/${itemId}/adjustments`, { delta: -1, reason: 'sold' })).status, 201);
        }
      }
    });

    test('a role change and a removal bite on the next request; the session survives', async () => {
      const { client, id } = members.clerk;
      assert.equal((await client.post(`/api/items/${itemId}/adjustments`, { delta: 1, reason: 'received' })).status, 201);
      await setRole(id, 'viewer');
      const demoted = await client.post(`/api/items/${itemId}/adjustments`, { delta: 1, reason: 'received' });
      assert.equal(demoted.status, 403);
      assert.equal((await client.get(`/api/items/${itemId}`)).status, 200);
      await setRole(id, null);
      const removed = await client.get(`/api/items/${itemId}`);
      assert.equal(removed.status, 403, 'out of the shop: not a silent switch to their own shop');
      assert.equal((await client.get('/api/auth/session')).status, 200, 'still signed in');
      await setRole(id, 'clerk');
      assert.equal((await client.get(`/api/items/${itemId}`)).status, 200);
    });

    test('a platform admin is refused on shop routes even with a membership (dormant)', async () => {
      const { id } = members.owner;
      await server.db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [id]);
      try {
        // Promotion ends the user's sessions elsewhere; here the role is changed underneath, so sign in again.
        const again = new TestClient(server.url);
        const login = await again.login(
          (await server.db.query<{ username: string }>('SELECT username FROM users WHERE id = $1', [id])).rows[0]!.username,
        );
        assert.equal(login.status, 200, login.text);
        const res = await again.get(`/api/items/${itemId}`);
        assert.equal(res.status, 403);
        assert.equal(res.body.code, 'forbidden');
      } finally {
        await server.db.query(`UPDATE users SET role = 'merchant' WHERE id = $1`, [id]);
      }
    });
  });
}
