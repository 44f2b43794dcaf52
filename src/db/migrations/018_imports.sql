-- What each CSV import did, so it can be undone (issue 18, docs/api.md "Spreadsheets").
--
-- One `imports` row per import that wrote, and one `import_items` row per item it created or changed:
-- the item's fields before (NULL for an item it created) and after, and its version right after the
-- import; and on the import, the shop's last movement seq once it was written. POST
-- /api/imports/:id/undo reverts an import only while every one of its items still has that version and
-- no movement after that seq ("untouched since"): an edit bumps the version, a sale or any adjustment
-- adds a movement. One seq for the whole import suffices: its items are locked while it writes, so no
-- other movement of theirs can draw a seq below it and commit after it.
-- Tenant data: RLS on app.shop_id like items (migration 010).

CREATE TABLE imports (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  shop_id       uuid NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  created_count integer NOT NULL,
  updated_count integer NOT NULL,
  -- max(movements.seq) of the shop when the import was written (NULL: no movement at all yet).
  last_seq      bigint,
  undone_at     timestamptz,
  undone_by     uuid REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT imports_shop_id_id_key UNIQUE (shop_id, id)
);
CREATE INDEX imports_by_shop ON imports (shop_id, created_at DESC);

CREATE TABLE import_items (
  shop_id        uuid NOT NULL,
  import_id      uuid NOT NULL,
  -- No foreign key to items: an item deleted since is "touched since" (named by its sku below), not a
  -- row that silently vanishes from the record.
  item_id        uuid NOT NULL,
  sku            text NOT NULL,
  -- The item's writable fields as JSON (the API's names), before (NULL: created by the import) and after.
  before         jsonb,
  after          jsonb NOT NULL,
  version_after  integer NOT NULL,
  PRIMARY KEY (import_id, item_id),
  CONSTRAINT import_items_import_fkey FOREIGN KEY (shop_id, import_id) REFERENCES imports (shop_id, id) ON DELETE CASCADE
);

ALTER TABLE imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE imports FORCE ROW LEVEL SECURITY;
ALTER TABLE import_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE import_items FORCE ROW LEVEL SECURITY;
CREATE POLICY imports_tenant ON imports
  USING (shop_id = NULLIF(current_setting('app.shop_id', true), '')::uuid)
  WITH CHECK (shop_id = NULLIF(current_setting('app.shop_id', true), '')::uuid);
CREATE POLICY import_items_tenant ON import_items
  USING (shop_id = NULLIF(current_setting('app.shop_id', true), '')::uuid)
  WITH CHECK (shop_id = NULLIF(current_setting('app.shop_id', true), '')::uuid);

-- The record is append-only but for marking an import undone.
GRANT SELECT, INSERT ON imports TO stockade_app;
GRANT UPDATE (undone_at, undone_by) ON imports TO stockade_app;
GRANT SELECT, INSERT ON import_items TO stockade_app;
