import { type ItemFields, REASONS } from '../../inventory/types.js';
import { SORT_NAMES } from '../../inventory/list.js';

/*
 * JSON schemas of the inventory routes: shape and types only (the app's Ajv neither coerces nor drops
 * unknown fields, so a wrong type or an unknown field is a 400). Content rules that a schema cannot say
 * well (control and invisible characters, folding, duplicate tags) live in inventory/fields.ts, which
 * checks every value again. Query strings stay strings: the handlers convert them.
 */

const text = (maxLength: number) => ({ type: 'string', maxLength: maxLength * 4 }) as const;
const nullableText = (maxLength: number) => ({ type: ['string', 'null'], maxLength: maxLength * 4 }) as const;
const count = { type: 'integer', minimum: 0, maximum: 1_000_000_000 } as const;
const cents = { type: ['integer', 'null'], minimum: 0, maximum: 100_000_000_000 } as const;

// Lengths here are in UTF-16 units and generous (×4); fields.ts enforces the real limits in characters.
// The fields are the Item's own (inventory/types.ts): `satisfies` makes a field added there, and not
// given its request limits here, a compile error rather than a field no client can set.
const editable = {
  sku: text(64),
  name: text(200),
  description: nullableText(2000),
  unit: nullableText(16),
  priceCents: cents,
  costCents: cents,
  lowStockThreshold: count,
  location: nullableText(100),
  tags: { type: 'array', maxItems: 20, items: text(32) },
} as const satisfies Record<Exclude<keyof ItemFields, 'quantity'>, unknown>;

export const newItemBody = {
  type: 'object',
  required: ['sku', 'name'],
  additionalProperties: false,
  properties: { ...editable, quantity: count },
} as const;

export const patchBody = {
  type: 'object',
  required: ['version'],
  additionalProperties: false,
  properties: { ...editable, version: { type: 'integer', minimum: 1, maximum: 2_147_483_647 } },
} as const;

export const adjustmentBody = {
  type: 'object',
  required: ['delta', 'reason'],
  additionalProperties: false,
  properties: {
    delta: { type: 'integer', minimum: -1_000_000_000, maximum: 1_000_000_000, not: { const: 0 } },
    reason: { type: 'string', enum: [...REASONS] },
    note: nullableText(500),
  },
} as const;

/** Any string up to 64 (a non-uuid is answered 404 like an unknown id, by the repository). */
export const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', maxLength: 64 } },
} as const;

const cursor = { type: 'string', maxLength: 16384, pattern: '^[A-Za-z0-9_-]+$' } as const;
const limit = { type: 'string', pattern: '^[0-9]{1,3}$' } as const;

export const itemsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { type: 'string', maxLength: 800 },
    lowStock: { type: 'string', enum: ['true', 'false', '1', '0'] },
    sort: { type: 'string', enum: SORT_NAMES },
    cursor,
    limit,
  },
} as const;

export const movementsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { cursor, limit },
} as const;

/** days: 1..90 as a query string (Ajv does not coerce); the handler converts it. */
export const dailyMovementsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { days: { type: 'string', pattern: '^(?:[1-9]|[1-8][0-9]|90)$' } },
} as const;
