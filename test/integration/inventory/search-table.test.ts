import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { APP_ROLE, type Queryable } from '../../../src/db/db.js';
import { AppError } from '../../../src/errors.js';
import { archiveItem, createItem, getItem, restoreItem, updateItem } from '../../../src/inventory/items.js';
import { listItems } from '../../../src/inventory/list.js';
import { SEARCH } from '../../../src/inventory/search.js';
import { pgError } from '../../../src/inventory/tenant.js';
import { BACKENDS, newMerchant, openTestDb, type TestDb } from './fixtures.js';

/*
 * The search table (migration 019, docs/architecture.md "Search"): item_search is kept by a SECURITY
 * DEFINER trigger on items and read only through search_items(), which takes the shop from app.shop_id.
 * Here: the tenant wall around it (no argument names a shop, stockade_app cannot read the table), the
 * trigger under many concurrent writes, and (PostgreSQL) that the search really reads the trigram index.
 */

/** search_items() with just words, as the app role inside whatever tenant tx is in. */
const SEARCH_CALL = `SELECT item_id, relevance FROM search_items($1::text[], $2, $3, NULL, NULL, false, false, 'name', NULL, NULL, NULL, 1000)`;

const searchIds = async (tx: Queryable, words: string[]) =>
  (await tx.query<{ item_id: string }>(SEARCH_CALL, [words, words.join(' '), words.join(' ')])).rows.map((r) => r.item_id);

