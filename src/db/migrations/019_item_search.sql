-- Search that reads its index under the tenant wall (issue 17; bench/results/search-2026-12-03.md).
--
-- Why a table of its own: items has FORCEd row-level security, and its policy is a security barrier.
-- PostgreSQL moves a condition into an index scan ahead of the policy only if its operator is LEAKPROOF,
-- and neither LIKE nor pg_trgm's %> is (only a superuser can mark them so), so a search on items was a
-- sequential scan computing similarity for every row of the shop (0.2–9 s at 100,000 items). The search
-- now runs on item_search, which has no policy in the way, and the wall moves into the one function
-- that reads it: search_items() takes the shop from app.shop_id (set by Db.tenant), never from an
-- argument, and returns only ids and relevance. The items themselves are then read by id (leakproof
-- equality, an index) behind the items policy, as every other read.
--
-- stockade_app has no privilege on item_search (and RLS is enabled with no policy: deny, should a
-- grant ever slip in); only the owner reads and writes it, through the two SECURITY DEFINER functions
-- below (both with a pinned search_path, so no object a caller creates can stand in for ours).

CREATE TABLE item_search (
  shop_id      uuid NOT NULL,
  item_id      uuid NOT NULL,
  -- Copies of items.search_text/sku_key/name_key/barcode: what the word tests and relevance read.
  search_text  text COLLATE "C" NOT NULL,
  sku_key      text COLLATE "C" NOT NULL,
  name_key     text COLLATE "C" NOT NULL,
  barcode      text,
  -- The filters, pre-folded: lower(location), and lower() of each tag.
  location_key text,
  tag_keys     text[] NOT NULL,
  archived     boolean NOT NULL,
  low_stock    boolean NOT NULL,
  -- Sort keys, so the function orders and pages by itself and returns one page of ids, whatever the
  -- number of matches: a common word in 50,000 items never ships 50,000 ids to a join with items.
  quantity     integer NOT NULL,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (shop_id, item_id)
);
-- LIKE '%word%' and %> alike (the trigram index items had, which RLS kept from being used). GIN's
-- pending list (fastupdate) is kept but small: new entries wait there unsorted, and every search reads
-- all of it, which the planner prices in too — at the default 4 MB it preferred reading the whole shop
-- (seen in test/integration/inventory/search-table.test.ts). Without it (fastupdate off), a 10,000-row
-- import of long descriptions took twice as long. 256 kB bounds what a search reads extra.
CREATE INDEX item_search_trgm ON item_search USING gin (search_text gin_trgm_ops) WITH (gin_pending_list_limit = 256);
ALTER TABLE item_search ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON item_search FROM PUBLIC;
DROP INDEX items_search_trgm;

