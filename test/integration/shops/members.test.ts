import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, startTestServer } from '../../support/app.js';
import { type ApiResponse, TestClient } from '../../support/client.js';
import { openEventStream } from '../../support/event-stream.js';
import { signedInAdmin } from '../defences/helpers.js';

/*
 * A shop's members (docs/api.md "Shops, members, invitations"): GET /api/shop/members (manager+),
 * PATCH /api/shop/members/:userId (owner), DELETE /api/shop/members/:userId (owner, or oneself = leave).
 * A member of another shop, an unknown or malformed id → 404. "A shop always has an owner" holds under
 * concurrent demotions (409 or 403, never none left). A change bites on the member's next request
 * without ending their session, is audited, and reaches their open event stream as `shop.changed`.
 * GET /api/admin/shops lists shops with counts. On both databases. (Before: every route here 404.)
 */

type Role = 'owner' | 'manager' | 'clerk' | 'viewer';
const ROLES: Role[] = ['viewer', 'clerk', 'manager', 'owner'];

function problem(res: ApiResponse, status: number, code: string, label = '') {
  assert.equal(res.status, status, `${label} ${res.text}`);
  assert.equal(res.body.code, code, label);
}

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`shop members (${backend})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database: backend });
    });
    after(() => server?.close());

    const ownShop = async (userId: string) =>
      (
        await server.db.query<{ shop_id: string }>('SELECT shop_id FROM memberships WHERE user_id = $1 ORDER BY joined_at LIMIT 1', [
          userId,
        ])
      ).rows[0]!.shop_id;

    async function join(shopId: string, role: Role) {
      const client = new TestClient(server.url);
      const user = await client.register();
      await server.db.query('INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, $3)', [shopId, user.id, role]);
      assert.equal((await client.post('/api/auth/shop', { shopId })).status, 200);
      return { client, id: user.id, username: user.username };
    }

    async function newShop() {
      const owner = new TestClient(server.url);
      const o = await owner.register();
      return { owner, ownerId: o.id, shopId: await ownShop(o.id) };
    }

    const roleOf = async (shopId: string, userId: string) =>
      (await server.db.query<{ role: Role }>('SELECT role FROM memberships WHERE shop_id = $1 AND user_id = $2', [shopId, userId])).rows[0]
        ?.role ?? null;

    test('matrix: viewer/clerk/manager/owner × list, change a role, remove someone, leave', async () => {
      for (const role of ROLES) {
        const { shopId } = await newShop();
        const caller = await join(shopId, role);
        const target = await join(shopId, 'clerk');
        const list = await caller.client.get('/api/shop/members');
        if (role === 'viewer' || role === 'clerk') problem(list, 403, 'forbidden', `${role} list`);
        else {
          assert.equal(list.status, 200, list.text);
          assert.equal(list.body.members.length, 3);
          assert.equal(list.body.members[0].role, 'owner', 'owners first');
          const t = list.body.members.find((m: { userId: string }) => m.userId === target.id);
          assert.deepEqual(
            { ...t, joinedAt: undefined },
            { userId: target.id, username: target.username, role: 'clerk', joinedAt: undefined, mfa: false },
          );
        }
        const patched = await caller.client.patch(`/api/shop/members/${target.id}`, { role: 'viewer' });
        const removed = await caller.client.delete(`/api/shop/members/${target.id}`);
        if (role === 'owner') {
          assert.equal(patched.status, 200, patched.text);
          assert.equal(patched.body.member.role, 'viewer');
          assert.equal(removed.status, 204, removed.text);
          assert.equal(await roleOf(shopId, target.id), null);
        } else {
          problem(patched, 403, 'forbidden', `${role} patch`);
          problem(removed, 403, 'forbidden', `${role} remove`);
          assert.equal(await roleOf(shopId, target.id), 'clerk', 'nothing changed');
        }
        if (role !== 'owner') {
          // Anyone may leave.
          assert.equal((await caller.client.delete(`/api/shop/members/${caller.id}`)).status, 204, `${role} leaves`);
          assert.equal(await roleOf(shopId, caller.id), null);
          problem(await caller.client.get('/api/items'), 403, 'forbidden', 'left: out of the shop at once');
          assert.equal((await caller.client.get('/api/auth/session')).body.shop, null);
        }
      }
    });

    test('IDOR: another shop’s member, an unknown id, a malformed id → 404, nothing changed', async () => {
      const a = await newShop();
      const b = await newShop();
      const theirs = await join(b.shopId, 'clerk');
      for (const id of [theirs.id, b.ownerId, '00000000-0000-4000-8000-000000000000', 'not-a-uuid', '../../admin']) {
        problem(await a.owner.patch(`/api/shop/members/${encodeURIComponent(id)}`, { role: 'viewer' }), 404, 'not_found', `patch ${id}`);
        problem(await a.owner.delete(`/api/shop/members/${encodeURIComponent(id)}`), 404, 'not_found', `delete ${id}`);
      }
      assert.equal(await roleOf(b.shopId, theirs.id), 'clerk');
      assert.equal(await roleOf(b.shopId, b.ownerId), 'owner');
      problem(await a.owner.patch(`/api/shop/members/${theirs.id}`, { role: 'boss' }), 400, 'validation');
    });

    test('the last owner cannot demote themself or leave (409); with a second owner they can', async () => {
      const { owner, ownerId, shopId } = await newShop();
      problem(await owner.patch(`/api/shop/members/${ownerId}`, { role: 'manager' }), 409, 'conflict');
      problem(await owner.delete(`/api/shop/members/${ownerId}`), 409, 'conflict');
      assert.equal(await roleOf(shopId, ownerId), 'owner');
      const second = await join(shopId, 'manager');
      assert.equal((await owner.patch(`/api/shop/members/${second.id}`, { role: 'owner' })).status, 200);
      assert.equal((await owner.patch(`/api/shop/members/${ownerId}`, { role: 'manager' })).status, 200, 'another owner is left');
      problem(await second.client.delete(`/api/shop/members/${second.id}`), 409, 'conflict', 'now the last one');
    });

    test('race: pairs of owners demoting each other at once, many shops in flight — every shop keeps an owner', async () => {
      const pairs = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const { owner, ownerId, shopId } = await newShop();
          const other = await join(shopId, 'owner');
          return { shopId, a: { client: owner, id: ownerId }, b: other };
        }),
      );
      const answers = await Promise.all(
        pairs.flatMap(({ a, b }) => [
          a.client.patch(`/api/shop/members/${b.id}`, { role: 'viewer' }),
          b.client.patch(`/api/shop/members/${a.id}`, { role: 'viewer' }),
          a.client.delete(`/api/shop/members/${b.id}`),
          b.client.delete(`/api/shop/members/${a.id}`),
        ]),
      );
      for (const res of answers) assert.ok([200, 204, 403, 404, 409].includes(res.status), `${res.status} ${res.text}`);
      for (const { shopId } of pairs) {
        const owners = await server.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM memberships WHERE shop_id = $1 AND role = 'owner'`,
          [shopId],
        );
        assert.equal(owners.rows[0]?.n, 1, `shop ${shopId} has exactly one owner left`);
      }
      assert.ok(
        answers.some((r) => r.status === 409 || r.status === 403),
        'the losers were refused',
      );
    });

    test('a role change and a removal bite on the next request, audited, told to the open stream; the session lives', async () => {
      const { owner, ownerId, shopId } = await newShop();
      const item = (await owner.post('/api/items', { sku: 'BITE', name: 'bite', quantity: 5 })).body.item;
      const clerk = await join(shopId, 'clerk');
      const stream = await openEventStream(clerk.client);
      assert.equal(stream.status, 200);
      assert.equal((await clerk.client.post(`/api/items/${item.id}/adjustments`, { delta: 1, reason: 'received' })).status, 201);

      assert.equal((await owner.patch(`/api/shop/members/${clerk.id}`, { role: 'viewer' })).status, 200);
      problem(await clerk.client.post(`/api/items/${item.id}/adjustments`, { delta: 1, reason: 'received' }), 403, 'forbidden');
      assert.deepEqual((await stream.next('shop.changed')).data, { shopId, reason: 'role_changed' });
      assert.equal((await clerk.client.get('/api/auth/session')).body.shop.role, 'viewer');

      assert.equal((await owner.delete(`/api/shop/members/${clerk.id}`)).status, 204);
      problem(await clerk.client.get('/api/items'), 403, 'forbidden');
      assert.ok(await waitReason(stream, 'removed'), 'the removal is told too');
      assert.equal(stream.isEnded, false, 'the stream (and session) lives on');
      const who = await clerk.client.get('/api/auth/session');
      assert.equal(who.status, 200);
      assert.equal(who.body.shop, null);
      stream.close();

      const audit = await server.db.query<{ type: string; user_id: string; actor_id: string | null }>(
        `SELECT type, user_id, actor_id FROM audit_events WHERE type LIKE 'shop.member%' AND details->>'shopId' = $1 ORDER BY id`,
        [shopId],
      );
      assert.deepEqual(
        audit.rows.map((r) => [r.type, r.user_id, r.actor_id]),
        [
          ['shop.member_role_changed', clerk.id, ownerId],
          ['shop.member_removed', clerk.id, ownerId],
        ],
      );
    });

    test('GET /api/admin/shops: admins only, counts, keyset pages without gaps or repeats', async () => {
      const { shopId } = await newShop();
      await join(shopId, 'clerk');
      await join(shopId, 'owner');
      const merchant = new TestClient(server.url);
      await merchant.register();
      problem(await merchant.get('/api/admin/shops'), 403, 'forbidden');
      const admin = await signedInAdmin(server);
      const seen: string[] = [];
      let cursor: string | null = null;
      let mine: { members: number; owners: number } | undefined;
      do {
        const page: ApiResponse = await admin.client.get(`/api/admin/shops?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(page.status, 200, page.text);
        assert.ok(page.body.shops.length <= 3);
        for (const s of page.body.shops) {
          seen.push(s.id);
          assert.deepEqual(Object.keys(s).sort(), ['createdAt', 'id', 'members', 'name', 'owners']);
          if (s.id === shopId) mine = s;
        }
        cursor = page.body.nextCursor;
      } while (cursor);
      const total = Number((await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM shops')).rows[0]?.n);
      assert.equal(seen.length, total, 'every shop once');
      assert.equal(new Set(seen).size, total, 'no repeats');
      assert.deepEqual({ members: mine?.members, owners: mine?.owners }, { members: 3, owners: 2 });
      problem(await admin.client.get('/api/admin/shops?cursor=bm90LWEtY3Vyc29y'), 400, 'validation');
      problem(await admin.client.get('/api/admin/shops?limit=0'), 400, 'validation');
    });
  });
}

async function waitReason(stream: { events: { event: string; data: unknown }[] }, reason: string): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (stream.events.some((e) => e.event === 'shop.changed' && (e.data as { reason: string }).reason === reason)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}
