/*
 * Money, as people type it and as the API stores it (docs/api.md "v2 conventions": integer minor units
 * of the shop's currency). One module for the server (CSV import and export) and the web app (forms and
 * every amount shown), which imports this very file (web/src/lib/money.ts re-exports it): the two can
 * never disagree about what "14,50" means. Pure: Intl only, no Node or DOM API.
 *
 * How input can be misread, and what we do about it. The issue that started this: "14,50" was saved as
 * 1,450.00 without a word (the comma was dropped as a thousands separator). Rules:
 * - One separator, "." or ",", is the decimal separator: "14,50" and "14.50" are both 14.50.
 * - More digits after it than the currency has decimals is refused, never rounded: "14.505" in EUR. That
 *   covers the thousands case for 0- and 2-decimal currencies: "1,450" and "1.450" could be 1450 or 1.45
 *   and are refused, naming both readings.
 * - In a 3-decimal currency (KWD, BHD, …) three digits after the separator are the currency's own
 *   fils/baisa, but "1,450" could still be thousands written with a comma: refused. "1.450" is 1.450
 *   there — those currencies write their decimals with a point and group thousands with commas.
 * - Two or more separators ("1,450.00", "1.450,00") are refused: which one is the decimal depends on a
 *   locale we do not know, and guessing is how magnitudes change silently.
 * - Negative amounts, letters, spaces inside the number: refused.
 * Every refusal quotes what was typed (shortened, control characters removed), so the person sees their
 * own input next to the reason.
 */

/** Decimal digits of a currency's minor unit: 0 for JPY, 2 for EUR, 3 for KWD (ISO 4217, via Intl). */
export function minorDigits(currency: string): number {
  const cached = DIGITS.get(currency);
  if (cached !== undefined) return cached;
  // Throws a RangeError for a code that is not a currency: the caller's bug (shops.currency is checked).
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  DIGITS.set(currency, digits);
  return digits;
}
const DIGITS = new Map<string, number>();

export type MoneyParse = { ok: true; minor: number | null } | { ok: false; message: string };

/** Largest amount accepted, in minor units: the item bound (inventory/fields.ts LIMITS.cents). */
export const MAX_MINOR = 9_000_000_000;

/** What was typed, safe to repeat in a message: no control characters, at most 40 characters. */
export function quoted(input: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const clean = input.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim();
  const short = [...clean].length > 40 ? `${[...clean].slice(0, 39).join('')}…` : clean;
  return `“${short}”`;
}

const SEPARATORS = /[.,]/g;

/**
 * An amount as typed → integer minor units of `currency`; empty (or only spaces) → null. Never rounds,
 * never drops a separator: anything that could be read two ways is refused with a message naming it.
 */
export function parseMoney(input: string, currency: string): MoneyParse {
  const digits = minorDigits(currency);
  const text = input.trim();
  if (text === '') return { ok: true, minor: null };
  const shown = quoted(text);
  if (/^[-\u2212]/.test(text)) return { ok: false, message: `${shown} is negative: an amount cannot be below zero` };
  if (!/^[0-9.,]+$/.test(text)) {
    return { ok: false, message: `${shown} is not an amount: use digits and at most one decimal separator, like ${example(currency)}` };
  }
  const separators = text.match(SEPARATORS) ?? [];
  if (separators.length > 1) {
    return {
      ok: false,
      message: `${shown} has ${separators.length} separators: type it without thousands separators, like ${example(currency)}`,
    };
  }
  const [whole = '', fraction = ''] = text.split(SEPARATORS);
  if (whole === '' && fraction === '') return { ok: false, message: `${shown} is not an amount` };
  // Three digits after one separator, after one to three digits, is also how thousands are written.
  const thousandsShape = fraction.length === 3 && whole.length >= 1 && whole.length <= 3 && !whole.startsWith('0');
  if (fraction.length > digits) {
    // Both readings are amounts ("1,450": 1450 or 1.45): name both, the person picks one by retyping.
    if (thousandsShape && /^0*$/.test(fraction.slice(digits))) return { ok: false, message: ambiguous(shown, whole, fraction, digits) };
    const orThousands = thousandsShape ? `; for ${whole}${fraction} type it without the separator` : '';
    return {
      ok: false,
      message:
        digits === 0
          ? `${shown} has decimals, but ${currency} amounts are whole numbers${orThousands}`
          : `${shown} has ${fraction.length} decimals, but ${currency} has ${digits}${orThousands}`,
    };
  }
  if (digits === 3 && thousandsShape && separators[0] === ',') {
    return { ok: false, message: ambiguous(shown, whole, fraction, digits) };
  }
  if (whole.length > 15) return { ok: false, message: `${shown} is too large` };
  const minor = Number(whole || '0') * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
  if (minor > MAX_MINOR) return { ok: false, message: `${shown} is too large: at most ${toDecimal(MAX_MINOR, currency)}` };
  return { ok: true, minor };
}

/** "1,450" could be thousands or decimals: both readings, so the person picks one by retyping it. */
function ambiguous(shown: string, whole: string, fraction: string, digits: number): string {
  const thousands = `${whole}${fraction}`;
  const kept = fraction.slice(0, digits).replace(/0+$/, '');
  const decimal = kept === '' ? whole : `${whole}.${kept}`;
  return `${shown} is ambiguous (${thousands} or ${decimal}?): type ${thousands} or ${decimal}`;
}

/** Minor units → the plain decimal a form field or a CSV cell holds: 1450 → "14.50" (EUR), "1450" (JPY). */
export function toDecimal(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  if (digits === 0) return String(minor);
  const sign = minor < 0 ? '-' : '';
  const abs = String(Math.abs(minor)).padStart(digits + 1, '0');
  return `${sign}${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
}

const FORMATS = new Map<string, Intl.NumberFormat>();

/** Minor units → the amount as people read it, with the currency's symbol: "€14.50", "¥750", "KWD 1.450". */
export function formatMoney(minor: number | null | undefined, currency: string, locale?: string): string {
  if (minor === null || minor === undefined) return '—';
  const key = `${locale ?? ''}|${currency}`;
  let format = FORMATS.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    FORMATS.set(key, format);
  }
  return format.format(minor / 10 ** minorDigits(currency));
}

/** An example amount in this currency, for messages: "14.50", "750", "1.450". */
export function example(currency: string): string {
  const digits = minorDigits(currency);
  return digits === 0 ? '750' : digits === 3 ? '1.450' : '14.50';
}
