// Search at 100,000 items (issue 17): loads one shop with 100,000 items into a PostgreSQL 15 server and
// times the very query GET /api/items?q= runs (src/inventory/list.ts through the Db interface, as the
// non-owner role behind row-level security), for typical queries. Writes bench/results/search-<date>.md.
//
//   node --import tsx bench/search.mjs                 # a throwaway PostgreSQL 15 (bench/lib/services.mjs)
//   node --import tsx bench/search.mjs --url=postgres://user@host/db   # an existing, empty database
//   --items=N (default 100000) --runs=N (default 30)
//
// The budget is 50 ms per query (median) on PostgreSQL. Not part of `npm run bench`: it measures one
// query's latency, not a stack under load, and takes about a minute.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from '../src/db/migrate.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { listItems } from '../src/inventory/list.ts';
import { cpuModel, installCleanup } from './lib/proc.mjs';
import { startPostgres } from './lib/services.mjs';
import { median, percentile } from './lib/stats.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const ITEMS = Number(args.items ?? 100_000);
const RUNS = Number(args.runs ?? 30);
const BUDGET_MS = 50;
// `shelf` is in every item (each description and location): the worst case for ranking and paging.
const QUERIES = ['ethiopa', 'aero press', 'grinder', 'bolt m6', 'yirgachefe', 'shelf a1', 'group7', '50%', '2000000012', 'SKU-4711', 'shelf'];

