import { Type } from 'typebox';
import { Id, NextCursor, Nullable, Time } from './common.js';

/** Stock counts' answers (docs/api.md "Shop floor"; src/inventory/counts.ts). */

export const CountSchema = Type.Object({
  id: Id,
  name: Type.String(),
  location: Nullable(Type.String(), 'The location it was started with (null: any).'),
  tag: Nullable(Type.String(), 'The tag it was started with (null: any).'),
  status: Type.Union([Type.Literal('open'), Type.Literal('committed'), Type.Literal('abandoned')]),
  createdAt: Time,
  createdBy: Nullable(Id),
  closedAt: Nullable(Time),
  closedBy: Nullable(Id),
  lines: Type.Integer({ description: 'Items in the count.' }),
  countedLines: Type.Integer({ description: 'Items counted so far.' }),
});

export const CountLineSchema = Type.Object({
  itemId: Id,
  sku: Type.String(),
  name: Type.String(),
  archived: Type.Boolean({ description: 'Archived since: the commit leaves it alone.' }),
  expected: Type.Integer({ description: 'The quantity when the count started.' }),
  counted: Nullable(Type.Integer()),
  countedAt: Nullable(Time),
  countedBy: Nullable(Id),
  onHandWhenCounted: Nullable(Type.Integer(), 'The quantity when the line was counted: the variance is measured against it.'),
  varianceUnits: Nullable(Type.Integer(), 'counted − onHandWhenCounted; null while uncounted.'),
  varianceValueCents: Nullable(Type.Integer(), 'The variance at cost (price where no cost); null below manager.'),
});

export const CountEnvelope = Type.Object({ count: CountSchema });
export const CountList = Type.Object({ counts: Type.Array(CountSchema) });
export const CountTotalsSchema = Type.Object(
  {
    expected: Type.Integer({ description: 'Sum of every line’s expected quantity.' }),
    counted: Type.Integer({ description: 'Sum of the counted lines’ numbers.' }),
    varianceUnits: Type.Integer({ description: 'Sum of the counted lines’ varianceUnits.' }),
    varianceValueCents: Nullable(Type.Integer(), 'Sum of the counted lines’ varianceValueCents; null below manager.'),
  },
  { description: 'Over the whole count, whichever page this is.' },
);
export const CountWithLines = Type.Object({
  count: CountSchema,
  lines: Type.Array(CountLineSchema, { description: 'A page of the lines, by item name.' }),
  totals: CountTotalsSchema,
  nextCursor: NextCursor,
});
export const CountLineEnvelope = Type.Object({ line: CountLineSchema });
export const CountCommitted = Type.Object({
  adjusted: Type.Integer({ description: 'Items whose stock changed.' }),
  varianceUnits: Type.Integer(),
  varianceValueCents: Nullable(Type.Integer(), 'null below manager.'),
});
