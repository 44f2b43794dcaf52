import { type Static, Type } from 'typebox';
import { StringEnum } from './common.js';

/**
 * GET /api/items/labels: `ids` is a comma-separated list of item ids (at most 200, checked by the domain:
 * inventory/labels/sheet.ts), `format` pdf (the default) or html. Shape only: letters, digits, hyphens
 * and commas, so no control character, NUL or percent-decoded oddity reaches the handler.
 */
export const LabelsQuery = Type.Object(
  {
    ids: Type.String({ minLength: 1, maxLength: 200 * 37, pattern: '^[0-9A-Za-z,-]+$' }),
    format: Type.Optional(StringEnum(['pdf', 'html'])),
  },
  { additionalProperties: false },
);
export type LabelsQuery = Static<typeof LabelsQuery>;
