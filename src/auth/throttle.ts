import { isIPv4, isIPv6 } from 'node:net';
import { AppError } from '../errors.js';
import type { Pseudonyms } from './pseudonyms.js';
import type { HitResult, LockoutPolicy, RateLimitState, RateLimitStore } from './rate-limit-store.js';
import { usernameKey } from './usernames.js';

/**
 * Sign-in throttling (S-39 as rewritten, S-73, S-74): counters with an exponential lockout each
 * (rate-limit-store.ts has the rule), chosen so that brute force stays bounded without handing anyone a
 * lever to lock the owner out.
 *
 * Sign-in counts on three keys:
 * - `pair`: the account on this client address (LOGIN_MAX_FAILURES, 5). Guessing from one address
 *   locks that address out of that account, and nothing else (S-74).
 * - `account`: the account from all addresses together (LOGIN_ACCOUNT_MAX_FAILURES, 50): the ceiling
 *   that stops a guesser spread over many addresses. It locks the owner's sign-in too, by design; it
 *   takes ten times the guesses, and it never touches a live session (below).
 * - `address`: every account from this address (LOGIN_ADDRESS_MAX_FAILURES, 30): password spraying.
 * Re-authentication, password change and account deletion in a live session (step-up) count on the
 * `pair` key of the request's address (so one address cannot alternate sign-in and step-up guesses) and
 * on a `session` key (LOGIN_MAX_FAILURES per session, so a stolen session is no password oracle from
 * any number of addresses), and on nothing else: other addresses' failures, and the account's ceiling,
 * cannot lock a signed-in owner out of their own step-up or password change.
 *
 * Account keys are keyed by the username *key* (NFKC, lower-case), whether or not such an account
 * exists, so a lockout looks the same for an unknown name and cannot be used to enumerate. Addresses are
 * IPv4 whole, IPv6 by /64 (one host usually owns a whole /64); `request.ip` honours X-Forwarded-For only
 * behind a trusted proxy, so a forged header cannot pick a fresh counter. Every key is pseudonymised.
 *
 * Count first, check after (S-73): an attempt is counted on every key *before* its password is hashed,
 * and taken back if it was right. So N guesses in flight at once count N before any is checked, and at
 * most the limit are ever checked; the right password arriving behind them finds the key locked. (Letting
 * one attempt per key be in flight would not do: the right one would arrive after the guess in flight
 * had finished.) The keys are counted one at a time, narrowest first, and an attempt refused by a lock
 * that a concurrent attempt set meanwhile has its earlier counts taken back: a refused attempt counts
 * nowhere, so a locked-out guesser cannot keep feeding the account's ceiling.
 *
 * On success: the `pair` and `account` keys are forgotten (NIST 800-63B limits *consecutive* failures;
 * the owner's own typos are forgiven) — and the `session` key for step-up; the `address` key only has
 * this attempt taken back (an attacker's own valid account must not wash an address clean).
 *
 * Across a rotation of the pseudonym key (pseudonym-rotation.ts) every counter has its key under the
 * current key and, during the grace period, its key under the previous one (`previous`). Checks consult
 * both: a lockout under either refuses, and the failures and lockouts counted under the previous key
 * carry over (this attempt's policy is lowered by them: fewer failures left, a longer next lockout), so
 * rotating never unlocks anyone. New failures are counted under the current key only; a success resets
 * both. Servers that have not yet heard of the rotation keep counting under the previous key, which the
 * others consult: nothing is lost while the news travels.
 *
 * How it can fail: a store outage makes counting throw, and the request fails (503 for a database
 * outage) instead of signing anyone in unthrottled: closed, not open.
 */

export type Scope = 'pair' | 'account' | 'address' | 'session' | 'factor-pair' | 'factor-account';

export interface ThrottlePolicy {
  /** Per account and client address; also per session for step-up. */
  readonly pair: LockoutPolicy;
  /** Per account, all addresses together: the ceiling. */
  readonly account: LockoutPolicy;
  /** Per client address, all accounts together. */
  readonly address: LockoutPolicy;
}

/** REGISTER_ADDRESS_MAX sign-ups from one address, then a pause of this long. */
export const REGISTER_WINDOW_SECONDS = 3600;

/** One counter an attempt is counted on, and what a success does to it. */
export interface Counter {
  readonly scope: Scope;
  /** Under the current pseudonym key: where this attempt counts. */
  readonly key: string;
  /** The same counter under the previous key, during a rotation's grace period: consulted, never counted. */
  readonly previous: readonly string[];
  readonly policy: LockoutPolicy;
  readonly onSuccess: 'reset' | 'refund';
}

