import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, startTestServer } from '../../support/app.js';
import { type ApiResponse, PASSWORD, TestClient } from '../../support/client.js';
import { enrolledMerchant, TestClock } from '../mfa/helpers.js';

/*
 * The active shop's settings (docs/api.md "Shops, members, invitations"): GET /api/shop (viewer+),
 * PATCH /api/shop (owner; currency ISO 4217, time zone IANA, 409 on a currency change once any item has
 * a price or cost), DELETE /api/shop (owner, fresh authentication and password), requireMfa (members
 * without a second factor get 403 `mfa_required` on the shop's routes and can still enrol), and the
 * daily totals bucketing by the shop's time zone. On both databases.
 */

type Role = 'owner' | 'manager' | 'clerk' | 'viewer';

function problem(res: ApiResponse, status: number, code: string) {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(res.body.code, code, res.text);
}

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`shop settings (${backend})`, () => {
    let server: TestServer;
    const clock = new TestClock();
    before(async () => {
      server = await startTestServer({ database: backend, clock: clock.now });
    });
    after(() => server?.close());

    const shopOf = async (userId: string) =>
      (
        await server.db.query<{ shop_id: string }>('SELECT shop_id FROM memberships WHERE user_id = $1 ORDER BY joined_at LIMIT 1', [
          userId,
        ])
      ).rows[0]!.shop_id;

    /** A new owner with their shop, and a member of it with `role` working in it. */
    async function shopWith(role: Role) {
      const owner = new TestClient(server.url);
      const o = await owner.register();
      const shopId = await shopOf(o.id);
      const member = new TestClient(server.url);
      const m = await member.register();
      await server.db.query('INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, $3)', [shopId, m.id, role]);
      assert.equal((await member.post('/api/auth/shop', { shopId })).status, 200);
      return { owner, ownerId: o.id, shopId, member, memberId: m.id, ownerName: o.username };
    }

    test('GET /api/shop: every role reads the settings; PATCH is the owner’s (before: both 404, no such route)', async () => {
      const { owner, member, shopId, ownerName } = await shopWith('viewer');
      const seen = await member.get('/api/shop');
      assert.equal(seen.status, 200, seen.text);
      assert.deepEqual(
        { ...seen.body.shop, createdAt: undefined },
        { id: shopId, name: `${ownerName}'s shop`, currency: 'EUR', timezone: 'UTC', requireMfa: false, createdAt: undefined },
      );
      for (const role of ['viewer', 'clerk', 'manager'] as const) {
        await server.db.query('UPDATE memberships SET role = $2 WHERE shop_id = $1 AND role <> $3', [shopId, role, 'owner']);
        problem(await member.patch('/api/shop', { name: 'Mine now' }), 403, 'forbidden');
      }
      const changed = await owner.patch('/api/shop', { name: ' Corner shop ', currency: 'NZD', timezone: 'Pacific/Auckland' });
      assert.equal(changed.status, 200, changed.text);
      assert.equal(changed.body.shop.name, 'Corner shop');
      assert.equal(changed.body.shop.currency, 'NZD');
      assert.equal(changed.body.shop.timezone, 'Pacific/Auckland');
      const who = await member.get('/api/auth/session');
      assert.deepEqual(
        { ...who.body.shop, role: undefined },
        {
          id: shopId,
          name: 'Corner shop',
          role: undefined,
          currency: 'NZD',
          timezone: 'Pacific/Auckland',
        },
      );
      const audited = await server.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_events WHERE type = 'shop.updated' AND details->>'shopId' = $1`,
        [shopId],
      );
      assert.equal(audited.rows[0]?.n, 1);
    });

    test('validation table: bad currency, bad time zone, unknown field, bad name, empty body → 400, nothing changed', async () => {
      const { owner } = await shopWith('clerk');
      const before = (await owner.get('/api/shop')).body.shop;
      const cases: [string, unknown][] = [
        ['lower-case currency', { currency: 'eur' }],
        ['made-up currency', { currency: 'ZZZ' }],
        ['four letters', { currency: 'EURO' }],
        ['currency number', { currency: 978 }],
        ['made-up zone', { timezone: 'Mars/Olympus_Mons' }],
        ['zone offset', { timezone: '+13:00' }],
        ['lower-case utc', { timezone: 'utc' }],
        ['zone with NUL', { timezone: 'Europe/Paris\u0000' }],
        ['unknown field', { name: 'ok', owner: 'me' }],
        ['empty body', {}],
        ['blank name', { name: '   ' }],
        ['control character', { name: 'a\tb' }],
        ['requireMfa string', { requireMfa: 'yes' }],
        ['valid and invalid together', { name: 'Renamed', currency: 'XXXX' }],
      ];
      for (const [label, body] of cases) {
        const res = await owner.patch('/api/shop', body);
        assert.equal(res.status, 400, `${label}: ${res.text}`);
        assert.equal(res.body.code, 'validation', label);
        assert.ok(Array.isArray(res.body.errors) && res.body.errors.length > 0, `${label} names the field`);
      }
      assert.deepEqual((await owner.get('/api/shop')).body.shop, before, 'nothing changed');
      assert.equal((await owner.patch('/api/shop', { timezone: 'UTC', currency: 'JPY' })).status, 200, 'UTC and any ISO code are fine');
    });

    test('a currency change once any item has a price or a cost is 409; without priced items it is free', async () => {
      const { owner, shopId } = await shopWith('clerk');
      assert.equal((await owner.post('/api/items', { sku: 'FREE', name: 'No price' })).status, 201);
      assert.equal((await owner.patch('/api/shop', { currency: 'USD' })).status, 200, 'unpriced items do not hold the currency');
      const costed = await owner.post('/api/items', { sku: 'COST', name: 'Cost only', costCents: 5 });
      assert.equal(costed.status, 201);
      const refused = await owner.patch('/api/shop', { currency: 'GBP', name: 'Not renamed either' });
      problem(refused, 409, 'conflict');
      const shop = (await owner.get('/api/shop')).body.shop;
      assert.equal(shop.currency, 'USD');
      assert.notEqual(shop.name, 'Not renamed either', 'a refused PATCH changes nothing');
      assert.equal(
        (await owner.patch('/api/shop', { currency: 'USD', name: 'Same currency' })).status,
        200,
        'naming the same currency is no change',
      );
      // DELETE archives (docs/api.md "Shop floor"): an archived item keeps its cost and may be restored,
      // so it still holds the currency.
      assert.equal((await owner.delete(`/api/items/${costed.body.item.id}`)).status, 204);
      problem(await owner.patch('/api/shop', { currency: 'GBP' }), 409, 'conflict');
      assert.equal(
        (await server.db.query<{ currency: string }>('SELECT currency FROM shops WHERE id = $1', [shopId])).rows[0]?.currency,
        'USD',
      );
    });

    test('race: a currency change against many priced item creations — never a priced item after a successful change', async () => {
      for (let round = 0; round < 4; round++) {
        const { owner, shopId } = await shopWith('clerk');
        const creates = Array.from({ length: 12 }, (_, i) =>
          owner.post('/api/items', { sku: `R${round}-${i}`, name: 'raced', priceCents: 100 + i }),
        );
        const change = owner.patch('/api/shop', { currency: 'CHF' });
        const [changed, ...created] = await Promise.all([change, ...creates]);
        for (const c of created) assert.equal(c.status, 201, c.text);
        const currency = (await server.db.query<{ currency: string }>('SELECT currency FROM shops WHERE id = $1', [shopId])).rows[0]
          ?.currency;
        if (changed.status === 200) {
          // The change went first: every priced item waited for it (they are in the new currency).
          assert.equal(currency, 'CHF');
        } else {
          problem(changed, 409, 'conflict');
          assert.equal(currency, 'EUR', 'a refused change changed nothing');
        }
      }
    });

    if (backend === 'postgres') {
      test('race, held open: a priced creation in flight makes the currency change wait, then 409 (without the lock: 200 and an item priced in the old currency)', async () => {
        const { owner, shopId } = await shopWith('clerk');
        // Hold the SKU in an open transaction: the HTTP creation below takes the shop's money lock and
        // then waits on the unique index, in flight, until this transaction ends.
        let release: () => void = () => {};
        const released = new Promise<void>((r) => {
          release = r;
        });
        let held: () => void = () => {};
        const holding = new Promise<void>((r) => {
          held = r;
        });
        const blocker = server.db
          .transaction(async (tx) => {
            await tx.query(`SELECT set_config('app.shop_id', $1, true)`, [shopId]);
            await tx.query(`INSERT INTO items (shop_id, sku, sku_key, name, name_key) VALUES ($1, 'HELD', 'held', 'held', 'held')`, [
              shopId,
            ]);
            held();
            await released;
            throw new Error('rollback');
          })
          .catch(() => {});
        await holding;
        const creations = [owner.post('/api/items', { sku: 'HELD', name: 'Priced in flight', priceCents: 990 })];
        // Wait until the creation is really waiting on the held row (its lock is taken by then).
        const deadline = Date.now() + 20_000;
        for (;;) {
          const waiting = await server.db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO items%'`,
          );
          if ((waiting.rows[0]?.n ?? 0) >= 1) break;
          assert.ok(Date.now() < deadline, 'the creation never reached the held row');
          await new Promise((r) => setTimeout(r, 20));
        }
        let answered = false;
        const change = owner.patch('/api/shop', { currency: 'USD' }).then((res) => {
          answered = true;
          return res;
        });
        await new Promise((r) => setTimeout(r, 300));
        const answeredWhileHeld = answered;
        release();
        await blocker;
        const [created] = await Promise.all(creations);
        const changed = await change;
        assert.equal(created?.status, 201, created?.text);
        assert.equal(answeredWhileHeld, false, `the change answered ${changed.status} while a priced creation was in flight`);
        problem(changed, 409, 'conflict');
        assert.equal((await owner.get('/api/shop')).body.shop.currency, 'EUR');
      });
    }

    test('requireMfa: the owner needs a factor to turn it on; members without one get 403 mfa_required, can enrol, then work', async () => {
      const enrolled = await enrolledMerchant(server, clock);
      const shopId = await shopOf(enrolled.id);
      const member = new TestClient(server.url);
      const m = await member.register();
      await server.db.query(`INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, 'clerk')`, [shopId, m.id]);
      assert.equal((await member.post('/api/auth/shop', { shopId })).status, 200);
      assert.equal((await member.get('/api/items')).status, 200);

      // Without a factor of one's own, turning it on is refused (it would lock the owner out too).
      const bare = new TestClient(server.url);
      await bare.register();
      problem(await bare.patch('/api/shop', { requireMfa: true }), 400, 'validation');

      const on = await enrolled.client.patch('/api/shop', { requireMfa: true });
      assert.equal(on.status, 200, on.text);
      assert.equal(on.body.shop.requireMfa, true);
      assert.equal((await enrolled.client.get('/api/items')).status, 200, 'the owner has a factor');
      for (const path of ['/api/items', '/api/shop', '/api/inventory/summary']) problem(await member.get(path), 403, 'mfa_required');
      const who = await member.get('/api/auth/session');
      assert.equal(who.status, 200, 'still signed in');
      assert.equal(who.body.shop.id, shopId);

      const begun = await member.post('/api/me/mfa/totp');
      assert.equal(begun.status, 200, 'enrolment is open (mfa routes are `user`)');
      const { Secret } = await import('otpauth');
      const secret = Buffer.from(Secret.fromBase32(begun.body.secret).bytes);
      assert.equal((await member.post('/api/me/mfa/totp/confirm', { code: clock.nextCode(secret) })).status, 200);
      assert.equal((await member.get('/api/items')).status, 200, 'enrolled: in');
    });

    test('DELETE /api/shop: owner and password; everything of the shop goes; members stay signed in', async () => {
      const { owner, ownerId, shopId, member, memberId } = await shopWith('manager');
      const item = (await owner.post('/api/items', { sku: 'GONE', name: 'gone', quantity: 3, priceCents: 10 })).body.item;
      assert.equal((await owner.post(`/api/items/${item.id}/adjustments`, { delta: 1, reason: 'received' })).status, 201);
      await server.db.query(
        `INSERT INTO invitations (shop_id, token_hash, role, created_by, expires_at) VALUES ($1, $2, 'clerk', $3, now() + interval '7 days')`,
        [shopId, Buffer.alloc(32, 7), ownerId],
      );
      problem(await member.delete('/api/shop', { password: PASSWORD }), 403, 'forbidden');
      problem(await owner.delete('/api/shop', { password: 'not the password' }), 400, 'validation');
      problem(await owner.delete('/api/shop', {}), 400, 'validation');
      // (A stale authentication's 403 reauth_required: defences/step-up.test.ts, with the other sensitive routes.)
      assert.equal((await owner.delete('/api/shop', { password: PASSWORD })).status, 204);

      const left = await server.db.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM shops WHERE id = $1) + (SELECT count(*) FROM memberships WHERE shop_id = $1)
              + (SELECT count(*) FROM invitations WHERE shop_id = $1) AS n`,
        [shopId],
      );
      assert.equal(Number(left.rows[0]?.n), 0);
      await server.db.transaction(async (tx) => {
        await tx.query(`SELECT set_config('app.shop_id', $1, true)`, [shopId]);
        const rows = await tx.query<{ n: number }>(
          'SELECT (SELECT count(*) FROM items WHERE shop_id = $1) + (SELECT count(*) FROM movements WHERE shop_id = $1) AS n',
          [shopId],
        );
        assert.equal(Number(rows.rows[0]?.n), 0, 'items and movements gone');
      });
      const ownerNow = await owner.get('/api/auth/session');
      assert.equal(ownerNow.status, 200, 'the owner is still signed in');
      assert.equal(ownerNow.body.shop, null, 'and has no shop left');
      assert.deepEqual(ownerNow.body.shops, []);
      const memberNow = await member.get('/api/auth/session');
      assert.equal(memberNow.status, 200, 'the member is still signed in');
      assert.equal(memberNow.body.shop.id, await shopOf(memberId), 'back in their own shop');
      assert.ok(!memberNow.body.shops.some((s: { id: string }) => s.id === shopId));
    });

    test("daily totals bucket by the shop's day: Pacific/Auckland and UTC differ for the same movements", async () => {
      const { owner, shopId } = await shopWith('viewer');
      const item = (await owner.post('/api/items', { sku: 'TZ', name: 'zones', quantity: 5 })).body.item;
      // Its one movement moved to 20:00 UTC yesterday: still yesterday in UTC, already the next morning
      // in Auckland (UTC+12 or +13).
      const ledger = await server.db.transaction(async (tx) => {
        await tx.query(`SELECT set_config('app.shop_id', $1, true)`, [shopId]);
        return tx.query<{ id: string }>('SELECT id FROM movements WHERE item_id = $1', [item.id]);
      });
      const movementId = ledger.rows[0]!.id;
      const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      await server.db.query(`UPDATE movements SET created_at = ($2::text || 'T20:00:00Z')::timestamptz WHERE id = $1`, [
        movementId,
        yesterday,
      ]);
      const days = async () =>
        (await owner.get('/api/inventory/movements/daily?days=3')).body.days as { date: string; movements: number }[];
      const utc = await days();
      assert.equal(utc.find((d) => d.movements > 0)?.date, yesterday, 'UTC: yesterday');
      assert.equal((await owner.patch('/api/shop', { timezone: 'Pacific/Auckland' })).status, 200);
      const auckland = await days();
      const local = new Intl.DateTimeFormat('en-CA', { timeZone: 'Pacific/Auckland' });
      assert.equal(auckland.find((d) => d.movements > 0)?.date, local.format(new Date(`${yesterday}T20:00:00Z`)), 'Auckland: its own day');
      assert.equal(auckland.at(-1)?.date, local.format(new Date()), "the window ends on Auckland's today");
      assert.notEqual(auckland.find((d) => d.movements > 0)?.date, yesterday);
    });
  });
}
