import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BACKENDS, newMerchant, openTestDb, type TestDb } from './fixtures.js';

/*
 * search_items() takes shortcuts (migration 019: a one-word query ranks its substring matches first and
 * scores typo matches only when a page is not filled by them). Here every page it returns, paged to the
 * end with keyset cursors, is compared with a plain reference query over item_search that applies the
 * rules of src/inventory/search.ts literally (every matching row scored, similarity computed for all),
 * on a few thousand generated items and broad queries: a word in every item, a typo of every tag,
 * thousands of similar barcodes.
 */

const ITEMS = 2000;
const PAGE = 47;
const QUERIES = [
  'group7',
  'shelf',
  'grinder',
  'grindr',
  'ethiopa',
  '2000000012',
  'sku-12',
  'sku-1234',
  'shelf a1',
  'kenya coffee',
  'mug',
  'm6',
  'gruop',
];
const SORTS = { name: 'name_key::text', quantity: 'quantity::text', '-updatedAt': 'updated_at::text' } as const;

const escapeLike = (w: string) => w.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The rules, computed for every row without a shortcut: (item id, relevance, sort key) best first. */
function referenceSql(words: string[], sort: keyof typeof SORTS): string {
  const cond = words.map((_, i) =>
    words[i] && words[i].length >= 4
      ? `(search_text LIKE p.c[${i + 1}] ESCAPE '\\' OR word_similarity(p.w[${i + 1}], search_text) >= 0.6)`
      : `search_text LIKE p.c[${i + 1}] ESCAPE '\\'`,
  );
  const terms = words.map(
    (_, i) =>
      `CASE WHEN sku_key = p.w[${i + 1}] THEN 50000 ELSE 0 END + CASE WHEN sku_key LIKE p.x[${i + 1}] ESCAPE '\\' THEN 10000 ELSE 0 END` +
      ` + CASE WHEN name_key LIKE p.c[${i + 1}] ESCAPE '\\' THEN 4000 ELSE 0 END` +
      ` + CASE WHEN search_text LIKE p.c[${i + 1}] ESCAPE '\\' THEN 3000 ELSE round(word_similarity(p.w[${i + 1}], search_text) * 1000)::integer END`,
  );
  const dir = sort === '-updatedAt' ? ' DESC' : '';
  const key = { name: 'name_key', quantity: 'quantity', '-updatedAt': 'updated_at' }[sort];
  // The parameters typed once (a bare $1[1] has no type to subscript).
  return `WITH p AS (SELECT $1::text[] AS w, $2::text[] AS c, $3::text[] AS x, $4::text AS qf, $5::text AS qr, $6::uuid AS shop)
          SELECT item_id, relevance, k FROM (
            SELECT item_id, ${key} AS ko, ${SORTS[sort]} AS k,
                   CASE WHEN sku_key = p.qf OR barcode = p.qr THEN 1000000 ELSE 0 END + ${terms.join(' + ')} AS relevance
              FROM item_search, p WHERE shop_id = p.shop AND NOT archived AND ${cond.join(' AND ')}) r
           ORDER BY relevance DESC, ko${dir}, item_id${dir}`;
}

for (const backend of BACKENDS) {
  describe(`search_items() pages equal the plain reference (${backend})`, () => {
    let t: TestDb;
    let shop: string;
    before(async () => {
      t = await openTestDb(backend);
      shop = await newMerchant(t.db);
      await t.db.tenant(shop, (tx) =>
        tx.query(
          `INSERT INTO items (shop_id, sku, sku_key, name, name_key, description, quantity, price_cents, cost_cents, location, tags, barcode)
           SELECT $1, 'SKU-' || g, 'sku-' || g,
                  (ARRAY['Grinder','Grindr stand','Kenya coffee','Ethiopia','Mug','Bolt M6','Shelf rack'])[1 + g % 7] || ' ' || g % 13,
                  lower((ARRAY['Grinder','Grindr stand','Kenya coffee','Ethiopia','Mug','Bolt M6','Shelf rack'])[1 + g % 7] || ' ' || g % 13),
                  'A thing for the shelf, size ' || (g % 12), g % 50, 100, 50,
                  'Shelf ' || chr(65 + g % 26) || (1 + (g / 26) % 9),
                  ARRAY['group' || (g % 40)],
                  CASE WHEN g % 2 = 0 THEN '2' || lpad(g::text, 9, '0') END
             FROM generate_series(1, $2::integer) AS g`,
          [shop, ITEMS],
        ),
      );
      // Some archived and some later edits, so updated_at and the archived filter vary.
      await t.db.tenant(shop, (tx) => tx.query(`UPDATE items SET quantity = quantity + 1 WHERE sku_key LIKE 'sku-1%'`));
    });
    after(() => t.close());

    for (const q of QUERIES) {
      test(`"${q}", every sort and page: same ids, same relevance, same order`, async () => {
        let compared = 0;
        const words = [...new Set(q.split(' '))];
        const params = [words, words.map((w) => `%${escapeLike(w)}%`), words.map((w) => `${escapeLike(w)}%`), q, q, shop];
        for (const sort of Object.keys(SORTS) as (keyof typeof SORTS)[]) {
          const reference = (await t.db.query<{ item_id: string; relevance: number; k: string }>(referenceSql(words, sort), params)).rows;
          const got: { item_id: string; relevance: number }[] = [];
          let cursor: { relevance: number; key: string; id: string } | undefined;
          for (let pages = 0; pages < 200; pages++) {
            const page = await t.db.tenant(shop, (tx) =>
              tx.query<{ item_id: string; relevance: number }>(
                `SELECT item_id, relevance FROM search_items($1::text[], $2, $3, NULL, NULL, false, false, $4, $5, $6, $7::uuid, $8)`,
                [words, q, q, sort, cursor?.relevance ?? null, cursor?.key ?? null, cursor?.id ?? null, PAGE],
              ),
            );
            assert.ok(page.rows.length <= PAGE, `${q} ${sort}: a page of ${page.rows.length} rows, asked for ${PAGE}`);
            got.push(...page.rows);
            if (page.rows.length < PAGE) break;
            const last = page.rows[page.rows.length - 1];
            const ref = reference[got.length - 1];
            assert.ok(last && ref, `${q} ${sort}: more rows than the reference`);
            cursor = { relevance: last.relevance, key: ref.k, id: last.item_id };
          }
          assert.deepEqual(
            got.map((r) => `${r.item_id} ${r.relevance}`),
            reference.map((r) => `${r.item_id} ${r.relevance}`),
            `${q} sorted by ${sort}`,
          );
          compared += reference.length;
        }
        assert.ok(q === 'gruop' || compared > 0, `"${q}" found nothing`);
      });
    }
  });
}
