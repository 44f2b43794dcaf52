import { dataNodes, type RedisClient } from './connection.js';

/**
 * Redis must never evict our keys on its own: an evicted throttling record lifts a lockout, and the
 * session tier's deletes and fills assume that only Stockade removes its keys. Every
 * session key has a TTL, so the `volatile-*` policies evict them just as `allkeys-*` do: only
 * `noeviction` is safe (a full Redis then refuses writes, which the session tier treats as "do not
 * cache this", tiers/redis-tier.ts).
 *
 * Managed Redis services often refuse CONFIG GET: then the policy is unknown, the caller warns once and
 * goes on (the operator has been told what to set).
 */

export const SAFE_POLICY = 'noeviction';

export type PolicyCheck =
  | { readonly kind: 'safe' }
  | { readonly kind: 'unsafe'; readonly policy: string; readonly node: string; readonly message: string }
  | { readonly kind: 'unknown'; readonly message: string };

/** Asks every data node. Rejects only when Redis cannot be reached (the caller decides what that means). */
export async function checkEvictionPolicy(client: RedisClient): Promise<PolicyCheck> {
  for (const node of dataNodes(client)) {
    let reply: unknown;
    try {
      reply = await node.call('CONFIG', 'GET', 'maxmemory-policy');
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      // A server error (NOPERM, unknown or renamed command) is an answer: CONFIG is not ours to read.
      if (/^(ERR|NOPERM|WRONGPASS|NOAUTH)\b/.test(text) || /unknown command|no permissions/i.test(text)) {
        return {
          kind: 'unknown',
          message: `cannot read Redis maxmemory-policy (${text.split('\n')[0]}): make sure it is ${SAFE_POLICY}, or Redis may evict session keys`,
        };
      }
      throw err;
    }
    const policy = Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined;
    if (policy === undefined)
      return { kind: 'unknown', message: `Redis did not report its maxmemory-policy: make sure it is ${SAFE_POLICY}` };
    if (policy !== SAFE_POLICY) {
      const where = `${node.options.host}:${node.options.port}`;
      return {
        kind: 'unsafe',
        policy,
        node: where,
        message: `Redis maxmemory-policy is ${policy} on ${where}: it can evict session keys; set maxmemory-policy ${SAFE_POLICY}`,
      };
    }
  }
  return { kind: 'safe' };
}