export type AttemptOutcome<T> =
  | { readonly kind: 'ok'; readonly value: T }
  /** Refused before checking: a key was already locked (this attempt counts nowhere). */
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

  /** The counters of a sign-in (`pair`, `address`, `account`: narrowest first, see attempt). */
  async signIn(username: string, ip: string | undefined): Promise<Counter[]> {
    const { account, address, pair } = await this.pseudonymsOf(username, ip);
    return [
      counter('pair', 'login:pair:', pair, this.policy.pair, 'reset'),
      counter('address', 'login:address:', address, this.policy.address, 'refund'),
      counter('account', 'login:account:', account, this.policy.account, 'reset'),
    ];
  }

  /**
   * The counters of a sign-in's second step (a TOTP or recovery code after the right password): the
   * sign-in's own three, so code failures count exactly like password failures, plus `factor-pair` and
   * `factor-account`, which only a successful second step resets. Without those, whoever holds the
   * password could sign in again after every few wrong codes — the right password resets the sign-in
   * keys — and guess codes without end. The account's factor key has the account ceiling's policy, so
   * guessing from one address cannot lock the owner's second step elsewhere (S-74).
   */
  async secondFactor(username: string, ip: string | undefined): Promise<Counter[]> {
    const { account, pair } = await this.pseudonymsOf(username, ip);
    const [signInPair, address, signInAccount] = await this.signIn(username, ip);
    return [
      signInPair!,
      counter('factor-pair', 'factor:pair:', pair, this.policy.pair, 'reset'),
      address!,
      signInAccount!,
      counter('factor-account', 'factor:account:', account, this.policy.account, 'reset'),
    ];
  }

  /**
   * The counters of a signed-in user's own password check (step-up, password change, deletion): the
   * `pair` key of this address, shared with sign-in, and the session's own key (its public id, which
   * rotation keeps). Never the account's ceiling nor the address key: nobody else's failures lock it.
   */
  async stepUp(username: string, ip: string | undefined, sessionId: string): Promise<Counter[]> {
    const [{ pair }, session] = await Promise.all([this.pseudonymsOf(username, ip), this.pseudonyms.variants('session', sessionId)]);
    return [
      counter('pair', 'login:pair:', pair, this.policy.pair, 'reset'),
      counter('session', 'login:session:', session, this.policy.pair, 'reset'),
    ];
  }

  /** The later end of any current lockout on these counters (under either key), or null when none is locked. Reads only. */
  async lockedUntil(counters: readonly Counter[]): Promise<Date | null> {
    return (await this.look(counters, new Date(this.clock()))).until;
  }

  /**
   * Reads every counter under every key: the latest lockout end still ahead, and the policy each
   * counter's next failure is counted by, lowered by what its previous-key records already hold.
   */
  private async look(counters: readonly Counter[], now: Date): Promise<{ until: Date | null; policies: LockoutPolicy[] }> {
    const looks = await Promise.all(
      counters.map(async (c) => {
        const [own, ...old] = await Promise.all([c.key, ...c.previous].map((k) => this.store.peek(k, now)));
        return { ends: [own, ...old].map((s) => s?.lockedUntil ?? null), policy: inherit(c.policy, old) };
      }),
    );
    return {
      until: latest(
        looks.flatMap((l) => l.ends),
        now,
      ),
      policies: looks.map((l) => l.policy),
    };
  }

  /**
   * Count, then check, then settle (S-73). `verify` (the password check) answers the value on success
   * and null on any failure; it runs only once this attempt is counted on every key and none was
   * locked before it.
   */
  async attempt<T>(counters: readonly Counter[], verify: () => Promise<T | null>): Promise<AttemptOutcome<T>> {
    // Already locked: refuse with no write at all (a flood against a locked key stays read-only).
    const now = new Date(this.clock());
    const { until: locked, policies } = await this.look(counters, now);
    if (locked) return { kind: 'locked', until: locked };

    const counted: Counted[] = [];
    for (const [i, counter] of counters.entries()) {
      const policy = policies[i]!;
      const hit = await this.store.hit(counter.key, policy, now);
      // Locked by a concurrent attempt since the look above (a hit on a locked key changes nothing).
      // The attempt that locks a key (`lockedNow`) is still checked: it is the limit-th guess.
      if (!hit.lockedNow && hit.lockedUntil && hit.lockedUntil > now) {
        await this.refund(counted);
        return { kind: 'locked', until: hit.lockedUntil };
      }
      counted.push({ counter, policy, hit });
    }

    let value: T | null;
    try {
      value = await verify();
    } catch (err) {
      // Not checked after all (hash queue full: 503; database down): the guess must not count.
      await this.refund(counted).catch(() => {});
      throw err;
    }
    if (value !== null) {
      await Promise.all(
        counted.flatMap(({ counter, policy, hit }) =>
          counter.onSuccess === 'reset'
            ? [counter.key, ...counter.previous].map((k) => this.store.reset(k))
            : [this.store.refund(counter.key, policy, new Date(this.clock()), hit)],
        ),
      );
      return { kind: 'ok', value };
    }
    const lockedNow = counted.filter((c) => c.hit.lockedNow).map((c) => c.counter.scope);
    return {
      kind: 'failed',
      lockedUntil: latest(
        counted.map((c) => c.hit.lockedUntil),
        now,
      ),
      lockedNow,
    };
  }

  /**
   * At most one use of `key` per `intervalSeconds` (e.g. one data export a minute). Null when allowed
   * (and counted), else the time the next use is allowed. One atomic hit: two racing uses cannot both pass.
   */
  async oncePer(keys: string | readonly string[], intervalSeconds: number): Promise<Date | null> {
    return this.quota(keys, 1, intervalSeconds);
  }

  /**
   * At most `max` uses of `key` in a run of uses with less than `intervalSeconds` between them; the use
   * that reaches `max` closes the key for `intervalSeconds`. Null when allowed (and counted), else the
   * time the next use is allowed. One atomic hit per use, so racing uses cannot overshoot.
   * `keys`: the key under the current pseudonym key first, then under the previous one (a rotation's
   * grace period), whose record is consulted like the sign-in counters' (closed stays closed, uses
   * made count) and never counted on.
   */
  async quota(keys: string | readonly string[], max: number, intervalSeconds: number): Promise<Date | null> {
    const [key, ...previous] = typeof keys === 'string' ? [keys] : keys;
    if (key === undefined) throw new Error('quota: no key');
    const now = new Date(this.clock());
    const old = await Promise.all(previous.map((k) => this.store.peek(k, now)));
    const closed = latest(
      old.map((s) => s?.lockedUntil ?? null),
      now,
    );
    if (closed) return closed;
    const policy = inherit(
      { maxFailures: max, windowSeconds: intervalSeconds, lockoutBaseSeconds: intervalSeconds, lockoutMaxSeconds: intervalSeconds },
      old,
    );
    const hit = await this.store.hit(key, policy, now);
    return hit.lockedNow ? null : hit.lockedUntil;
  }

  /** The counter keys of a client address group for `purpose` (pseudonymised like the sign-in keys; current key first). */
  async addressKeys(purpose: string, ip: string | undefined): Promise<string[]> {
    return this.pseudonyms.keys(`${purpose}:address:`, 'address', addressGroup(ip));
  }

  /** Counter keys of any other value for `purpose` (pseudonymised like the sign-in keys; current key first). */
  async pseudonymKeys(prefix: string, kind: string, value: string): Promise<string[]> {
    return this.pseudonyms.keys(prefix, kind, value);
  }

  /**
   * Lifts the account's lockout: its cross-address counter, and its counter at `ip` (the address that
   * completed a reset, where the owner most likely locked themselves out). A completed password reset
   * proved the owner holds the link, so earlier guesses no longer keep them out. The address's own
   * counter (all accounts) stays: it is not the account's.
   */
  async clearAccount(username: string, ip: string | undefined): Promise<void> {
    const { account, pair } = await this.pseudonymsOf(username, ip);
    await Promise.all([
      ...account.map((p) => this.store.reset(`login:account:${p}`)),
      ...pair.map((p) => this.store.reset(`login:pair:${p}`)),
    ]);
  }

  now(): number {
    return this.clock();
  }

  private async refund(counted: readonly Counted[]): Promise<void> {
    const now = new Date(this.clock());
    await Promise.all(counted.map(({ counter, policy, hit }) => this.store.refund(counter.key, policy, now, hit)));
  }

  /** Each pseudonym under the current key, then under the previous one during a grace period. */
  private async pseudonymsOf(username: string, ip: string | undefined): Promise<{ account: string[]; address: string[]; pair: string[] }> {
    const name = usernameKey(username);
    const group = addressGroup(ip);
    const [account, address, pair] = await Promise.all([
      this.pseudonyms.variants('username', name),
      this.pseudonyms.variants('address', group),
      this.pseudonyms.variants('username-address', `${name}\u0000${group}`),
    ]);
    return { account, address, pair };
  }
}

