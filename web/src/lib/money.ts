/*
 * Money in the web app is the server's own module (src/lib/money.ts, pure: Intl only), imported here
 * rather than copied, so the form and the CSV import read "14,50" exactly the same way.
 */
export { example, formatMoney, minorDigits, parseMoney, toDecimal } from '../../../src/lib/money';