for (const backend of BACKENDS) {
  describe(`search table: tenant wall (${backend})`, () => {
    let t: TestDb;
    let a: string;
    let b: string;
    const aItems: string[] = [];
    before(async () => {
      t = await openTestDb(backend);
      a = await newMerchant(t.db);
      b = await newMerchant(t.db);
      for (let i = 0; i < 3; i++) {
        aItems.push((await createItem(t.db, a, { sku: `A-${i}`, name: `Canary grinder ${i}` }, { by: a })).result.item.id);
      }
      for (let i = 0; i < 5; i++) await createItem(t.db, b, { sku: `B-${i}`, name: `Canary grinder ${i}` }, { by: b });
    });
    after(() => t.close());

    test("a search in shop A returns and counts only A's items", async () => {
      const found = await t.db.tenant(a, (tx) => searchIds(tx, ['canary']));
      assert.deepEqual([...found].sort(), [...aItems].sort());
      const counted = await t.db.tenant(a, (tx) =>
        tx.query<{ n: number | string }>(`SELECT count(*) AS n FROM (${SEARCH_CALL}) s`, [['grinder'], 'grinder', 'grinder']),
      );
      assert.equal(Number(counted.rows[0]?.n), 3);
      // Typo-tolerant matches stay inside the wall too.
      assert.deepEqual((await t.db.tenant(a, (tx) => searchIds(tx, ['grindr']))).sort(), [...aItems].sort());
      const page = await listItems(t.db, a, { q: 'canary', limit: 100 });
      assert.deepEqual(page.items.map((i) => i.id).sort(), [...aItems].sort());
    });

    test('no argument names a shop: the function takes it from app.shop_id', async () => {
      const args = await t.db.query<{ types: string }>(
        `SELECT pg_get_function_identity_arguments(p.oid) AS types FROM pg_proc p WHERE p.proname = 'search_items'`,
      );
      assert.equal(args.rows.length, 1);
      assert.doesNotMatch(args.rows[0]?.types ?? '', /shop/);
      assert.equal((args.rows[0]?.types ?? '').match(/\buuid\b/g)?.length, 1, 'only the cursor id is a uuid');
    });

    test("the SQL's rules are search.ts's: word count, the typo-tolerant length, the similarity", async () => {
      const statement = async (lengths: number[]) =>
        (
          await t.db.query<{ sql: string }>(`SELECT item_search_statement($1::integer[], false, false, false, 'name', false) AS sql`, [
            lengths,
          ])
        ).rows[0]?.sql ?? '';
      const short = SEARCH.fuzzyMinLength - 1;
      assert.doesNotMatch(await statement([short]), /%>/);
      assert.match(await statement([SEARCH.fuzzyMinLength]), /%> \$1\[1\]/);
      assert.ok(await statement(Array(SEARCH.maxWords).fill(short)));
      await assert.rejects(statement(Array(SEARCH.maxWords + 1).fill(short)), (err) => pgError(err).code === '22023');
      const threshold = await t.db.tenant(a, async (tx) => {
        await tx.query(`SELECT set_config('pg_trgm.word_similarity_threshold', '0.1', true)`);
        await searchIds(tx, ['canary']);
        return (await tx.query<{ v: string }>(`SELECT current_setting('pg_trgm.word_similarity_threshold') AS v`)).rows[0]?.v;
      });
      assert.equal(Number(threshold), SEARCH.similarity);
    });

    test('with app.shop_id unset or empty, the search finds nothing', async () => {
      const unset = await t.db.transaction(async (tx) => {
        await tx.query(`SET LOCAL ROLE ${APP_ROLE}`);
        return searchIds(tx, ['canary']);
      });
      assert.deepEqual(unset, []);
      assert.deepEqual(await t.db.tenant('', (tx) => searchIds(tx, ['canary'])), []);
    });

    test('the app role cannot read or write the search table, nor build a statement for it', async () => {
      for (const sql of [
        'SELECT * FROM item_search',
        'SELECT count(*) FROM item_search',
        `UPDATE item_search SET archived = true`,
        'DELETE FROM item_search',
      ]) {
        await assert.rejects(
          t.db.tenant(a, (tx) => tx.query(sql)),
          (err) => pgError(err).code === '42501',
          sql,
        );
      }
    });
  });

  describe(`search table: the trigger under concurrent writes (${backend})`, () => {
    let t: TestDb;
    let shop: string;
    before(async () => {
      t = await openTestDb(backend);
      shop = await newMerchant(t.db);
    });
    after(() => t.close());

    /** What the search table holds for the shop, against what the items say (as the owner). */
    async function mismatches(): Promise<unknown[]> {
      const res = await t.db.transaction(async (tx) => {
        // The owner is bound by the items policy too (FORCEd): look as the tenant.
        await tx.query(`SELECT set_config('app.shop_id', $1, true)`, [shop]);
        return tx.query(
          `SELECT i.id, s.item_id FROM items i FULL JOIN item_search s ON s.item_id = i.id AND s.shop_id = i.shop_id
            WHERE (i.shop_id = $1 OR s.shop_id = $1) AND (
                  i.id IS NULL OR s.item_id IS NULL
               OR s.search_text IS DISTINCT FROM i.search_text OR s.name_key IS DISTINCT FROM i.name_key
               OR s.sku_key IS DISTINCT FROM i.sku_key OR s.archived IS DISTINCT FROM (i.archived_at IS NOT NULL)
               OR s.quantity IS DISTINCT FROM i.quantity OR s.updated_at IS DISTINCT FROM i.updated_at)`,
          [shop],
        );
      });
      return res.rows;
    }

    test('many creates, renames, archives and restores in flight leave the search table equal to the items', async () => {
      const N = 40;
      const created = await Promise.all(
        Array.from({ length: N }, (_, i) => createItem(t.db, shop, { sku: `C-${i}`, name: `Plain widget ${i}` }, { by: shop })),
      );
      const items = created.map((c) => c.result.item);
      assert.deepEqual(await mismatches(), []);
      // Renames of the even ones and archives of every third, all at once (both on some items: an archive
      // bumps the version, so a rename racing it may be a 409 and is retried on the current version).
      const rename = async (id: string, name: string): Promise<void> => {
        for (;;) {
          const { version } = await getItem(t.db, shop, id);
          try {
            await updateItem(t.db, shop, id, { version, name });
            return;
          } catch (err) {
            if (!(err instanceof AppError && err.code === 'conflict')) throw err;
          }
        }
      };
      await Promise.all(
        items.flatMap((item, i) => [
          ...(i % 2 === 0 ? [rename(item.id, `Fancy gadget ${i}`)] : []),
          ...(i % 3 === 0 ? [archiveItem(t.db, shop, item.id)] : []),
        ]),
      );
      assert.deepEqual(await mismatches(), []);
      const search = async (q: string, archived = false) => {
        const ids: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await listItems(t.db, shop, { q, archived, limit: 7, ...(cursor ? { cursor } : {}) });
          ids.push(...page.items.map((item) => item.sku));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        return ids.sort();
      };
      const skus = (pick: (i: number) => boolean) =>
        items
          .map((item, i) => [item.sku, i] as const)
          .filter(([, i]) => pick(i))
          .map(([sku]) => sku)
          .sort();
      assert.deepEqual(
        await search('gadget'),
        skus((i) => i % 2 === 0 && i % 3 !== 0),
      );
      assert.deepEqual(
        await search('widget'),
        skus((i) => i % 2 !== 0 && i % 3 !== 0),
      );
      assert.deepEqual(
        await search('gadget', true),
        skus((i) => i % 2 === 0 && i % 3 === 0),
      );
      // Restores in flight bring them back.
      await Promise.all(items.filter((_, i) => i % 3 === 0).map((item) => restoreItem(t.db, shop, item.id)));
      assert.deepEqual(await mismatches(), []);
      assert.deepEqual(
        await search('gadget'),
        skus((i) => i % 2 === 0),
      );
      assert.deepEqual(await search('gadget', true), []);
    });
  });
}

