-- The dashboard's daily totals (GET /api/inventory/movements/daily) read one merchant's ledger over a
-- time window; without this index that is every movement the merchant ever made.
CREATE INDEX movements_by_time ON movements (merchant_id, created_at);
