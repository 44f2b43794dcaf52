import { type Static, type TObject, type TProperties, type TSchema, Type } from 'typebox';
import { SORT_NAMES } from '../../../inventory/list.js';
import { ADJUSTMENT_REASONS, ITEM_REQUEST_BOUNDS, ItemSchema, SERVER_OWNED } from '../../../inventory/types.js';
import { LimitParam, NullableText, Query, StringEnum } from './common.js';

/*
 * Requests of the inventory routes. The item bodies are derived from the Item itself (inventory/types.ts:
 * ItemSchema, and the request bounds of each field next to it), so a field is declared once: this file
 * names none of them.
 */

type Bounds = { readonly items?: object } & Record<string, unknown>;

/**
 * One field of ItemSchema in its request form, with its bounds: `anyOf [T, null]` (Nullable) becomes
 * `type: [T, 'null']` (one error for a wrong type, see NullableText), and an array's bounds on `items`
 * apply to its elements.
 */
function bounded(field: TSchema, bounds: Bounds): TSchema {
  const { items, ...own } = bounds;
  const anyOf = (field as { anyOf?: TSchema[] }).anyOf;
  const nullable = anyOf?.length === 2 ? anyOf.find((s) => (s as { type?: unknown }).type !== 'null') : undefined;
  if (nullable) {
    const { description } = field as { description?: string };
    const inner = nullable as { type: string };
    return { ...inner, type: [inner.type, 'null'], ...(description ? { description } : {}), ...own } as TSchema;
  }
  const element = (field as { items?: TSchema }).items;
  return { ...field, ...own, ...(items && element ? { items: { ...element, ...items } } : {}) } as TSchema;
}

/** Every field of `object` with its bounds, in the object's own order. */
function withBounds<P extends TProperties>(object: TObject<P>, bounds: Record<keyof P, Bounds>): TObject<P> {
  const properties = Object.fromEntries(
    Object.entries(object.properties).map(([name, field]) => [name, bounded(field, bounds[name as keyof P])]),
  );
  // The same static type: bounds narrow the values a request may carry, never their types.
  return Type.Object(properties) as unknown as TObject<P>;
}

/** What a client may set: the Item without the fields the server owns, bounded. */
const writable = withBounds(Type.Omit(ItemSchema, SERVER_OWNED), ITEM_REQUEST_BOUNDS);

/** POST /api/items: sku and name required, the rest optional (defaults in inventory/fields.ts). */
export const NewItemBody = Type.Object(
  { ...writable.properties, ...Type.Partial(Type.Omit(writable, ['sku', 'name'])).properties },
  { additionalProperties: false },
);
export type NewItemBody = Static<typeof NewItemBody>;

/** PATCH /api/items/:id: any writable field but quantity (stock changes by adjustment), and the version last seen. */
export const ItemPatchBody = Type.Object(
  { ...Type.Partial(Type.Omit(writable, ['quantity'])).properties, version: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) },
  { additionalProperties: false },
);
export type ItemPatchBody = Static<typeof ItemPatchBody>;

export const AdjustmentBody = Type.Object(
  {
    delta: Type.Integer({ minimum: -1_000_000_000, maximum: 1_000_000_000, not: { const: 0 } }),
    reason: StringEnum(ADJUSTMENT_REASONS),
    note: Type.Optional(NullableText(500 * 4)),
  },
  { additionalProperties: false },
);
export type AdjustmentBody = Static<typeof AdjustmentBody>;

const cursor = Type.String({ maxLength: 16384, pattern: '^[A-Za-z0-9_-]+$' });

export const ItemsQuery = Query({
  q: Type.String({ maxLength: 800 }),
  lowStock: StringEnum(['true', 'false', '1', '0']),
  archived: StringEnum(['true', 'false']),
  location: Type.String({ maxLength: 400 }),
  tag: Type.String({ maxLength: 128 }),
  sort: StringEnum(SORT_NAMES),
  cursor,
  limit: LimitParam(3),
});

/** GET /api/items/export.csv: `archived=true` adds the archived items, marked in an `Archived` column. */
export const ExportQuery = Query({ archived: StringEnum(['true', 'false']) });

/** GET /api/items/lookup: the code as scanned or typed (required; bounds in inventory/lookup.ts). */
export const LookupQuery = Type.Object({ code: Type.String({ maxLength: 512 }) }, { additionalProperties: false });

export const MovementsQuery = Query({ cursor, limit: LimitParam(3) });

/** days: 1..90 as a query string (Ajv does not coerce); the handler converts it. */
export const DailyMovementsQuery = Query({ days: Type.String({ pattern: '^(?:[1-9]|[1-8][0-9]|90)$' }) });

/**
 * POST /api/items/import: `dryRun=true` computes without writing; `mapping` is JSON
 * `{"Their column": "field" | null}` (URL-encoded; inventory/csv-columns.ts checks it). In the query,
 * not a header: column names are UTF-8 (header values are not), and the URL is part of the
 * Idempotency-Key's request hash, so a retry with another mapping is a different request.
 */
export const ImportQuery = Query({
  dryRun: StringEnum(['true', 'false']),
  mapping: Type.String({ maxLength: 8192 }),
});
