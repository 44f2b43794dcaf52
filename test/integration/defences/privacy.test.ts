import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { PASSWORD, TestClient } from '../../support/client.js';
import { count, signedInAdmin, signedInMerchant } from './helpers.js';

/**
 * Privacy (S-65, S-66, S-67): the export holds everything about the user and no secret; deletion
 * really deletes, in every table, and leaves the audit trail without personal data; activity shows a
 * user their own security events with truncated addresses.
 */

/** Keys that must never appear anywhere in a response (S-52). */
const SECRET_KEY = /pass(word)?_?hash|salt|^sid$|token|secret|id_?hash/i;

function keysOf(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) keysOf(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      keysOf(v, out);
    }
  }
  return out;
}

async function stock(c: TestClient, name: string) {
  const created = await c.post('/api/items', { sku: `SKU-${randomUUID().slice(0, 8)}`, name, quantity: 5, priceCents: 1250 });
  assert.equal(created.status, 201, created.text);
  const adj = await c.post(`/api/items/${created.body.item.id}/adjustments`, { delta: -2, reason: 'sold', note: 'counter sale' });
  assert.equal(adj.status, 201, adj.text);
  return created.body.item.id as string;
}

for (const database of ['pglite', 'postgres'] as const) {
  describe(`privacy on ${database}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database, env: { EXPORT_MIN_INTERVAL: '1h' } });
    });
    after(() => server.close());

    test('the export is complete, an attachment, not cached, without hashes or tokens, and once per interval', async () => {
      const a = await signedInMerchant(server);
      const b = await signedInMerchant(server);
      const canary = `B-CANARY-${randomUUID()}`;
      await stock(b.client, canary);
      const mine = `A-ITEM-${randomUUID()}`;
      const itemId = await stock(a.client, mine);
      await stock(a.client, 'second thing');
      const phone = new TestClient(server.url);
      await phone.login(a.username);

      const res = await a.client.post('/api/me/export');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="stockade-export-\d{4}-\d\d-\d\d\.json"$/);
      assert.match(res.headers.get('cache-control') ?? '', /no-store/);
      const data = res.body;
      assert.equal(data.user.id, a.id);
      assert.equal(data.user.username, a.username);
      assert.equal(data.sessions.length, 2);
      assert.equal(data.sessions.filter((s: { current: boolean }) => s.current).length, 1);
      assert.equal(data.items.length, 2);
      const item = data.items.find((i: { id: string }) => i.id === itemId);
      assert.equal(item.name, mine);
      assert.equal(item.quantity, 3);
      assert.equal(item.priceCents, 1250);
      assert.equal(data.movements.length, 4, 'the initial stock and the sale, for each item');
      assert.ok(
        data.movements.some(
          (m: { itemId: string; delta: number; note: string }) => m.itemId === itemId && m.delta === -2 && m.note === 'counter sale',
        ),
      );
      assert.ok(data.authEvents.some((e: { type: string }) => e.type === 'login.success'));

      assert.deepEqual(
        keysOf(data).filter((k) => SECRET_KEY.test(k)),
        [],
      );
      const hash = (await server.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [a.id])).rows[0]!
        .password_hash;
      for (const secret of [hash, a.client.token!, a.client.csrfToken!, phone.token!, canary, b.id]) {
        assert.ok(!res.text.includes(secret), 'no hash, token, CSRF token or other tenant data');
      }

      const again = await a.client.post('/api/me/export');
      assert.equal(again.status, 429);
      assert.equal(again.body.code, 'rate_limited');
      assert.ok(Number(again.headers.get('retry-after')) > 3000);
      assert.equal((await b.client.post('/api/me/export')).status, 200, 'the limit is per user');
      assert.equal(await count(server, `audit_events WHERE user_id = $1 AND type = 'export'`, [a.id]), 1);
    });

    test('the export is a POST with the CSRF token: a GET (a link on any site) and a forged POST export nothing, audit nothing, spend no quota', async () => {
      const a = await signedInMerchant(server);
      const exports = () => count(server, `audit_events WHERE user_id = $1 AND type = 'export'`, [a.id]);
      const viaLink = await a.client.get('/api/me/export', { headers: { 'sec-fetch-site': 'cross-site' } });
      assert.equal(viaLink.status, 404, 'a GET is a wrong method');
      assert.equal(viaLink.body.code, 'not_found');
      assert.equal((await a.client.get('/api/me/export')).status, 404, 'even from our own page');
      const forged = await a.client.post('/api/me/export', undefined, { csrf: false });
      assert.equal(forged.status, 403);
      assert.equal(forged.body.code, 'csrf');
      const foreign = await a.client.post('/api/me/export', undefined, { headers: { origin: 'https://evil.example' } });
      assert.equal(foreign.status, 403);
      assert.equal(await exports(), 0, 'no export row');
      const real = await a.client.post('/api/me/export');
      assert.equal(real.status, 200, 'the quota was not spent by the refused ones');
      assert.equal(real.body.user.id, a.id);
      assert.equal(await exports(), 1);
    });

    test('deleting the account removes the user, sessions, items, movements; the audit keeps no personal data', async () => {
      const a = await signedInMerchant(server);
      const itemId = await stock(a.client, 'to be forgotten');
      const other = new TestClient(server.url);
      await other.login(a.username, PASSWORD, { headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' } });
      const keyed = await other.post(
        '/api/items',
        { sku: 'OTHER-1', name: 'made on the other device' },
        { headers: { 'idempotency-key': 'k-1' } },
      );
      assert.equal(keyed.status, 201);
      const b = await signedInMerchant(server);
      const bItem = await stock(b.client, 'stays');

      // The shop it alone belonged to goes with the account (a uuid read from the database: safe to splice).
      const shop = (await server.db.query<{ shop_id: string }>('SELECT shop_id FROM memberships WHERE user_id = $1', [a.id])).rows[0]
        ?.shop_id;
      assert.ok(shop);
      const tables: [string, string][] = [
        ['users', 'id = $1'],
        ['sessions', 'user_id = $1'],
        ['memberships', 'user_id = $1'],
        ['shops', `id = '${shop}' AND $1::uuid IS NOT NULL`],
        ['items', `shop_id = '${shop}' AND $1::uuid IS NOT NULL`],
        ['movements', `shop_id = '${shop}' OR created_by = $1`],
        ['idempotency_keys', `shop_id = '${shop}' AND $1::uuid IS NOT NULL`],
        ['audit_events', 'user_id = $1 OR actor_id = $1'],
      ];
      for (const [table, where] of tables) {
        assert.ok((await count(server, `${table} WHERE ${where}`, [a.id])) > 0, `${table} has rows of the user before`);
      }

      const wrong = await a.client.delete('/api/me', { password: 'not the password' });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.errors[0].path, 'password');
      assert.equal(await count(server, 'users WHERE id = $1', [a.id]), 1);

      const res = await a.client.delete('/api/me', { password: PASSWORD });
      assert.equal(res.status, 204);
      assert.ok(
        res.setCookies.some((c) => /^__Host-sid=;/.test(c) && /max-age=0/i.test(c)),
        'cookie cleared',
      );
      assert.match(res.headers.get('clear-site-data') ?? '', /"cookies"/);

      assert.equal((await other.get('/api/auth/session')).status, 401, 'every session is gone');
      const login = await new TestClient(server.url).login(a.username);
      assert.equal(login.status, 401);
      assert.equal(login.body.code, 'unauthenticated');

      for (const [table, where] of tables) {
        assert.equal(await count(server, `${table} WHERE ${where}`, [a.id]), 0, table);
      }
      assert.equal(await count(server, 'items WHERE id = $1', [itemId]), 0);
      assert.equal(await count(server, 'items WHERE id = $1', [bItem]), 1, "another merchant's data stays");

      const subject = await server.deps.pseudonyms.of('user', a.id);
      const rows = await server.db.query<{ type: string; ip: string | null; user_agent: string | null; row: string }>(
        'SELECT type, ip, user_agent, row_to_json(e)::text AS row FROM audit_events e WHERE subject = $1',
        [subject],
      );
      const types = rows.rows.map((r) => r.type);
      for (const t of ['account.created', 'login.success', 'account.delete_failure', 'account.deleted']) assert.ok(types.includes(t), t);
      for (const r of rows.rows) {
        assert.equal(r.ip, null);
        assert.equal(r.user_agent, null);
        assert.ok(!r.row.includes(a.username) && !r.row.includes(a.id), 'no username or id left');
      }
    });

    test('the audit table is append-only: an update may only remove personal data', async () => {
      const a = await signedInMerchant(server);
      const id = (await server.db.query<{ id: string }>('SELECT id FROM audit_events WHERE user_id = $1 LIMIT 1', [a.id])).rows[0]!.id;
      await assert.rejects(server.db.query(`UPDATE audit_events SET type = 'login.failure' WHERE id = $1`, [id]), /append-only/);
      await assert.rejects(server.db.query(`UPDATE audit_events SET ip = '10.0.0.0/24' WHERE id = $1`, [id]), /append-only/);
      await server.db.query('UPDATE audit_events SET ip = NULL WHERE id = $1', [id]);
    });

    test("activity: the user's own events, newest first, with truncated address and device summary", async () => {
      const a = await signedInMerchant(server);
      await new TestClient(server.url).login(a.username, 'wrong password here');
      const admin = await signedInAdmin(server);
      await admin.client.post(`/api/admin/users/${a.id}/revoke-sessions`);
      const fresh = new TestClient(server.url);
      await fresh.login(a.username, PASSWORD, {
        headers: { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Safari/605.1.15' },
      });
      const res = await fresh.get('/api/me/activity');
      assert.equal(res.status, 200);
      const events = res.body.events as { type: string; at: string; ip: string; userAgent: string; byAdmin: boolean }[];
      assert.deepEqual(
        events.map((e) => e.type),
        ['login.success', 'session.revoked', 'login.failure', 'account.created'],
      );
      assert.equal(events[0]!.userAgent, 'Safari on macOS');
      assert.equal(events[1]!.byAdmin, true, 'the admin revocation is shown as such');
      for (const e of events) {
        assert.equal(e.ip, e.byAdmin ? null : '127.0.0.0/24');
        assert.match(e.at, /Z$/);
      }
      const times = events.map((e) => Date.parse(e.at));
      assert.deepEqual(
        times,
        [...times].sort((x, y) => y - x),
      );
      assert.equal(
        (await admin.client.get('/api/me/activity')).body.events.some((e: { type: string }) => e.type === 'session.revoked'),
        false,
        "only one's own",
      );
    });

    test('what an administrator did shows as "an administrator": never their address, device, name or id (activity and export)', async () => {
      const a = await signedInMerchant(server);
      const admin = await signedInAdmin(server);
      // The admin acts from another device than the merchant's (and, in life, from another network).
      const from = { headers: { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0 Edg/126.0' } };
      assert.equal((await admin.client.post(`/api/admin/users/${a.id}/revoke-sessions`, undefined, from)).status, 200);
      assert.equal((await admin.client.patch(`/api/admin/users/${a.id}`, { disabled: true }, from)).status, 200);
      assert.equal((await admin.client.patch(`/api/admin/users/${a.id}`, { disabled: false }, from)).status, 200);
      const rows = await server.db.query<{ user_agent: string }>(
        `SELECT user_agent FROM audit_events WHERE user_id = $1 AND actor_id = $2`,
        [a.id, admin.id],
      );
      assert.equal(rows.rows.length, 3);
      assert.ok(
        rows.rows.every((r) => r.user_agent === 'Edge on Windows'),
        "the trail itself keeps the admin's device",
      );

      const merchant = new TestClient(server.url);
      assert.equal((await merchant.login(a.username)).status, 200);
      const activity = await merchant.get('/api/me/activity');
      assert.equal(activity.status, 200);
      const exported = await merchant.post('/api/me/export');
      assert.equal(exported.status, 200);
      for (const [view, events] of [
        ['activity', activity.body.events],
        ['export', exported.body.authEvents],
      ] as const) {
        const byAdmin = (events as { type: string; ip: string | null; userAgent: string | null; byAdmin: boolean }[]).filter(
          (e) => e.byAdmin,
        );
        assert.deepEqual(
          byAdmin.map((e) => e.type).sort(),
          ['admin.user_disabled', 'admin.user_enabled', 'session.revoked'],
          `${view}: the admin's actions, shown as such`,
        );
        for (const e of byAdmin) {
          assert.equal(e.ip, null, `${view}: ${e.type} shows no admin address`);
          assert.equal(e.userAgent, null, `${view}: ${e.type} shows no admin device`);
        }
      }
      for (const [view, text] of [
        ['activity', activity.text],
        ['export', exported.text],
      ] as const) {
        for (const secret of ['Edge', 'Windows', admin.id, admin.username])
          assert.ok(!text.includes(secret), `${view} names the admin (${secret})`);
      }
    });
  });
}
