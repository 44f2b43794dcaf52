import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Db } from '../../../src/db/db.js';
import { loadMigrations, migrate } from '../../../src/db/migrate.js';
import { openPglite } from '../../../src/db/pglite.js';
import { openPostgres } from '../../../src/db/postgres.js';
import { listItems } from '../../../src/inventory/list.js';
import { adjustStock, listMovements } from '../../../src/inventory/movements.js';
import { testDatabaseUrl, uniqueName } from '../../support/test-databases.js';

/*
 * Migration 010 (shops) on a database filled through migrations 001–009 with real rows, as the old
 * schema had them: every merchant becomes the owner of "USERNAME's shop" holding all their items,
 * movements and idempotency records; their live sessions get that shop as active; no row is lost or
 * changed but for its key. On PGlite, and on a PostgreSQL server as an ordinary owner that does not
 * bypass row-level security (the deployment of docs/operations.md) — where a migration that forgot RLS
 * is FORCEd on the owner too would move no row at all.
 */

const OLD = loadMigrations().filter((m) => m.version <= 9);
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$unused$unused';

interface Opened {
  db: Db;
  close(): Promise<void>;
}

async function openOld(backend: 'pglite' | 'postgres'): Promise<Opened> {
  if (backend === 'pglite') {
    const db = await openPglite(undefined);
    return { db, close: () => db.close() };
  }
  const admin = new pg.Client({ connectionString: testDatabaseUrl() });
  await admin.connect();
  const role = uniqueName('stockade_owner');
  const name = uniqueName();
  try {
    await admin.query(
      `DO $$ BEGIN CREATE ROLE stockade_app NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`,
    );
    await admin.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOBYPASSRLS`);
    await admin.query(`GRANT stockade_app TO ${role}`);
    await admin.query(`CREATE DATABASE ${name} OWNER ${role}`);
  } finally {
    await admin.end();
  }
  const url = new URL(testDatabaseUrl());
  url.username = role;
  url.password = '';
  url.pathname = `/${name}`;
  const db = openPostgres(url.toString(), { max: 4 });
  return {
    db,
    async close() {
      await db.close();
      const a = new pg.Client({ connectionString: testDatabaseUrl() });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await a.query(`DROP ROLE IF EXISTS ${role}`);
      } finally {
        await a.end();
      }
    },
  };
}

/** A user of the old schema, as 001 stored them. */
async function oldUser(db: Db, username: string, role: 'merchant' | 'admin'): Promise<string> {
  const res = await db.query<{ id: string }>(
    'INSERT INTO users (username, username_key, password_hash, role) VALUES ($1, $1, $2, $3) RETURNING id',
    [username, HASH, role],
  );
  return res.rows[0]!.id;
}

async function oldSession(db: Db, userId: string, n: number): Promise<Buffer> {
  const hash = Buffer.alloc(32, n);
  await db.query(
    `INSERT INTO sessions (id_hash, public_id, user_id, created_at, last_seen_at, authenticated_at, idle_expires_at,
       absolute_expires_at, remember, user_agent, ip)
     VALUES ($1, $2, $3, now(), now(), now(), now() + interval '1 hour', now() + interval '1 day', false, 'Firefox on Linux', '10.0.0.0/24')`,
    [hash, `pub${n}`.padEnd(16, 'x'), userId],
  );
  return hash;
}

/** What the old code wrote: an item, then its ledger rows through the tenant (RLS) path of 002. */
async function oldStock(db: Db, merchant: string, sku: string, moves: number[]): Promise<string> {
  return db.transaction(async (tx) => {
    await tx.query('SET LOCAL ROLE stockade_app');
    await tx.query(`SELECT set_config('app.merchant_id', $1, true)`, [merchant]);
    const item = await tx.query<{ id: string }>(
      `INSERT INTO items (merchant_id, sku, sku_key, name, name_key, quantity, cost_cents, tags)
       VALUES ($1, $2, lower($2), $2 || ' name', lower($2) || ' name', 0, 150, '{a,b}') RETURNING id`,
      [merchant, sku],
    );
    const id = item.rows[0]!.id;
    let q = 0;
    for (const d of moves) {
      q += d;
      await tx.query('UPDATE items SET quantity = $3 WHERE merchant_id = $1 AND id = $2', [merchant, id, q]);
      await tx.query(
        `INSERT INTO movements (merchant_id, item_id, delta, quantity_after, reason, created_by) VALUES ($1, $2, $3, $4, 'received', $1)`,
        [merchant, id, d, q],
      );
    }
    return id;
  });
}

async function oldIdempotency(db: Db, merchant: string, key: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SET LOCAL ROLE stockade_app');
    await tx.query(`SELECT set_config('app.merchant_id', $1, true)`, [merchant]);
    await tx.query(`INSERT INTO idempotency_keys (merchant_id, key, request_hash, response) VALUES ($1, $2, 'h', '{"ok":true}')`, [
      merchant,
      key,
    ]);
  });
}

/** Every row of a tenant table with its key column left out: what must survive unchanged. */
async function rowsWithout(db: Db, table: string, key: string): Promise<Map<string, string>> {
  // The owner may not bypass RLS (the server case): read with it off, in a transaction rolled back.
  const out = new Map<string, string>();
  await db
    .transaction(async (tx) => {
      await tx.query(`ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`);
      const res = await tx.query<{ k: string; owner: string; row: string }>(
        `SELECT ${table === 'idempotency_keys' ? 'key' : 'id::text'} AS k, ${key}::text AS owner, (to_jsonb(t) - '${key}')::text AS row
           FROM ${table} t`,
      );
      for (const r of res.rows) out.set(r.k, `${r.owner}|${r.row}`);
      throw new Rollback();
    })
    .catch((err) => {
      if (!(err instanceof Rollback)) throw err;
    });
  return out;
}
class Rollback extends Error {}

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`migration 010: merchants become shop owners (${backend})`, () => {
    let o: Opened;
    let db: Db;
    const ids: Record<string, string> = {};
    const sessions: Record<string, Buffer> = {};
    const old: Record<string, Map<string, string>> = {};

    before(async () => {
      o = await openOld(backend);
      db = o.db;
      await migrate(db, OLD);
      ids.alice = await oldUser(db, 'alice', 'merchant');
      ids.bob = await oldUser(db, 'bob', 'merchant');
      ids.carol = await oldUser(db, 'carol', 'merchant'); // no stock yet: still gets a shop
      ids.dave = await oldUser(db, 'dave', 'admin'); // never a merchant: no shop
      ids.erin = await oldUser(db, 'erin', 'merchant'); // has stock, then promoted: the shop lies dormant
      await oldStock(db, ids.alice, 'A-1', [5, -2, 7]);
      await oldStock(db, ids.alice, 'A-2', [1]);
      await oldStock(db, ids.alice, 'SAME', [3, 3]);
      await oldStock(db, ids.bob, 'SAME', [9]); // one SKU in two tenants
      await oldStock(db, ids.erin, 'E-1', [2]);
      await db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [ids.erin]);
      await oldIdempotency(db, ids.alice, 'alice-key-1');
      await oldIdempotency(db, ids.alice, 'alice-key-2');
      await oldIdempotency(db, ids.bob, 'bob-key-1');
      sessions.alice1 = await oldSession(db, ids.alice, 1);
      sessions.alice2 = await oldSession(db, ids.alice, 2);
      sessions.bob = await oldSession(db, ids.bob, 3);
      sessions.dave = await oldSession(db, ids.dave, 4);
      for (const t of ['items', 'movements', 'idempotency_keys']) old[t] = await rowsWithout(db, t, 'merchant_id');
      assert.equal(old.items?.size, 5);
      assert.equal(old.movements?.size, 8);
      assert.equal(old.idempotency_keys?.size, 3);

      await migrate(db);
    });
    after(() => o?.close());

    const shopOf = async (user: string) =>
      (
        await db.query<{ shop_id: string; role: string; name: string }>(
          'SELECT m.shop_id, m.role, s.name FROM memberships m JOIN shops s ON s.id = m.shop_id WHERE m.user_id = $1',
          [user],
        )
      ).rows;

    test('each merchant (and the promoted one with stock) owns one new shop named after them; the admin none', async () => {
      for (const name of ['alice', 'bob', 'carol', 'erin']) {
        const rows = await shopOf(ids[name]!);
        assert.equal(rows.length, 1, name);
        assert.equal(rows[0]?.role, 'owner');
        assert.equal(rows[0]?.name, `${name}'s shop`);
        assert.notEqual(rows[0]?.shop_id, ids[name], 'a new id, not the user id');
      }
      assert.deepEqual(await shopOf(ids.dave!), []);
      const shops = await db.query<{ currency: string; timezone: string; require_mfa: boolean }>('SELECT * FROM shops');
      assert.equal(shops.rows.length, 4);
      assert.ok(shops.rows.every((s) => s.currency === 'EUR' && s.timezone === 'UTC' && s.require_mfa === false));
    });

    test('no row lost or changed: every item, movement and idempotency record is now in its owner’s shop', async () => {
      const shopByUser = new Map<string, string>();
      for (const name of ['alice', 'bob', 'carol', 'erin']) shopByUser.set(ids[name]!, (await shopOf(ids[name]!))[0]!.shop_id);
      for (const t of ['items', 'movements', 'idempotency_keys']) {
        const now = await rowsWithout(db, t, 'shop_id');
        const was = old[t]!;
        assert.equal(now.size, was.size, `${t}: rows`);
        for (const [k, v] of was) {
          const [owner, row] = v.split(/\|(.*)/s);
          // Columns that later migrations add (017: barcode, archived_at, search_text) are not this
          // migration's business: compare the columns the row had before it.
          const [nowOwner, nowRow] = (now.get(k) ?? '').split(/\|(.*)/s);
          const before = JSON.parse(row!) as Record<string, unknown>;
          const after = JSON.parse(nowRow ?? '{}') as Record<string, unknown>;
          const kept = Object.fromEntries(Object.keys(before).map((c) => [c, after[c]]));
          assert.equal(`${nowOwner}|${JSON.stringify(kept)}`, `${shopByUser.get(owner!)}|${JSON.stringify(before)}`, `${t} ${k}`);
        }
      }
    });

    test('live sessions have their user’s shop as active; the admin’s has none', async () => {
      const active = async (h: Buffer) =>
        (await db.query<{ active_shop_id: string | null }>('SELECT active_shop_id FROM sessions WHERE id_hash = $1', [h])).rows[0]
          ?.active_shop_id;
      const alice = (await shopOf(ids.alice!))[0]!.shop_id;
      assert.equal(await active(sessions.alice1!), alice);
      assert.equal(await active(sessions.alice2!), alice);
      assert.equal(await active(sessions.bob!), (await shopOf(ids.bob!))[0]!.shop_id);
      assert.equal(await active(sessions.dave!), null);
    });

    test('the new code reads and writes the migrated rows through the shop, behind row-level security', async () => {
      const alice = (await shopOf(ids.alice!))[0]!.shop_id;
      const bob = (await shopOf(ids.bob!))[0]!.shop_id;
      const page = await listItems(db, alice, {});
      assert.deepEqual(page.items.map((i) => i.sku).sort(), ['A-1', 'A-2', 'SAME']);
      const a1 = page.items.find((i) => i.sku === 'A-1')!;
      assert.equal(a1.quantity, 10);
      const history = await listMovements(db, alice, a1.id, {});
      assert.deepEqual(
        history.movements.map((m) => m.delta),
        [7, -2, 5],
      );
      const moved = await adjustStock(db, alice, a1.id, { delta: -1, reason: 'sold' }, { by: ids.alice! });
      assert.equal(moved.result.item.quantity, 9);
      assert.deepEqual(
        (await listItems(db, bob, {})).items.map((i) => [i.sku, i.quantity]),
        [['SAME', 9]],
      );
      // The second wall keys on the shop now: an unscoped read inside bob's shop sees bob's rows only.
      const seen = await db.tenant(bob, (tx) => tx.query<{ shop_id: string }>('SELECT shop_id FROM items'));
      assert.deepEqual(
        seen.rows.map((r) => r.shop_id),
        [bob],
      );
      const none = await db.tenant(ids.bob!, (tx) => tx.query('SELECT 1 FROM items'));
      assert.equal(none.rows.length, 0, 'the old tenant key (a user id) names no shop');
    });

    test('the database keeps an owner: removing the only owner’s membership does not commit', async () => {
      const carol = (await shopOf(ids.carol!))[0]!.shop_id;
      await assert.rejects(
        db.transaction((tx) => tx.query('DELETE FROM memberships WHERE shop_id = $1', [carol])),
        (err: { code?: string }) => err.code === '23514',
      );
      assert.equal((await shopOf(ids.carol!)).length, 1);
    });
  });
}
