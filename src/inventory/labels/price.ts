/*
 * A price on a label, in the shop's currency (shops.currency, ISO 4217). Prices are stored in the
 * currency's minor units (docs/api.md: `priceCents`), whose number of digits Intl knows per currency
 * (2 for EUR, 0 for JPY, 3 for BHD). The locale is fixed: a label is printed once and read by anyone.
 */

const LOCALE = 'en';

export function formatPrice(minorUnits: number | null, currency: string): string {
  if (minorUnits === null) return '';
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat(LOCALE, { style: 'currency', currency });
  } catch {
    // A currency Intl does not know (the column is char(3), checked by the application on write):
    // the amount with its code, rather than no label at all.
    format = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return `${format.format(minorUnits / 100)} ${currency}`;
  }
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minorUnits / 10 ** digits);
}