-- ---------------------------------------------------------------------------------------------------
-- The triggers: every write to items (the app as stockade_app, CSV imports, an import's undo, counts,
-- a shop's deletion cascading) rewrites the items' rows here in the same statement's transaction, so the
-- search table can never disagree with a committed item. They run as the owner (stockade_app cannot
-- write the table). Concurrent writers of one item are already serialised by its row lock on items.
-- Statement-level, over the statement's transition tables: a 10,000-row import is one INSERT … SELECT
-- here, not 10,000 calls (row-level, the trigger cost five times the import itself).
CREATE FUNCTION item_search_sync() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
AS $$
BEGIN
  -- (PL/pgSQL plans a statement when it first runs it: each names only the transition tables its event has.)
  IF TG_OP = 'DELETE' THEN
    DELETE FROM item_search s USING old_items o WHERE s.shop_id = o.shop_id AND s.item_id = o.id;
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    -- Should an UPDATE ever change an item's key, its row under the old key goes.
    DELETE FROM item_search s USING old_items o
     WHERE s.shop_id = o.shop_id AND s.item_id = o.id
       AND NOT EXISTS (SELECT 1 FROM new_items n WHERE n.shop_id = o.shop_id AND n.id = o.id);
  END IF;
  INSERT INTO item_search AS s (shop_id, item_id, search_text, sku_key, name_key, barcode, location_key, tag_keys,
                                archived, low_stock, quantity, updated_at)
  SELECT n.shop_id, n.id, n.search_text, n.sku_key, n.name_key, n.barcode, lower(n.location),
         ARRAY(SELECT lower(t) FROM unnest(n.tags) AS t), n.archived_at IS NOT NULL,
         n.quantity <= n.low_stock_threshold, n.quantity, n.updated_at
    FROM new_items n
  ON CONFLICT (shop_id, item_id) DO UPDATE SET
    search_text = EXCLUDED.search_text, sku_key = EXCLUDED.sku_key, name_key = EXCLUDED.name_key,
    barcode = EXCLUDED.barcode, location_key = EXCLUDED.location_key, tag_keys = EXCLUDED.tag_keys,
    archived = EXCLUDED.archived, low_stock = EXCLUDED.low_stock, quantity = EXCLUDED.quantity,
    updated_at = EXCLUDED.updated_at;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION item_search_sync() FROM PUBLIC;
-- A trigger with transition tables has one event each; the function reads only the tables it has.
CREATE TRIGGER items_search_insert AFTER INSERT ON items REFERENCING NEW TABLE AS new_items
  FOR EACH STATEMENT EXECUTE FUNCTION item_search_sync();
CREATE TRIGGER items_search_update AFTER UPDATE ON items REFERENCING OLD TABLE AS old_items NEW TABLE AS new_items
  FOR EACH STATEMENT EXECUTE FUNCTION item_search_sync();
CREATE TRIGGER items_search_delete AFTER DELETE ON items REFERENCING OLD TABLE AS old_items
  FOR EACH STATEMENT EXECUTE FUNCTION item_search_sync();

-- ---------------------------------------------------------------------------------------------------
-- The statement a search runs (src/inventory/search.ts documents the rules and the relevance scale).
-- Built from fixed fragments and parameter numbers only: its inputs are the words' lengths (which
-- decide whether a word may match by similarity) and which filters, sort and cursor are present, never
-- a word itself, so no client text can reach SQL. A function of its own so tests and the benchmark can
-- EXPLAIN exactly what search_items() executes. Parameters of the statement:
--   $1 words text[] (folded)   $2 '%word%' patterns text[]   $3 'word%' patterns text[]
--   $4 the folded query   $5 the query as typed (barcode)   $6 shop uuid   $7 archived boolean
--   $8 location   $9 tag   $10 cursor relevance integer   $11 cursor sort key text   $12 cursor id uuid
--   $13 rows wanted integer
CREATE FUNCTION item_search_statement(word_lengths integer[], has_location boolean, has_tag boolean,
                                      low_stock boolean, sort text, has_cursor boolean) RETURNS text
  LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  n integer := coalesce(cardinality(word_lengths), 0);
  conditions text[] := ARRAY['shop_id = $6', 'archived = $7'];
  terms text[] := ARRAY['CASE WHEN sku_key = $4 OR barcode = $5 THEN 1000000 ELSE 0 END'];
  sort_key text;
  sort_type text;
  later text;
  keyset text := '';
