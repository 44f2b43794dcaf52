import { type Static, type TSchema, type TUnsafe, Type } from 'typebox';

/** The inventory's public shapes: exactly the JSON of docs/api.md "Inventory" (camelCase, ISO times, cents). */

/** The reasons a client may give for a stock adjustment (docs/api.md "Inventory"). */
export const ADJUSTMENT_REASONS = ['received', 'sold', 'returned', 'damaged', 'lost', 'correction'] as const;
export type AdjustmentReason = (typeof ADJUSTMENT_REASONS)[number];
/** The reasons only the server writes: an item's starting stock, a CSV import, a committed stock count. */
export const SYSTEM_REASONS = ['opening', 'import', 'count'] as const;
/** Every reason a ledger row may carry (migration 013's CHECK says the same). */
export const REASONS = [...ADJUSTMENT_REASONS, ...SYSTEM_REASONS] as const;
export type Reason = (typeof REASONS)[number];
/** What the dashboard counts as "units in": goods that arrived, not stock that was set or corrected. */
export const INCOMING_REASONS = ['received', 'returned'] as const satisfies readonly AdjustmentReason[];

/*
 * Item and Movement are declared once, here, as JSON schemas (TypeBox: plain schema objects, no HTTP),
 * and their types are derived from them. The HTTP layer serializes responses with these very schemas
 * (src/http/schemas/) and the OpenAPI document, and through it the web app's generated types, copy
 * them: a field added here reaches all of them, a field missing here is never sent.
 */

const nullable = <T extends TSchema>(schema: T, description?: string) =>
  Type.Union([schema, Type.Null()], description ? { description } : {});
const time = Type.String({ format: 'date-time' });
const id = Type.String({ description: 'Opaque id.' });

export const ItemSchema = Type.Object({
  id,
  sku: Type.String(),
  name: Type.String(),
  description: nullable(Type.String()),
  quantity: Type.Integer({ minimum: 0 }),
  unit: nullable(Type.String()),
  priceCents: nullable(Type.Integer()),
  costCents: nullable(Type.Integer()),
  lowStockThreshold: Type.Integer({ minimum: 0, description: 'Low when quantity <= this (default 0: out of stock).' }),
  location: nullable(Type.String()),
  tags: Type.Array(Type.String()),
  barcode: nullable(Type.String(), "As scanned (EAN-13, UPC-A, Code 128, QR …), compared exactly; unique among the shop's items when set."),
  version: Type.Integer({ description: 'Send it back with a PATCH (optimistic concurrency).' }),
  createdAt: time,
  updatedAt: time,
  archivedAt: nullable(time, 'When the item was archived (DELETE); null while it is active.'),
});
export type Item = Static<typeof ItemSchema>;

export const MovementSchema = Type.Object({
  id,
  itemId: id,
  delta: Type.Integer(),
  quantityAfter: Type.Integer(),
  // Typed as the union of the reasons: Static of a union over a mapped array (not a tuple) is never.
  reason: Type.Union(REASONS.map((r) => Type.Literal(r))) as unknown as TUnsafe<Reason>,
  note: nullable(Type.String()),
  createdAt: time,
  by: Type.Object(
    { userId: nullable(Type.String()), username: Type.String() },
    { description: 'Who made the change: `userId` null and `username` "deleted user" once that account is erased.' },
  ),
});
export type Movement = Static<typeof MovementSchema>;

/** The fields the server owns: a client never sends them (but `version` back with a PATCH). */
export const SERVER_OWNED = ['id', 'version', 'createdAt', 'updatedAt', 'archivedAt'] as const;

/** Everything a client may set on an item (create); quantity only at creation or by import. */
export type ItemFields = Omit<Item, (typeof SERVER_OWNED)[number]>;

/*
 * The bounds a JSON request puts on each field a client may set; the HTTP layer applies them to the
 * fields of ItemSchema above (src/http/schemas/requests/inventory.ts), so the request bodies are derived
 * from the Item, not listed again. Shape only, and generous: lengths in UTF-16 units, four per character,
 * and amounts well above the real limits, which fields.ts enforces (in characters) on JSON and CSV alike.
 * They keep a huge value from being parsed further. `satisfies`: a field added to ItemSchema without its
 * bounds here is a compile error rather than a field no client can set.
 */
const textBound = (characters: number) => ({ maxLength: characters * 4 });
const countBound = { minimum: 0, maximum: 1_000_000_000 };
const centsBound = { minimum: 0, maximum: 100_000_000_000 };
export const ITEM_REQUEST_BOUNDS = {
  sku: textBound(64),
  name: textBound(200),
  description: textBound(2000),
  quantity: countBound,
  unit: textBound(16),
  priceCents: centsBound,
  costCents: centsBound,
  lowStockThreshold: countBound,
  location: textBound(100),
  tags: { maxItems: 20, items: textBound(32) },
  barcode: textBound(128),
} as const satisfies Record<keyof ItemFields, object>;

/** A PATCH: any editable field (never quantity), with the version the client last saw. */
export type ItemPatch = Partial<Omit<ItemFields, 'quantity'>> & { version: number };

export interface AdjustmentInput {
  delta: number;
  reason: AdjustmentReason;
  note: string | null;
}

export interface Summary {
  itemCount: number;
  /** A bigint only beyond Number.MAX_SAFE_INTEGER (summary.ts): still an exact JSON integer. */
  totalUnits: number | bigint;
  /** Sum of quantity × cost, or × price for items without a cost (see summary.ts); bigint as above; null below manager. */
  stockValueCents: number | bigint | null;
  lowStockCount: number;
}

/** Who is writing, and the Idempotency-Key of the request if it carried one. */
export interface WriteContext {
  by: string;
  /** The writer's username, for the movement a write returns (`by`); looked up when absent. */
  byName?: string | undefined;
  idempotency?: IdempotencyTicket | undefined;
}

export interface IdempotencyTicket {
  key: string;
  /** SHA-256 of method, path and body: a retry must match it exactly. */
  requestHash: string;
}

/** The result of a POST, and whether it is the stored first response replayed. */
export interface Outcome<T> {
  result: T;
  replayed: boolean;
}
