import { Type } from 'typebox';
import { ItemSchema, MovementSchema } from '../../inventory/types.js';
import { NextCursor } from './common.js';

/** The inventory's answers. Item and Movement are the domain's own schemas (inventory/types.ts). */
export { ItemSchema, MovementSchema };

export const ItemEnvelope = Type.Object({ item: ItemSchema });
export const ItemPage = Type.Object({ items: Type.Array(ItemSchema), nextCursor: NextCursor });
export const MovementPage = Type.Object({ movements: Type.Array(MovementSchema), nextCursor: NextCursor });
export const Adjusted = Type.Object({ item: ItemSchema, movement: MovementSchema });
export const ImportCounts = Type.Object({ created: Type.Integer(), updated: Type.Integer() });

/**
 * Documentation and the test check only: the route writes this JSON by hand (a total past
 * Number.MAX_SAFE_INTEGER is a bigint, which neither JSON.stringify nor the serializer can write).
 */
export const SummarySchema = Type.Object({
  itemCount: Type.Integer(),
  totalUnits: Type.Integer(),
  // null for a caller below manager (valued at cost: cost-visibility.ts)
  stockValueCents: Type.Union([Type.Integer(), Type.Null()]),
  lowStockCount: Type.Integer(),
});

export const DailyMovements = Type.Object({
  days: Type.Array(
    Type.Object({ date: Type.String({ format: 'date' }), unitsIn: Type.Integer(), unitsOut: Type.Integer(), movements: Type.Integer() }),
  ),
});
