-- Shops with staff (issue 13, docs/api.md "Shops, members, invitations"). The shop becomes the tenant:
-- people reach it through a membership (shop, user, role), and every tenant table is keyed by shop_id.
--
-- Needs every server stopped (docs/operations.md, "Upgrading to shops"): a server of the old version
-- would write merchant_id into columns that no longer exist, or read a tenant setting nobody sets.
--
-- Each existing merchant becomes the owner of a new shop named "USERNAME's shop" holding all their rows,
-- and each of their live sessions gets that shop as its active one. So does any other user who holds
-- inventory rows (a merchant promoted to admin keeps their stock: the membership lies dormant while they
-- are an admin, and wakes on demotion).

CREATE TABLE shops (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  -- ISO 4217 and IANA names; the application checks them against Intl.supportedValuesOf.
  currency    char(3) NOT NULL DEFAULT 'EUR',
  timezone    text NOT NULL DEFAULT 'UTC',
  require_mfa boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

CREATE TABLE memberships (
  shop_id   uuid NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role      text NOT NULL CHECK (role IN ('owner', 'manager', 'clerk', 'viewer')),
  joined_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (shop_id, user_id)
);
-- "My shops" (the session check joins on it, the shop switcher lists them).
CREATE INDEX memberships_user ON memberships (user_id);

-- Single-use invitation links: only SHA-256 of the 256-bit token is stored. Consumed by a conditional
-- UPDATE … WHERE used_at IS NULL AND withdrawn_at IS NULL, so two racing accepts cannot both win.
CREATE TABLE invitations (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  shop_id      uuid NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  token_hash   bytea NOT NULL UNIQUE,
  role         text NOT NULL CHECK (role IN ('owner', 'manager', 'clerk', 'viewer')),
  -- Bound to a verified address once the e-mail issue lands; refused (400) until then.
  email        text,
  -- The inviter: when they no longer hold a role that may grant `role`, the invitation is dead.
  -- SET NULL (the account erased) kills it the same way.
  created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz,
  used_by      uuid REFERENCES users (id) ON DELETE SET NULL,
  withdrawn_at timestamptz
);
CREATE INDEX invitations_shop ON invitations (shop_id, created_at);

-- A shop always has an owner: a database invariant, because two owners demoting (or removing) each
-- other at once is a race code alone loses — each transaction sees the other owner still there. The
-- check runs at commit (DEFERRABLE INITIALLY DEFERRED: a transaction may demote one owner and promote
-- another in either order) and first locks the shop row, so concurrent changes to one shop's
-- memberships take turns at commit; the count that follows is a new statement with a new snapshot
-- (READ COMMITTED), which sees the membership changes the other transaction just committed. A shop
-- being deleted takes its memberships along: then the shop row is gone and there is nothing to check.
CREATE FUNCTION shops_keep_an_owner() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  shop uuid;
BEGIN
  IF TG_TABLE_NAME = 'shops' THEN
    shop := NEW.id;
  ELSE
    shop := OLD.shop_id;
  END IF;
  PERFORM 1 FROM shops WHERE id = shop FOR UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM memberships WHERE shop_id = shop AND role = 'owner') THEN
    RAISE EXCEPTION 'shop % would be left without an owner', shop
      USING ERRCODE = 'check_violation', CONSTRAINT = 'shops_keep_an_owner';
  END IF;
  RETURN NULL;
END
$$;
-- A membership that was an owner's is demoted, moved or removed.
CREATE CONSTRAINT TRIGGER memberships_keep_an_owner
  AFTER UPDATE OR DELETE ON memberships DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (OLD.role = 'owner')
  EXECUTE FUNCTION shops_keep_an_owner();
-- A shop is born with its owner, in the same transaction.
CREATE CONSTRAINT TRIGGER shops_born_with_an_owner
  AFTER INSERT ON shops DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION shops_keep_an_owner();

-- The shop a session works in (POST /api/auth/shop switches it). SET NULL when the shop is deleted: the
-- session lives on without an active shop (shop routes 403) instead of ending.
ALTER TABLE sessions ADD COLUMN active_shop_id uuid REFERENCES shops (id) ON DELETE SET NULL;

-- ---------------------------------------------------------------------------------------------------
-- Existing merchants become shop owners.

-- Row-level security is FORCEd on the tenant tables, and it binds the table owner too: without the
-- DISABLE, this migration, run as a (non-superuser) owner with no tenant set, would see no inventory row
-- (no shop for a promoted merchant's stock) and the UPDATEs below would move nothing. Re-enabled (still
-- FORCEd) at the end, with policies on the new setting.
ALTER TABLE items DISABLE ROW LEVEL SECURITY;
ALTER TABLE movements DISABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys DISABLE ROW LEVEL SECURITY;

