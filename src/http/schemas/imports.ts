import { Type } from 'typebox';

/** Answers of the spreadsheet routes (docs/api.md "Spreadsheets"). Money values are minor units, like items'. */

const FieldError = Type.Object({ path: Type.String(), message: Type.String() });
/** A field's value before or after: text, a number (minor units for money), null, or tags. */
const FieldValue = Type.Union([Type.String(), Type.Integer(), Type.Null(), Type.Array(Type.String())]);

export const ImportDone = Type.Object({
  importId: Type.String({ description: 'Undo it with POST /api/imports/{importId}/undo.' }),
  created: Type.Integer(),
  updated: Type.Integer(),
});

export const ImportDryRun = Type.Object({
  created: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  changes: Type.Array(
    Type.Object({
      row: Type.Integer(),
      sku: Type.String(),
      field: Type.String({ description: "The item field's API name, as in the item (money fields in minor units)." }),
      from: FieldValue,
      to: FieldValue,
    }),
    { description: 'Each field an import would change on an existing item (at most 1000).' },
  ),
  newItems: Type.Array(Type.Object({ row: Type.Integer(), sku: Type.String(), name: Type.String() }), {
    description: 'The rows that would create an item (at most 1000).',
  }),
  unknownColumns: Type.Array(Type.String(), {
    description: 'Columns nobody could place, as the file names them: map them or ignore them.',
  }),
  errors: Type.Array(FieldError, { description: 'Every problem, by row and column as the file names it, with the value.' }),
  truncated: Type.Boolean({ description: 'More changes or new items than the lists hold (the counts are complete).' }),
});

export const ImportUndone = Type.Object({
  importId: Type.String(),
  removed: Type.Integer({ description: 'Items the import had created, now archived.' }),
  restored: Type.Integer({ description: 'Items the import had changed, now as they were before it.' }),
});
