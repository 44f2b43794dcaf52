import { type Static, Type } from 'typebox';
import { LimitParam, NullableText, Query } from './common.js';

/** Requests of the stock-count routes (shape and size; inventory/counts.ts checks the content). */

export const NewCountBody = Type.Object(
  {
    name: Type.Optional(NullableText(100 * 4)),
    location: Type.Optional(NullableText(100 * 4)),
    tag: Type.Optional(NullableText(32 * 4)),
  },
  { additionalProperties: false },
);
export type NewCountBody = Static<typeof NewCountBody>;

export const CountLineBody = Type.Object(
  { counted: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }) },
  { additionalProperties: false },
);
export type CountLineBody = Static<typeof CountLineBody>;

/** `:id/lines/:itemId`: strings up to 64 (a non-uuid is answered 404, by the repository). */
export const CountLineParams = Type.Object({ id: Type.String({ maxLength: 64 }), itemId: Type.String({ maxLength: 64 }) });

/** GET /api/counts/:id: a page of the lines (inventory/counts.ts checks the cursor and the limit's range). */
export const CountPageQuery = Query({
  cursor: Type.String({ maxLength: 16384, pattern: '^[A-Za-z0-9_-]+$' }),
  limit: LimitParam(3),
});
export type CountPageQuery = Static<typeof CountPageQuery>;
