-- The shop floor (issue 17, docs/api.md "Shop floor"): barcodes, archive instead of delete, search that
-- finds things (words in any field, typos), and stock counts. One migration for the whole issue, written
-- in full with its first stage, so no later stage edits a migration that may already have run somewhere.

-- ---------------------------------------------------------------------------------------------------
-- Search. pg_trgm is a trusted extension (PostgreSQL 13+): the database owner creates it without being
-- a superuser, given CREATE on the database (which the owner has). PGlite ships it as an extension that
-- must be loaded when the database is opened (src/db/pglite.ts), before this statement can find it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- A barcode as scanned (EAN-13, UPC-A, Code 128, QR …): compared exactly, never folded (a Code 128 may
-- hold letters of both cases). Unique among one shop's items when set, archived ones included (an
-- archived item keeps its SKU and barcode, so restoring it never collides: docs/api.md "Shop floor").
-- The application matches the index name to answer 409 naming the field.
ALTER TABLE items ADD COLUMN barcode text CHECK (char_length(barcode) BETWEEN 1 AND 128);
CREATE UNIQUE INDEX items_shop_barcode_key ON items (shop_id, barcode) WHERE barcode IS NOT NULL;

-- Archive instead of delete: the ledger of an archived item stays (movements are history), and it
-- leaves lists, lookups, the summary and new counts until restored.
ALTER TABLE items ADD COLUMN archived_at timestamptz;

-- Everything a search word may match, lower-cased, in one column the trigram index covers. A
-- generated column, so no write path (create, edit, CSV import, an import's undo) can forget it.
-- sku_key and name_key are already folded by the application (NFKC + case fold, text.ts); the other
-- fields are lower-cased here (the same for ASCII; lower() follows the database's ctype for the rest).
-- array_to_string is only STABLE (it calls the element type's output function), which a generated
-- column refuses; for text[] it cannot vary, so the wrapper is declared IMMUTABLE.
CREATE FUNCTION items_search_text(sku_key text, name_key text, barcode text, location text, tags text[], description text)
  RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN concat_ws(' ', sku_key, name_key, lower(barcode), lower(location), lower(array_to_string(tags, ' ')), lower(description));
ALTER TABLE items ADD COLUMN search_text text COLLATE "C"
  GENERATED ALWAYS AS (items_search_text(sku_key, name_key, barcode, location, tags, description)) STORED;
-- Serves both halves of a word's test: LIKE '%word%' (substring) and word <% search_text (trigram
-- word similarity), so a search over 100,000 items reads the index, not the table.
CREATE INDEX items_search_trgm ON items USING gin (search_text gin_trgm_ops);

-- ---------------------------------------------------------------------------------------------------
-- Stock counts. A count is a snapshot of the matching items' quantities when it started (expected);
-- clerks enter what is on the shelf (counted), and the commit turns each counted line into one `count`
-- movement. An item is in at most one open count (a partial unique index on the lines, so two counts
-- started at once over one item cannot both win: the second one's insert waits for the first and then
-- sees the conflict).
CREATE TABLE counts (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  shop_id     uuid NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  -- The filters it was started with (null: all items).
  location    text,
  tag         text,
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'committed', 'abandoned')),
  created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  closed_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  closed_at   timestamptz,
  CONSTRAINT counts_shop_id_id_key UNIQUE (shop_id, id)
);
CREATE INDEX counts_by_shop ON counts (shop_id, created_at DESC, id DESC);

CREATE TABLE count_lines (
  shop_id     uuid NOT NULL,
  count_id    uuid NOT NULL,
  item_id     uuid NOT NULL,
  -- The item's quantity when the count started.
  expected    integer NOT NULL CHECK (expected >= 0),
  counted     integer CHECK (counted >= 0),
  -- The item's quantity at the moment the line was counted (read under the item's row lock). The
  -- commit moves the item by counted - on_hand_at_count, which is the same as setting it to counted
  -- plus every movement recorded after the counting, without comparing timestamps.
  on_hand_at_count integer CHECK (on_hand_at_count >= 0),
  counted_at  timestamptz,
  counted_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  -- True while the count is open (cleared by commit and abandon): what the one-open-count rule keys on.
  open        boolean NOT NULL DEFAULT true,
  PRIMARY KEY (count_id, item_id),
  CONSTRAINT count_lines_count_fkey FOREIGN KEY (shop_id, count_id) REFERENCES counts (shop_id, id) ON DELETE CASCADE,
  CONSTRAINT count_lines_item_fkey FOREIGN KEY (shop_id, item_id) REFERENCES items (shop_id, id) ON DELETE CASCADE,
  CHECK ((counted IS NULL) = (counted_at IS NULL) AND (counted IS NULL) = (on_hand_at_count IS NULL))
);
CREATE UNIQUE INDEX count_lines_one_open_count ON count_lines (shop_id, item_id) WHERE open;

ALTER TABLE counts ENABLE ROW LEVEL SECURITY;
ALTER TABLE counts FORCE ROW LEVEL SECURITY;
ALTER TABLE count_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE count_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY counts_tenant ON counts
  USING (shop_id = NULLIF(current_setting('app.shop_id', true), '')::uuid)
  WITH CHECK (shop_id = NULLIF(current_setting('app.shop_id', true), '')::uuid);
CREATE POLICY count_lines_tenant ON count_lines
  USING (shop_id = NULLIF(current_setting('app.shop_id', true), '')::uuid)
  WITH CHECK (shop_id = NULLIF(current_setting('app.shop_id', true), '')::uuid);
-- Counts are never deleted by the application (abandoned ones stay, as history); they go with their shop.
GRANT SELECT, INSERT, UPDATE ON counts TO stockade_app;
GRANT SELECT, INSERT, UPDATE ON count_lines TO stockade_app;
