/**
 * Text rules for everything a merchant types into the inventory, and the fold used for SKU
 * uniqueness and search.
 *
 * Why reject rather than store: PostgreSQL `text` refuses NUL (a 500 if it got that far), PGlite
 * silently turns a lone surrogate into U+FFFD (so the stored value would differ from the one sent),
 * and bidirectional overrides (U+202E) make a name display as something it is not.
 */

/** A UTF-16 surrogate without its partner: not a Unicode scalar, cannot be encoded as UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Control characters (NUL, ESC, DEL, C1 …). */
const CONTROL = /\p{Cc}/u;
/** Controls allowed in multi-line text: tab, line feed, carriage return. */
const CONTROL_EXCEPT_LINES = /[^\P{Cc}\t\n\r]/u;
/**
 * Invisible format characters (bidi overrides, zero-width space, BOM, word joiner …). Two are allowed
 * in free text because emoji need them: U+200D (zero-width joiner, family and profession emoji) and the
 * tag characters U+E0020–U+E007F (subdivision flags).
 */
const FORMAT = /\p{Cf}/gu;
const EMOJI_FORMAT = /^(?:\u200D|[\u{E0020}-\u{E007F}])$/u;

function hasFormat(value: string, allowEmoji: boolean): boolean {
  for (const [char] of value.matchAll(FORMAT)) {
    if (!allowEmoji || !EMOJI_FORMAT.test(char)) return true;
  }
  return false;
}
/** Line and paragraph separators: break single-line fields in some renderers. */
const LINE_SEPARATOR = /[\u2028\u2029]/;

export interface TextRule {
  /** Maximum length in code points (an emoji counts once). */
  max: number;
  /** At least one character (after trimming). */
  required: boolean;
  /** Tab and newlines allowed (descriptions, notes); single-line fields are trimmed. */
  multiline?: boolean;
  /** Identifiers (SKU, tags): no format characters at all, not even the emoji joiners. */
  identifier?: boolean;
}

/**
 * Checks and tidies one string. Returns the value to store (single-line fields trimmed) or an error
 * message safe to show the client.
 */
export function checkText(value: string, rule: TextRule): { value: string } | { error: string } {
  if (LONE_SURROGATE.test(value)) return { error: 'contains an invalid character (lone surrogate)' };
  if (rule.multiline ? CONTROL_EXCEPT_LINES.test(value) : CONTROL.test(value)) {
    return { error: 'contains a control character' };
  }
  if (hasFormat(value, !rule.identifier)) {
    return { error: 'contains an invisible formatting character' };
  }
  if (!rule.multiline && LINE_SEPARATOR.test(value)) return { error: 'contains a line separator' };
  const tidy = rule.multiline ? value : value.trim();
  if (rule.required && tidy.length === 0) return { error: 'must not be empty' };
  // Count code points, not UTF-16 units, so the limit means what a merchant sees.
  let length = 0;
  for (const _ of tidy) {
    length += 1;
    if (length > rule.max) return { error: `must be at most ${rule.max} characters` };
  }
  return { value: tidy };
}

/**
 * The comparison key: NFKC (full-width and compatibility forms fold to their plain letters) plus a
 * case fold. toUpperCase→toLowerCase approximates Unicode full case folding ('ß' → 'ss', final sigma
 * → 'σ'), which toLowerCase alone does not.
 */
export function fold(value: string): string {
  return value.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

/** Escapes LIKE wildcards so a search for '50%_off' matches those characters literally (ESCAPE '\'). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
