import { isIPv4, isIPv6 } from 'node:net';
import { AppError } from '../errors.js';
import type { Pseudonyms } from './pseudonyms.js';
import type { LockoutPolicy, RateLimitStore } from './rate-limit-store.js';
import { usernameKey } from './usernames.js';

/**
 * Sign-in throttling (S-39): two counters for every password check, one per account and one per client
 * address, each with an exponential lockout (rate-limit-store.ts has the rule).
 *
 * - The account counter is keyed by the username *key* (NFKC, lower-case), whether or not such an
 *   account exists, so a lockout looks the same for an unknown name and cannot be used to enumerate.
 *   Re-authentication, password change and account deletion count on the same key as sign-in.
 * - The address counter is keyed by the client address (IPv4 whole, IPv6 by /64: one host usually owns
 *   a whole /64). `request.ip` honours X-Forwarded-For only with TRUST_PROXY, so a forged header cannot
 *   pick a fresh counter.
 * - A locked key refuses *before* the password is checked: no hash is spent, and even the right
 *   password is refused until the lockout ends.
 * - Success clears the account counter (not the address one: an attacker's own valid account must not
 *   wash an address clean).
 *
 * How it can fail: a store outage makes check/failure throw, and the request fails (503 for a database
 * outage) instead of signing anyone in unthrottled: closed, not open.
 */

export type Scope = 'account' | 'address';

export interface ThrottlePolicy {
  readonly account: LockoutPolicy;
  readonly address: LockoutPolicy;
}

export interface ThrottleKeys {
  readonly account: string;
  readonly address: string;
}

export type AttemptOutcome<T> =
  | { readonly kind: 'ok'; readonly value: T }
  /** Refused before checking: a key was already locked. */
  | { readonly kind: 'locked'; readonly until: Date }
  /** Checked and wrong; `lockedUntil` when this failure (or an earlier one) locked a key. */
  | { readonly kind: 'failed'; readonly lockedUntil: Date | null; readonly lockedNow: readonly Scope[] };

/** The client address group a limit applies to: IPv4 as is, IPv6 by /64. */
export function addressGroup(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return 'unknown';
  const [head = '', tail = ''] = ip.split('%')[0]!.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

/** The one refusal every locked key gets, whoever the account and whether or not it exists. */
export function tooManyAttempts(until: Date, now: number): AppError {
  return new AppError('rate_limited', 'Too many attempts. Wait a little, then try again.', {
    retryAfter: Math.max(1, Math.ceil((until.getTime() - now) / 1000)),
  });
}

export class LoginThrottle {
  constructor(
    private readonly store: RateLimitStore,
    private readonly pseudonyms: Pseudonyms,
    private readonly policy: ThrottlePolicy,
    private readonly clock: () => number = Date.now,
  ) {}

  async keys(username: string, ip: string | undefined): Promise<ThrottleKeys> {
    const [account, address] = await Promise.all([
      this.pseudonyms.of('username', usernameKey(username)),
      this.pseudonyms.of('address', addressGroup(ip)),
    ]);
    return { account: `login:account:${account}`, address: `login:address:${address}` };
  }

  /** The later end of any current lockout on these keys, or null when neither is locked. */
  async lockedUntil(keys: ThrottleKeys): Promise<Date | null> {
    const now = new Date(this.clock());
    const states = await Promise.all([this.store.peek(keys.account, now), this.store.peek(keys.address, now)]);
    let until: Date | null = null;
    for (const s of states) {
      if (s?.lockedUntil && s.lockedUntil > now && (!until || s.lockedUntil > until)) until = s.lockedUntil;
    }
    return until;
  }

  async failure(keys: ThrottleKeys): Promise<{ lockedUntil: Date | null; lockedNow: Scope[] }> {
    const now = new Date(this.clock());
    const [account, address] = await Promise.all([
      this.store.hit(keys.account, this.policy.account, now),
      this.store.hit(keys.address, this.policy.address, now),
    ]);
    const lockedNow: Scope[] = [];
    if (account.lockedNow) lockedNow.push('account');
    if (address.lockedNow) lockedNow.push('address');
    let lockedUntil: Date | null = null;
    for (const s of [account, address]) {
      if (s.lockedUntil && s.lockedUntil > now && (!lockedUntil || s.lockedUntil > lockedUntil)) lockedUntil = s.lockedUntil;
    }
    return { lockedUntil, lockedNow };
  }

  async success(keys: ThrottleKeys): Promise<void> {
    await this.store.reset(keys.account);
  }

  /**
   * Check the locks, then run `verify` (the password check), then count the result. `verify` answers
   * the value on success and null on any failure.
   */
  async attempt<T>(keys: ThrottleKeys, verify: () => Promise<T | null>): Promise<AttemptOutcome<T>> {
    const locked = await this.lockedUntil(keys);
    if (locked) return { kind: 'locked', until: locked };
    const value = await verify();
    if (value !== null) {
      await this.success(keys);
      return { kind: 'ok', value };
    }
    return { kind: 'failed', ...(await this.failure(keys)) };
  }

  /**
   * At most one use of `key` per `intervalSeconds` (e.g. one data export a minute). Null when allowed
   * (and counted), else the time the next use is allowed. One atomic hit: two racing uses cannot both pass.
   */
  async oncePer(key: string, intervalSeconds: number): Promise<Date | null> {
    return this.quota(key, 1, intervalSeconds);
  }

  /**
   * At most `max` uses of `key` in a run of uses with less than `intervalSeconds` between them; the use
   * that reaches `max` closes the key for `intervalSeconds`. Null when allowed (and counted), else the
   * time the next use is allowed. One atomic hit per use, so racing uses cannot overshoot.
   */
  async quota(key: string, max: number, intervalSeconds: number): Promise<Date | null> {
    const policy = { maxFailures: max, windowSeconds: intervalSeconds, lockoutBaseSeconds: intervalSeconds, lockoutMaxSeconds: intervalSeconds };
    const hit = await this.store.hit(key, policy, new Date(this.clock()));
    return hit.lockedNow ? null : hit.lockedUntil;
  }

  /** The counter key of a client address group for `purpose` (pseudonymised, like the sign-in keys). */
  async addressKey(purpose: string, ip: string | undefined): Promise<string> {
    return `${purpose}:address:${await this.pseudonyms.of('address', addressGroup(ip))}`;
  }

  now(): number {
    return this.clock();
  }
}
