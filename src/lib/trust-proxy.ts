import { isIP } from 'node:net';

/**
 * Which proxies in front of us may tell us the client's address (TRUST_PROXY, docs/security.md S-75).
 *
 * X-Forwarded-For is a list every hop appends to, and the client writes its left end: only the entries
 * appended by proxies we trust are facts. The client address is therefore the right-most address that
 * is not one of our proxies. Two ways to say which those are:
 * - `{ hops: n }`: the last n hops are ours (the socket peer and the n−1 right-most entries). It cannot
 *   tell our proxy from a client that reaches the app port directly and writes the header itself, so
 *   the app port must be reachable by the proxies only.
 * - `{ addresses }`: addresses/CIDRs (or proxy-addr's names `loopback`, `linklocal`, `uniquelocal`);
 *   a peer outside the list is the client, whatever header it sends.
 * "Trust everything" (`true`) is refused: it makes the left-most, client-written entry the address, so
 * a forged header per request escapes every per-address limit and forges the audit trail.
 */
export type TrustedProxies = { readonly hops: number } | { readonly addresses: readonly string[] };

/** Fastify's trustProxy: (address, hop index) → is this hop one of ours. */
export type TrustProxyOption = false | string[] | ((address: string, hop: number) => boolean);

export class TrustProxyError extends Error {
  override name = 'TrustProxyError';
}

export const MAX_HOPS = 10;
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const OFF = new Set(['', 'false', '0', 'no', 'off']);
const TRUST_ALL = new Set(['true', 'yes', 'on']);

/** TRUST_PROXY's value → false (no proxy), a hop count or an address list; throws TrustProxyError with one line. */
export function parseTrustProxy(raw: string | undefined): false | TrustedProxies {
  const value = (raw ?? '').trim();
  if (OFF.has(value.toLowerCase())) return false;
  if (TRUST_ALL.has(value.toLowerCase())) {
    throw new TrustProxyError(
      `"${value}" would believe any client's X-Forwarded-For; set the number of proxies in front (e.g. 1) or their addresses (e.g. 127.0.0.1,10.0.0.0/8)`,
    );
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_HOPS) throw new TrustProxyError(`${hops} proxies is more than ${MAX_HOPS}; list their addresses instead`);
    return { hops };
  }
  const addresses = value.split(',').map((s) => s.trim());
  for (const entry of addresses) {
    const problem = addressProblem(entry);
    if (problem) throw new TrustProxyError(`"${entry}" ${problem} (use a hop count like 1, or addresses/CIDRs like 127.0.0.1,10.0.0.0/8)`);
  }
  return { addresses };
}

function addressProblem(entry: string): string | undefined {
  if (entry === '') return 'is empty';
  if (NAMED_RANGES.has(entry)) return undefined;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return 'is not an IP address or CIDR';
  if (prefix === undefined) return undefined;
  const bits = family === 4 ? 32 : 128;
  if (!/^\d+$/.test(prefix) || Number(prefix) > bits) return `has a prefix outside 1..${bits}`;
  // /0 is every address: "trust everything" again, spelt differently.
  if (Number(prefix) === 0) return 'trusts every address';
  return undefined;
}

/** What Fastify's `trustProxy` option gets: the address list as is (proxy-addr compiles it), a hop count as a function. */
export function trustProxyOption(trusted: false | TrustedProxies): TrustProxyOption {
  if (!trusted) return false;
  if ('addresses' in trusted) return [...trusted.addresses];
  // Fastify 5 (5.12 here) treats a numeric trustProxy as "trust nothing" (a hop count cannot check the
  // peer), so the hop count is spelt out as proxy-addr's trust function: hop 0 is the socket peer, hop i the i-th entry from the right.
  const { hops } = trusted;
  return (_address, hop) => hop < hops;
}