BEGIN
  IF n < 1 OR n > 8 THEN
    RAISE EXCEPTION 'item_search_statement: 1 to 8 words, not %', n USING ERRCODE = '22023';
  END IF;
  FOR i IN 1 .. n LOOP
    -- A word of one or two characters has no trigram to look up: as LIKE it would make the index
    -- return every row (and, ANDed into the other words' index conditions, drag their similarity
    -- tests into the recheck of every row). strpos is the same substring test (no wildcards, bytes
    -- under COLLATE "C"), which the planner leaves as a filter on the other words' matches.
    conditions := conditions || CASE
      WHEN word_lengths[i] < 3 THEN format('strpos(search_text, $1[%s]) > 0', i)
      ELSE format('(search_text LIKE $2[%s] ESCAPE ''\''%s)', i,
                  CASE WHEN word_lengths[i] >= 4 THEN format(' OR search_text %%> $1[%s]', i) ELSE '' END)
    END;
    terms := terms || format('CASE WHEN sku_key = $1[%s] THEN 50000 ELSE 0 END', i)
                   || format('CASE WHEN sku_key LIKE $3[%s] ESCAPE ''\'' THEN 10000 ELSE 0 END', i)
                   || format('CASE WHEN name_key LIKE $2[%s] ESCAPE ''\'' THEN 4000 ELSE 0 END', i)
                   -- A substring match scores as a perfect similarity without computing it: reading the
                   -- item's text into trigrams is the costliest step, so it runs only for typo matches.
                   || format('CASE WHEN search_text LIKE $2[%1$s] ESCAPE ''\'' THEN 3000 ELSE round(word_similarity($1[%1$s], search_text) * 1000)::integer END', i);
  END LOOP;
  IF has_location THEN conditions := conditions || 'location_key = lower($8)'::text; END IF;
  IF has_tag THEN conditions := conditions || 'tag_keys @> ARRAY[lower($9)]'::text; END IF;
  IF low_stock THEN conditions := conditions || 'low_stock'::text; END IF;
  CASE sort
    WHEN 'name' THEN sort_key := 'name_key'; sort_type := 'text'; later := '>';
    WHEN 'sku' THEN sort_key := 'sku_key'; sort_type := 'text'; later := '>';
    WHEN 'quantity' THEN sort_key := 'quantity'; sort_type := 'bigint'; later := '>';
    WHEN '-updatedAt' THEN sort_key := 'updated_at'; sort_type := 'timestamptz'; later := '<';
    ELSE RAISE EXCEPTION 'item_search_statement: unknown sort' USING ERRCODE = '22023';
  END CASE;
  IF has_cursor THEN
    -- Strictly after the cursor's (relevance DESC, key, id) in the sort's directions: exact keyset paging.
    keyset := format(' WHERE relevance < $10 OR (relevance = $10 AND (k %1$s $11::%2$s OR (k = $11::%2$s AND item_id %1$s $12)))',
                     later, sort_type);
  END IF;
  RETURN format('SELECT item_id, relevance FROM (SELECT item_id, %s AS k, (%s) AS relevance FROM item_search WHERE %s) AS m%s'
                ' ORDER BY relevance DESC, k%s, item_id%s LIMIT $13',
                sort_key, array_to_string(terms, ' + '), array_to_string(conditions, ' AND '), keyset,
                CASE later WHEN '<' THEN ' DESC' ELSE '' END, CASE later WHEN '<' THEN ' DESC' ELSE '' END);
END
$$;
REVOKE ALL ON FUNCTION item_search_statement(integer[], boolean, boolean, boolean, text, boolean) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------------
-- The one door into item_search for the app: one page of (item id, relevance), best first, of the shop
-- in app.shop_id. Unset or empty → NULL → no row, as the policies on the tenant tables do. STABLE, so
-- it sees the snapshot of the statement calling it: the ids it returns and the items that statement
-- then joins are one consistent picture. The similarity threshold %> tests is the contract's 0.6
-- whatever the server or session says; set in the body (for the rest of the transaction, as SET LOCAL),
-- not as a SET clause: pg_trgm's setting exists only once its library is loaded, and a non-superuser
-- cannot create (or pg_restore) a function that SETs a setting not yet known.
CREATE FUNCTION search_items(words text[], query_folded text, query_raw text, location text, tag text,
                             archived boolean, low_stock boolean, sort text,
                             after_relevance integer, after_key text, after_id uuid, max_rows integer)
  RETURNS TABLE (item_id uuid, relevance integer)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
AS $$
DECLARE
  shop uuid := NULLIF(current_setting('app.shop_id', true), '')::uuid;
  lengths integer[] := ARRAY(SELECT char_length(w) FROM unnest(words) AS w);
  contains text[] := ARRAY(SELECT '%' || replace(replace(replace(w, '\', '\\'), '%', '\%'), '_', '\_') || '%' FROM unnest(words) AS w);
  prefixes text[] := ARRAY(SELECT replace(replace(replace(w, '\', '\\'), '%', '\%'), '_', '\_') || '%' FROM unnest(words) AS w);
BEGIN
  IF shop IS NULL THEN
    RETURN;
  END IF;
  PERFORM set_config('pg_trgm.word_similarity_threshold', '0.6', true);
  RETURN QUERY EXECUTE item_search_statement(lengths, location IS NOT NULL, tag IS NOT NULL, coalesce(low_stock, false),
                                             sort, after_relevance IS NOT NULL)
    USING words, contains, prefixes, query_folded, query_raw, shop, coalesce(archived, false), location, tag,
          after_relevance, after_key, after_id, max_rows;
END
$$;
REVOKE ALL ON FUNCTION search_items(text[], text, text, text, text, boolean, boolean, text, integer, text, uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION search_items(text[], text, text, text, text, boolean, boolean, text, integer, text, uuid, integer) TO stockade_app;

-- Pin search_path to pg_catalog first (no caller-made object can shadow a built-in), then the schema
-- these tables and pg_trgm were created in (the migration role's, normally public), then pg_temp last.
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION item_search_statement(integer[], boolean, boolean, boolean, text, boolean)'
                 ' SET search_path = pg_catalog, %I, pg_temp', current_schema());
  EXECUTE format('ALTER FUNCTION item_search_sync() SET search_path = pg_catalog, %I, pg_temp', current_schema());
  EXECUTE format('ALTER FUNCTION search_items(text[], text, text, text, text, boolean, boolean, text, integer, text, uuid, integer)'
                 ' SET search_path = pg_catalog, %I, pg_temp', current_schema());
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- Backfill. The items policy binds the owner too (FORCEd) and no tenant is set here, so it is lifted
-- for this one statement, inside this migration's transaction (as 010 does).
ALTER TABLE items DISABLE ROW LEVEL SECURITY;
INSERT INTO item_search (shop_id, item_id, search_text, sku_key, name_key, barcode, location_key, tag_keys,
                         archived, low_stock, quantity, updated_at)
SELECT shop_id, id, search_text, sku_key, name_key, barcode, lower(location), ARRAY(SELECT lower(t) FROM unnest(tags) AS t),
       archived_at IS NOT NULL, quantity <= low_stock_threshold, quantity, updated_at
  FROM items;
ALTER TABLE items ENABLE ROW LEVEL SECURITY;
ALTER TABLE items FORCE ROW LEVEL SECURITY;