/** An attempt counted on a counter, by the policy it was counted under (a refund must use the same). */
interface Counted {
  readonly counter: Counter;
  readonly policy: LockoutPolicy;
  readonly hit: HitResult;
}

function counter(
  scope: Scope,
  prefix: string,
  pseudonyms: readonly string[],
  policy: LockoutPolicy,
  onSuccess: Counter['onSuccess'],
): Counter {
  const [key, ...previous] = pseudonyms.map((p) => `${prefix}${p}`);
  return { scope, key: key!, previous, policy, onSuccess };
}

/**
 * The policy for the next failure on a counter whose previous-key records (`old`, live or null) hold
 * failures and lockouts: as many failures fewer before the lockout (at least one), and the lockout as
 * long as the old record's history makes it. So a counter reads the same across a rotation.
 */
function inherit(policy: LockoutPolicy, old: readonly (RateLimitState | null)[]): LockoutPolicy {
  const live = old.filter((s): s is RateLimitState => s !== null);
  if (live.length === 0) return policy;
  const failures = live.reduce((n, s) => n + s.failures, 0);
  const lockouts = Math.max(...live.map((s) => s.lockouts));
  return {
    ...policy,
    maxFailures: Math.max(1, policy.maxFailures - failures),
    lockoutBaseSeconds: Math.min(policy.lockoutBaseSeconds * 2 ** lockouts, policy.lockoutMaxSeconds),
  };
}

/** The latest of these lockout ends that is still ahead of `now`, or null. */
function latest(ends: readonly (Date | null)[], now: Date): Date | null {
  let until: Date | null = null;
  for (const end of ends) if (end && end > now && (!until || end > until)) until = end;
  return until;
}
