import { Type } from 'typebox';
import { REASONS } from '../../../inventory/types.js';
import { LimitParam, Query, StringEnum } from './common.js';

/** GET /api/movements: the shop-wide ledger's page and filters (checked again by inventory/shop-ledger.ts). */
const uuid = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export const LedgerQuery = Query({
  cursor: Type.String({ maxLength: 16384, pattern: '^[A-Za-z0-9_-]+$' }),
  limit: LimitParam(3),
  itemId: Type.String({ maxLength: 36, pattern: uuid }),
  reason: StringEnum(REASONS),
  by: Type.String({ maxLength: 36, pattern: uuid }),
});
