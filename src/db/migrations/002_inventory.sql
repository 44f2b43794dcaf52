-- Merchant inventory: items, the stock ledger, idempotency records.
--
-- Two walls keep merchants apart. The first is SQL: every repository statement names merchant_id.
-- The second is here: row-level security, ENABLEd and FORCEd on every tenant table, with policies that
-- compare merchant_id to the transaction-local setting app.merchant_id (set by Db.tenant() after it
-- drops to the non-owner role stockade_app). When the setting is unset or empty the NULLIF yields NULL,
-- the comparison is never true, and every row is invisible: a forgotten SET denies, it never leaks.
-- Referential actions (ON DELETE CASCADE) run as the table owner and are not filtered by RLS, which is
-- what lets deleting an item or a merchant remove its ledger rows although stockade_app cannot.

CREATE TABLE items (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  merchant_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  sku                 text NOT NULL,
  -- NFKC + case-folded sku, computed by the application: the uniqueness and search key, so 'ＡＢＣ-1'
  -- and 'abc-1' are one SKU. Computed in TypeScript (not SQL) and compared bytewise (COLLATE "C"), so
  -- PGlite and servers with other default collations order, paginate and match prefixes identically.
  sku_key             text COLLATE "C" NOT NULL,
  name                text NOT NULL,
  -- Case-folded name, for 'name contains' search independent of the database locale.
  name_key            text COLLATE "C" NOT NULL,
  description         text,
  quantity            integer NOT NULL DEFAULT 0 CHECK (quantity >= 0),
  unit                text,
  price_cents         bigint CHECK (price_cents >= 0),
  cost_cents          bigint CHECK (cost_cents >= 0),
  low_stock_threshold integer NOT NULL DEFAULT 0 CHECK (low_stock_threshold >= 0),
  location            text,
  tags                text[] NOT NULL DEFAULT '{}',
  -- Optimistic concurrency for edits (PATCH carries it). Stock adjustments do not bump it: they never
  -- conflict with an edit, since an edit cannot touch quantity.
  version             integer NOT NULL DEFAULT 1,
  -- Millisecond precision, so the ISO strings the API shows (and pagination cursors carry) are exact.
  created_at          timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at          timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  -- Target of the composite foreign key below: a movement can only point at its own merchant's item.
  CONSTRAINT items_merchant_id_id_key UNIQUE (merchant_id, id),
  CONSTRAINT items_merchant_sku_key UNIQUE (merchant_id, sku_key)
);
-- Keyset pagination for each whitelisted sort (the id is the tie-breaker).
CREATE INDEX items_by_name ON items (merchant_id, name_key, id);
CREATE INDEX items_by_updated ON items (merchant_id, updated_at DESC, id DESC);
CREATE INDEX items_by_quantity ON items (merchant_id, quantity, id);
CREATE INDEX items_by_created ON items (merchant_id, created_at, id);
-- SKU exact and prefix search use the unique (merchant_id, sku_key) index: with COLLATE "C" a plain
-- btree serves LIKE 'x%'.

-- The stock ledger: append-only. stockade_app may read and insert, never update or delete; rows go away
-- only by cascade with their item or merchant.
CREATE TABLE movements (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Insertion order; for one item it follows the row lock on the item, so it is also quantity_after
  -- order. created_at cannot serve: every row of one transaction (a CSV import) shares now().
  seq            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  merchant_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  item_id        uuid NOT NULL,
  delta          integer NOT NULL CHECK (delta <> 0),
  quantity_after integer NOT NULL CHECK (quantity_after >= 0),
  reason         text NOT NULL CHECK (reason IN ('received', 'sold', 'returned', 'damaged', 'lost', 'correction')),
  note           text,
  -- Who made the change (today the merchant; staff accounts later). SET NULL keeps the ledger when a
  -- staff account is deleted.
  created_by     uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at     timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  CONSTRAINT movements_item_fkey FOREIGN KEY (merchant_id, item_id)
    REFERENCES items (merchant_id, id) ON DELETE CASCADE
);
CREATE INDEX movements_by_item ON movements (merchant_id, item_id, seq DESC);

-- Idempotency-Key records: the first successful response to a POST, replayed to a retry with the same
-- key and request, refused (409) for the same key with a different request. Only successes are stored
-- (a failed request rolls its record back with everything else), so a retry of a failure runs again.
CREATE TABLE idempotency_keys (
  merchant_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key           text NOT NULL,
  -- SHA-256 (hex) of method, path and body.
  request_hash  text NOT NULL,
  -- The first response's body; NULL only inside the transaction that is producing it.
  response      jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, key)
);
-- Records older than 24 h are purged per merchant whenever that merchant uses a key.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (merchant_id, created_at);

ALTER TABLE items ENABLE ROW LEVEL SECURITY;
ALTER TABLE items FORCE ROW LEVEL SECURITY;
ALTER TABLE movements ENABLE ROW LEVEL SECURITY;
ALTER TABLE movements FORCE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;

CREATE POLICY items_tenant ON items
  USING (merchant_id = NULLIF(current_setting('app.merchant_id', true), '')::uuid)
  WITH CHECK (merchant_id = NULLIF(current_setting('app.merchant_id', true), '')::uuid);
CREATE POLICY movements_tenant ON movements
  USING (merchant_id = NULLIF(current_setting('app.merchant_id', true), '')::uuid)
  WITH CHECK (merchant_id = NULLIF(current_setting('app.merchant_id', true), '')::uuid);
CREATE POLICY idempotency_keys_tenant ON idempotency_keys
  USING (merchant_id = NULLIF(current_setting('app.merchant_id', true), '')::uuid)
  WITH CHECK (merchant_id = NULLIF(current_setting('app.merchant_id', true), '')::uuid);

GRANT USAGE ON SCHEMA public TO stockade_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON items TO stockade_app;
GRANT SELECT, INSERT ON movements TO stockade_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO stockade_app;