-- Which user gets which new shop: a transaction-local mapping (INSERT … SELECT … RETURNING cannot say
-- which user each new row was for).
CREATE TEMPORARY TABLE shop_of_merchant ON COMMIT DROP AS
SELECT u.id AS user_id, gen_random_uuid() AS shop_id, left(u.username || '''s shop', 100) AS name,
       u.created_at
  FROM users u
 WHERE u.role = 'merchant' OR EXISTS (SELECT 1 FROM items i WHERE i.merchant_id = u.id)
    OR EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.merchant_id = u.id);
INSERT INTO shops (id, name, created_at) SELECT shop_id, name, date_trunc('milliseconds', created_at) FROM shop_of_merchant;
INSERT INTO memberships (shop_id, user_id, role, joined_at)
SELECT shop_id, user_id, 'owner', date_trunc('milliseconds', created_at) FROM shop_of_merchant;
UPDATE sessions s SET active_shop_id = m.shop_id FROM shop_of_merchant m WHERE m.user_id = s.user_id;

-- ---------------------------------------------------------------------------------------------------
-- Re-key the tenant tables from merchant_id (a user) to shop_id (a shop).

DROP POLICY items_tenant ON items;
DROP POLICY movements_tenant ON movements;
DROP POLICY idempotency_keys_tenant ON idempotency_keys;

-- The old keys pointed at users; the composite one from movements to items would block the update.
ALTER TABLE movements DROP CONSTRAINT movements_item_fkey;
ALTER TABLE movements DROP CONSTRAINT movements_merchant_id_fkey;
ALTER TABLE items DROP CONSTRAINT items_merchant_id_fkey;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_merchant_id_fkey;

ALTER TABLE items RENAME COLUMN merchant_id TO shop_id;
ALTER TABLE movements RENAME COLUMN merchant_id TO shop_id;
ALTER TABLE idempotency_keys RENAME COLUMN merchant_id TO shop_id;

UPDATE items t SET shop_id = m.shop_id FROM shop_of_merchant m WHERE t.shop_id = m.user_id;
UPDATE movements t SET shop_id = m.shop_id FROM shop_of_merchant m WHERE t.shop_id = m.user_id;
UPDATE idempotency_keys t SET shop_id = m.shop_id FROM shop_of_merchant m WHERE t.shop_id = m.user_id;

ALTER TABLE items ADD CONSTRAINT items_shop_id_fkey FOREIGN KEY (shop_id) REFERENCES shops (id) ON DELETE CASCADE;
ALTER TABLE movements ADD CONSTRAINT movements_shop_id_fkey FOREIGN KEY (shop_id) REFERENCES shops (id) ON DELETE CASCADE;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_shop_id_fkey FOREIGN KEY (shop_id) REFERENCES shops (id) ON DELETE CASCADE;
ALTER TABLE movements ADD CONSTRAINT movements_item_fkey FOREIGN KEY (shop_id, item_id)
  REFERENCES items (shop_id, id) ON DELETE CASCADE;

-- Names that say what they hold (the application matches items_shop_sku_key to answer 409 on a SKU).
ALTER TABLE items RENAME CONSTRAINT items_merchant_id_id_key TO items_shop_id_id_key;
ALTER TABLE items RENAME CONSTRAINT items_merchant_sku_key TO items_shop_sku_key;

-- Movements name the person who made them (the ledger's `by`), and the ledger filters by person.
CREATE INDEX movements_by_person ON movements (shop_id, created_by, seq DESC);
-- The shop-wide ledger (GET /api/movements), newest first.
CREATE INDEX movements_by_shop ON movements (shop_id, seq DESC);

ALTER TABLE items ENABLE ROW LEVEL SECURITY;
ALTER TABLE movements ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE items FORCE ROW LEVEL SECURITY;
ALTER TABLE movements FORCE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;

-- The same deny-by-default pattern as before, on the new setting: unset or empty → NULL → no row.
CREATE POLICY items_tenant ON items
  USING (shop_id = NULLIF(current_setting('app.shop_id', true), '')::uuid)
  WITH CHECK (shop_id = NULLIF(current_setting('app.shop_id', true), '')::uuid);
CREATE POLICY movements_tenant ON movements
  USING (shop_id = NULLIF(current_setting('app.shop_id', true), '')::uuid)
  WITH CHECK (shop_id = NULLIF(current_setting('app.shop_id', true), '')::uuid);
CREATE POLICY idempotency_keys_tenant ON idempotency_keys
  USING (shop_id = NULLIF(current_setting('app.shop_id', true), '')::uuid)
  WITH CHECK (shop_id = NULLIF(current_setting('app.shop_id', true), '')::uuid);

-- Shops, memberships and invitations are read and written by the application as the schema owner
-- (they decide who reaches a tenant; they are not tenant data), so stockade_app gets nothing on them.
