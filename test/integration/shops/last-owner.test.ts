import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Users } from '../../../src/auth/users.js';
import { AppError } from '../../../src/errors.js';
import { keepingAnOwner, openShop, releaseShopsOf } from '../../../src/shops/shops.js';
import { uniqueUsername } from '../../support/client.js';
import { BACKENDS, openTestDb, type TestDb } from '../inventory/fixtures.js';

/*
 * "A shop always has an owner" is kept by the database (migration 010), because code alone loses this
 * race: owners demoting or removing one another at once each see the others still there. Here every
 * owner of one shop is demoted or removed at the same moment. On the PostgreSQL server the transactions
 * are made to overlap for real — each waits, after its change and before its commit, until all have
 * made theirs — so every commit check runs while all the others are in flight. Exactly one change must
 * fail (409), and one owner must be left.
 */

const OWNERS = 8;

/** Resolves once `n` callers have arrived (a barrier for transactions that must all be open at once). */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    open = resolve;
  });
  return () => {
    arrived += 1;
    if (arrived === n) open();
    return all;
  };
}

for (const backend of BACKENDS) {
  describe(`last owner (${backend})`, () => {
    let t: TestDb;
    before(async () => {
      t = await openTestDb(backend);
    });
    after(() => t.close());

    async function shopWithOwners(n: number): Promise<{ shop: string; owners: string[] }> {
      const users = new Users(t.db);
      const owners: string[] = [];
      for (let i = 0; i < n; i++) owners.push((await users.create(uniqueUsername('owner'), 'x')).id);
      const shop = await t.db.transaction(async (tx) => {
        const s = await openShop(tx, owners[0]!, 'race shop');
        for (const o of owners.slice(1))
          await tx.query(`INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, 'owner')`, [s.id, o]);
        return s.id;
      });
      return { shop, owners };
    }

    const ownersLeft = async (shop: string) =>
      Number(
        (await t.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM memberships WHERE shop_id = $1 AND role = 'owner'`, [shop]))
          .rows[0]?.n,
      );

    test(`${OWNERS} owners demoted and removed at once: exactly one change is refused, one owner is left`, async () => {
      for (let round = 0; round < 3; round++) {
        const { shop, owners } = await shopWithOwners(OWNERS);
        // PGlite runs one transaction at a time (a barrier would wait forever); the server runs them all.
        const allChanged = backend === 'postgres' ? barrier(OWNERS) : async () => {};
        const outcomes = await Promise.allSettled(
          owners.map((user, i) =>
            keepingAnOwner(t.db, async (tx) => {
              if (i % 2 === 0) await tx.query(`UPDATE memberships SET role = 'manager' WHERE shop_id = $1 AND user_id = $2`, [shop, user]);
              else await tx.query('DELETE FROM memberships WHERE shop_id = $1 AND user_id = $2', [shop, user]);
              await allChanged();
            }),
          ),
        );
        const refused = outcomes.filter((o) => o.status === 'rejected');
        assert.equal(refused.length, 1, `round ${round}: refusals`);
        const reason = (refused[0] as PromiseRejectedResult).reason;
        assert.ok(reason instanceof AppError && reason.code === 'conflict', String(reason));
        assert.equal(await ownersLeft(shop), 1, `round ${round}: owners left`);
      }
    });

    test('demoting one owner and promoting another in one transaction, in either order, commits', async () => {
      const { shop, owners } = await shopWithOwners(1);
      const [first] = owners;
      const second = (await new Users(t.db).create(uniqueUsername('member'), 'x')).id;
      await t.db.query(`INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, 'clerk')`, [shop, second]);
      await keepingAnOwner(t.db, async (tx) => {
        await tx.query(`UPDATE memberships SET role = 'viewer' WHERE shop_id = $1 AND user_id = $2`, [shop, first]);
        await tx.query(`UPDATE memberships SET role = 'owner' WHERE shop_id = $1 AND user_id = $2`, [shop, second]);
      });
      assert.equal(await ownersLeft(shop), 1);
    });

    test('a shop without an owner cannot be created, and deleting a shop takes its memberships along', async () => {
      await assert.rejects(
        keepingAnOwner(t.db, (tx) => tx.query(`INSERT INTO shops (name) VALUES ('ownerless')`)),
        (err) => err instanceof AppError && err.code === 'conflict',
      );
      const { shop } = await shopWithOwners(2);
      await t.db.query('DELETE FROM shops WHERE id = $1', [shop]);
      assert.equal(await ownersLeft(shop), 0);
    });

    test('account deletion: a shop the user alone belongs to goes; the last owner of a shared shop is refused, nothing touched', async () => {
      const {
        shop: alone,
        owners: [solo],
      } = await shopWithOwners(1);
      await keepingAnOwner(t.db, async (tx) => {
        await releaseShopsOf(tx, solo!);
        await tx.query('DELETE FROM users WHERE id = $1', [solo]);
      });
      assert.equal((await t.db.query('SELECT 1 FROM shops WHERE id = $1', [alone])).rows.length, 0);

      const {
        shop,
        owners: [owner],
      } = await shopWithOwners(1);
      const clerk = (await new Users(t.db).create(uniqueUsername('clerk'), 'x')).id;
      await t.db.query(`INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, 'clerk')`, [shop, clerk]);
      await assert.rejects(
        keepingAnOwner(t.db, async (tx) => {
          await releaseShopsOf(tx, owner!);
          await tx.query('DELETE FROM users WHERE id = $1', [owner]);
        }),
        (err) => err instanceof AppError && err.code === 'conflict',
      );
      // The database refuses it too when the code's check is skipped (the user row's cascade).
      await assert.rejects(
        keepingAnOwner(t.db, (tx) => tx.query('DELETE FROM users WHERE id = $1', [owner])),
        (err) => err instanceof AppError && err.code === 'conflict',
      );
      assert.equal(await ownersLeft(shop), 1);
      assert.equal((await t.db.query('SELECT 1 FROM users WHERE id = $1', [owner])).rows.length, 1);
    });
  });
}
