/** Display and parsing of the API's units: integer cents, integer quantities, ISO 8601 UTC times. */

const number = new Intl.NumberFormat(undefined);
const money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const formatNumber = (n: number) => number.format(n);

/** Cents as "1,234.50". Stockade does not know the merchant's currency, so no symbol is shown. */
export const formatCents = (cents: number | null | undefined) => (cents === null || cents === undefined ? '—' : money.format(cents / 100));

/** Cents as the form shows them for editing: "1234.50", "" for none. */
export const centsToInput = (cents: number | null | undefined) => {
  if (cents === null || cents === undefined) return '';
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
};

/**
 * "12.5" → 1250. Done on the digits, not with floating point (12.29 * 100 is 1228.9999…).
 * Returns null for empty input and NaN for input that is not an amount.
 */
export function parseCents(input: string): number | null {
  const s = input.trim().replace(/,/g, '');
  if (s === '') return null;
  const m = /^(\d{1,12})(?:\.(\d{0,2}))?$/.exec(s);
  if (!m) return Number.NaN;
  const whole = Number(m[1]);
  const frac = Number((m[2] ?? '').padEnd(2, '0'));
  return whole * 100 + frac;
}

/** "42" → 42; "" → null; anything that is not a whole number → NaN. */
export function parseWhole(input: string, opts: { signed?: boolean } = {}): number | null {
  const s = input
    .trim()
    .replace(/^\+/, '')
    .replace(/\u2212/g, '-');
  if (s === '') return null;
  const re = opts.signed ? /^-?\d{1,9}$/ : /^\d{1,9}$/;
  return re.test(s) ? Number(s) : Number.NaN;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

export const formatDateTime = (iso: string | null | undefined) => (iso ? dateTime.format(new Date(iso)) : '—');
export const formatDay = (d: Date) => dateOnly.format(d);

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "3 minutes ago", "yesterday". */
export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return 'just now';
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86400), 'day');
}

export const signed = (n: number) => (n > 0 ? `+${formatNumber(n)}` : `−${formatNumber(Math.abs(n))}`);

/**
 * "Chrome on Linux". The server already stores only such a summary (it minimises what it keeps of the
 * User-Agent); a full User-Agent string (one with product/version tokens) is summarised here the same way.
 */
export function describeDevice(userAgent: string | null | undefined): string {
  if (!userAgent) return 'Unknown device';
  const ua = userAgent;
  if (!ua.includes('/')) return ua;
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /OPR\//.test(ua)
      ? 'Opera'
      : /Firefox\//.test(ua)
        ? 'Firefox'
        : /HeadlessChrome|Chrome\/|CriOS/.test(ua)
          ? 'Chrome'
          : /Safari\//.test(ua)
            ? 'Safari'
            : /curl\//.test(ua)
              ? 'curl'
              : null;
  const os = /iPhone|iPad|iPod/.test(ua)
    ? 'iOS'
    : /Android/.test(ua)
      ? 'Android'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X|Macintosh/.test(ua)
          ? 'macOS'
          : /CrOS/.test(ua)
            ? 'ChromeOS'
            : /Linux/.test(ua)
              ? 'Linux'
              : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? ua.slice(0, 40);
}
