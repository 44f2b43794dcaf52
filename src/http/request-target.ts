/**
 * Canonical request targets (docs/security.md S-71). The router resolves several spellings to one route: it
 * percent-decodes the path (`/%61pi/items` is `/api/items`) and strips the scheme and host of an
 * absolute-form target (`POST http://host/api/items HTTP/1.1`). Anything else that reads the raw target —
 * a hook's `startsWith('/api/')`, a proxy's or WAF's path rule in front of us, a log search, the
 * idempotency fingerprint — would see a different path than the router, and that gap was a CSRF and
 * no-store bypass. So only the one spelling the router would produce is accepted; the others are 400:
 *
 * - origin-form only (RFC 9112 §3.2.1): a target must start with `/`. Absolute-form is for requests to
 *   proxies, and asterisk-form (`OPTIONS *`) names no resource of ours;
 * - no percent-encoded unreserved character (ALPHA, DIGIT, `-`, `.`, `_`, `~`) in the path: RFC 3986
 *   §6.2.2.2 says they are equivalent to the plain character and normalisers decode them, so no honest
 *   client sends them (encodeURIComponent never does). Encoded reserved characters (`%2F`, `%3F`, …) and
 *   non-ASCII stay allowed: they mean something else than the plain character, and the router keeps
 *   them apart too;
 * - no `#`: a fragment never belongs in a request target, and the router would cut the path there.
 *
 * The query string is data, not routing, and is left alone (request-hygiene.ts checks its encoding).
 * Cost: two `indexOf`s per request; the path is scanned only when it holds a `%`.
 */

const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;

/** Why a request target is refused, or null when it is canonical. */
export function nonCanonicalTarget(url: string): string | null {
  if (url.charCodeAt(0) !== 0x2f) return 'not origin-form';
  const query = url.indexOf('?');
  const end = query < 0 ? url.length : query;
  const hash = url.indexOf('#');
  if (hash >= 0 && hash < end) return 'fragment';
  for (let i = url.indexOf('%'); i >= 0 && i < end; i = url.indexOf('%', i + 1)) {
    const hex = url.slice(i + 1, i + 3);
    // A broken escape (`%4`, `%zz`) is the router's to refuse (frameworkErrors: 400), not ours.
    if (HEX_PAIR.test(hex) && isUnreserved(Number.parseInt(hex, 16))) return 'percent-encoded unreserved character';
  }
  return null;
}

function isUnreserved(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2d || // -
    c === 0x2e || // .
    c === 0x5f || // _
    c === 0x7e // ~
  );
}