installCleanup();
const pg = args.url ? undefined : await startPostgres();
const url = args.url ?? pg.createDb('search_bench');
const db = openPostgres(url, { max: 4 });
try {
  await migrate(db);
  const shop = await db.transaction(async (tx) => {
    const user = await tx.query(
      `INSERT INTO users (username, username_key, password_hash, role) VALUES ('bench', 'bench', 'x', 'merchant') RETURNING id`,
    );
    const s = await tx.query(`INSERT INTO shops (name) VALUES ('bench shop') RETURNING id`);
    await tx.query(`INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, 'owner')`, [s.rows[0].id, user.rows[0].id]);
    return s.rows[0].id;
  });
  // Synthetic but shop-like: a vocabulary of 5,000 made-up words (so each word is in a few dozen items,
  // as in a real catalogue), and one item in 100 named from 45 real words (coffee, hardware, kitchen:
  // each real word then in ~50-150 items); 234 shelf locations "Shelf A1".."Shelf Z9"; two tags;
  // a one-sentence description; a barcode on every second item.
  const started = Date.now();
  await db.query(
    `WITH real AS (
       SELECT ARRAY['coffee','ethiopia','kenya','colombia','aeropress','grinder','filter','papers','kettle','scale',
                    'bolt','nut','washer','screw','hinge','bracket','mug','cup','tea','sencha','matcha','jar','lid',
                    'rack','hook','rope','glove','brush','sponge','soap','candle','lamp','bulb','cable','plug',
                    'yirgacheffe','washed','natural','honey','espresso','decaf','organic','steel','brass','oak'] AS w
     ), g AS (
       SELECT g, CASE WHEN g % 100 = 0 THEN NULL ELSE 1 END AS made_up FROM generate_series(1, $2) AS g
     ), named AS (
       SELECT g.g,
              CASE WHEN made_up IS NULL THEN w[1 + (g / 100) % 45] || ' ' || w[1 + (g / 4500) % 45]
                   ELSE translate(substr(md5(((g::bigint * 7919) % 5000)::text), 1, 7), '0123456789', 'ghijklmnop') || ' ' ||
                        translate(substr(md5(((g::bigint * 104729) % 5000)::text), 1, 6), '0123456789', 'qrstuvwxyz') END AS name,
              translate(substr(md5(((g::bigint * 31) % 5000)::text), 2, 8), '0123456789', 'abcdefghij') AS d1,
              translate(substr(md5(((g::bigint * 37) % 5000)::text), 3, 6), '0123456789', 'klmnopqrst') AS d2,
              translate(substr(md5(((g::bigint * 41) % 5000)::text), 4, 5), '0123456789', 'uvwxyzabcd') AS t1
       FROM g, real
     )
     INSERT INTO items (shop_id, sku, sku_key, name, name_key, description, quantity, price_cents, cost_cents,
                        location, tags, barcode)
     SELECT $1, 'SKU-' || g, 'sku-' || g, initcap(name) || ' M' || (g % 12), name || ' m' || (g % 12),
            'A ' || d1 || ' for the ' || d2 || ' shelf, size ' || (g % 12),
            g % 50, 100 + g % 900, 50 + g % 400,
            'Shelf ' || chr(65 + g % 26) || (1 + (g / 26) % 9),
            ARRAY[t1, 'group' || (g % 40)],
            CASE WHEN g % 2 = 0 THEN '2' || lpad(g::text, 12, '0') END
     FROM named`,
    [shop, ITEMS],
  );
  await db.query('ANALYZE items');
  const loadSeconds = (Date.now() - started) / 1000;

  const rows = [];
  for (const q of QUERIES) {
    for (let i = 0; i < 3; i++) await listItems(db, shop, { q, limit: 50 }); // warm the cache and the plan
    const times = [];
    let found = 0;
    for (let i = 0; i < RUNS; i++) {
      const t0 = process.hrtime.bigint();
      const page = await listItems(db, shop, { q, limit: 50 });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      found = page.items.length;
    }
    rows.push({ q, found, median: median(times), p95: percentile(times, 95) });
  }
  const plans = [];
  if (args.explain) {
    // The plan of what search_items() executes for each query: the statement item_search_statement()
    // builds, prepared with the parameters listItems passed (captured), run as the owner like the function.
    for (const q of QUERIES) {
      let captured;
      const spy = { ...db, tenant: (id, fn) => db.tenant(id, (tx) => fn({ query: (sql, params) => ((captured = params), tx.query(sql, params)) })) };
      await listItems(spy, shop, { q, limit: 50 });
      const [, words, folded, raw, location, tag, archived, lowStock, sort, afterRelevance, , , rows] = captured;
      const plan = await db.transaction(async (tx) => {
        const statement = await tx.query(`SELECT item_search_statement($1::integer[], $2, $3, $4, $5, $6) AS sql`, [
          words.map((w) => [...w].length), location !== null, tag !== null, lowStock, sort, afterRelevance !== null,
        ]);
        await tx.query(`SELECT set_config('pg_trgm.word_similarity_threshold', '0.6', true)`);
        await tx.query(`PREPARE bench_search (text[], text[], text[], text, text, uuid, boolean, text, text, integer, text, uuid, integer) AS ${statement.rows[0].sql}`);
        const literal = (v) => (v === null ? 'NULL' : `'${String(v).replaceAll("'", "''")}'`);
        const escape = (w) => w.replace(/[\\%_]/g, (c) => `\\${c}`);
        const array = (vs) => `ARRAY[${vs.map(literal).join(', ')}]::text[]`;
        const res = await tx.query(
          `EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_search (${[array(words), array(words.map((w) => `%${escape(w)}%`)), array(words.map((w) => `${escape(w)}%`)), literal(folded), literal(raw), `${literal(shop)}::uuid`, archived, literal(location), literal(tag), 'NULL', 'NULL', 'NULL', rows].join(', ')})`,
        );
        await tx.query('DEALLOCATE bench_search');
        return res.rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      plans.push(`--- \`${q}\`\n${plan}`);
      console.log(plans.at(-1));
    }
  }
  const version = (await db.query('SHOW server_version')).rows[0].server_version;
  const lines = [
    `# Search at ${ITEMS.toLocaleString('en')} items — ${new Date().toISOString().slice(0, 10)}`,
    '',
    `PostgreSQL ${version}; ${cpuModel()}; one shop of ${ITEMS} items (loaded in ${loadSeconds.toFixed(1)} s);`,
    `each query ${RUNS} times after 3 warm-ups, timed around listItems (the route's query, as stockade_app`,
    `behind row-level security, including the round trip). Budget: median under ${BUDGET_MS} ms.`,
    '',
    '| q | items on the first page (limit 50) | median ms | p95 ms | budget |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) => `| \`${r.q}\` | ${r.found} | ${r.median.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.median < BUDGET_MS ? 'PASS' : 'MISS'} |`,
    ),
    '',
    ...(plans.length > 0 ? ['## Plans (`--explain=1`: what search_items() executes, EXPLAIN ANALYZE)', '', '```', ...plans, '```', ''] : []),
  ];
  const out = join(fileURLToPath(new URL('./results/', import.meta.url)), `search-${new Date().toISOString().slice(0, 10)}.md`);
  writeFileSync(out, lines.join('\n'));
  console.log(lines.join('\n'));
  console.log(`written to ${out}`);
} finally {
  await db.close();
  await pg?.stop();
}
