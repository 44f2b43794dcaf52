/** Display and parsing of the API's units: integer quantities, ISO 8601 UTC times (money: lib/money.ts). */

const number = new Intl.NumberFormat(undefined);

export const formatNumber = (n: number) => number.format(n);

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

/**
 * The address a session was seen from, in plain words. The server keeps it truncated (IPv4 /24, IPv6
 * /48: "203.0.113.0/24"), so it names a network, never a machine: "Internet address 203.0.113.x",
 * "Your local network (192.168.1.x)", "This computer".
 */
export function describeAddress(ip: string | null | undefined): string {
  if (!ip) return 'Address unknown';
  const [address = ''] = ip.split('/');
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.\d+$/.exec(address);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    const network = `${v4[1]}.${v4[2]}.${v4[3]}.x`;
    if (a === 127) return 'This computer';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return `A local network (${network})`;
    return `Internet address ${network}`;
  }
  const v6 = address.toLowerCase();
  if (v6 === '::' || v6 === '::1') return 'This computer';
  if (/^f[cd]/.test(v6)) return 'A local network (IPv6)';
  const prefix = v6.replace(/::$/, '').split(':').slice(0, 3).join(':');
  return `Internet address ${prefix}:… (IPv6)`;
}