describe('search table: the search reads the trigram index (postgres)', () => {
  let t: TestDb;
  let shop: string;
  before(async () => {
    t = await openTestDb('postgres');
    shop = await newMerchant(t.db);
    const other = await newMerchant(t.db);
    // Enough rows that a sequential scan is clearly the worse plan; as the owner, tenant set.
    for (const s of [shop, other]) {
      await t.db.transaction(async (tx) => {
        await tx.query(`SELECT set_config('app.shop_id', $1, true)`, [s]);
        await tx.query(
          `INSERT INTO items (shop_id, sku, sku_key, name, name_key, description)
           SELECT $1, 'S-' || g, 's-' || g, 'Item ' || md5(g::text), 'item ' || md5(g::text), 'about ' || md5((g * 7)::text)
             FROM generate_series(1, 10000) AS g`,
          [s],
        );
      });
    }
    await t.db.query('ANALYZE item_search');
  });
  after(() => t.close());

  test('EXPLAIN of the search statement shows a bitmap scan of item_search_trgm, substring and typo alike', async () => {
    for (const words of [['ethiopia'], ['ab12', 'shelf'], ['50%']]) {
      const plan = await t.db.transaction(async (tx) => {
        const statement = await tx.query<{ sql: string }>(
          `SELECT item_search_statement($1::integer[], false, false, false, 'name', false) AS sql`,
          [words.map((w) => [...w].length)],
        );
        await tx.query(`SELECT set_config('pg_trgm.word_similarity_threshold', '0.6', true)`);
        await tx.query(
          `PREPARE search_plan (text[], text[], text[], text, text, uuid, boolean, text, text, integer, text, uuid, integer) AS ${statement.rows[0]?.sql}`,
        );
        let failed: unknown;
        try {
          // EXPLAIN EXECUTE is a utility statement: it takes no bind parameters, so the values are
          // written as literals (our own constants, quoted).
          const literal = (v: string) => `'${v.replaceAll("'", "''")}'`;
          const array = (vs: string[]) => `ARRAY[${vs.map(literal).join(', ')}]::text[]`;
          const escaped = words.map((w) => w.replace(/[\\%_]/g, (c) => `\\${c}`));
          const args = [
            array(words),
            array(escaped.map((w) => `%${w}%`)),
            array(escaped.map((w) => `${w}%`)),
            literal(words.join(' ')),
            literal(words.join(' ')),
            `${literal(shop)}::uuid`,
            'false, NULL, NULL, NULL, NULL, NULL, 51',
          ];
          const res = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE search_plan (${args.join(', ')})`);
          return res.rows.map((r) => r['QUERY PLAN']).join('\n');
        } catch (err) {
          failed = err;
          throw err;
        } finally {
          // A prepared statement outlives the transaction on this pooled connection (unless it failed:
          // then the rollback is all there is to do, and the error above is the one to see).
          if (failed === undefined) await tx.query('DEALLOCATE search_plan');
        }
      });
      assert.match(plan, /Bitmap Index Scan on item_search_trgm/, `${words.join(' ')}:\n${plan}`);
      assert.doesNotMatch(plan, /Seq Scan/, `${words.join(' ')}:\n${plan}`);
    }
  });
});
