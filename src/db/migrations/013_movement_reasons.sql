-- Movement reasons the system writes (issue 17/18, docs/api.md "Shop floor"): `opening` (an item's
-- starting stock, written when it is created with a quantity), `import` (a quantity set by a CSV import)
-- and `count` (a committed stock count). Before, the first two were written as `correction`, so the
-- dashboard's "units in" counted opening stock and imports as if they were deliveries, and a count
-- correction typed by hand could not be told from one the system made. Clients still post only the six
-- v1 reasons (src/inventory/types.ts ADJUSTMENT_REASONS); these three come from the server alone.
-- Rows written before keep `correction`: the ledger is append-only history, not rewritten.
ALTER TABLE movements DROP CONSTRAINT movements_reason_check;
ALTER TABLE movements ADD CONSTRAINT movements_reason_check
  CHECK (reason IN ('received', 'sold', 'returned', 'damaged', 'lost', 'correction', 'count', 'opening', 'import'));
