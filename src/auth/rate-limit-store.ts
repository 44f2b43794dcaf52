/**
 * Where throttling state lives: a counter of failures per key with an exponential lockout. Small on
 * purpose (PostgreSQL now; a Redis implementation shares the limits across servers without a database
 * round trip). Keys are opaque strings the caller has already pseudonymised.
 *
 * Contract every implementation keeps:
 * - `hit` is ONE atomic read-modify-write per key: concurrent hits on one key are serialised (a row
 *   lock in PostgreSQL; a Lua script or MULTI/WATCH in Redis), so N concurrent failures count N, and the
 *   failure that crosses the threshold is the only one that reports `lockedNow`. Implementations apply
 *   `applyFailure` below (or an exact port of it) to the state they read, so every store counts alike.
 * - A record past its `expiresAt` is as good as absent (`peek` answers null; `hit` starts afresh): the
 *   TTL in Redis, a WHERE in SQL; purging the dead rows is housekeeping, never needed for correctness.
 * - Times come from the caller (`now`), so every store judges expiry on the application's clock.
 * - `refund` takes back one attempt that `hit` counted before the password was checked and that then
 *   turned out right (S-73: count first, refund on success). Atomic per key like `hit`, by the pure
 *   rule `refundFailure` below; a record it leaves blank (`isBlank`) is deleted, so successful sign-ins
 *   leave no rows behind.
 */

export interface LockoutPolicy {
  /** Failures within the window that trigger a lockout. */
  readonly maxFailures: number;
  /** Seconds of quiet after which the record (failures and lockout history) is forgotten. */
  readonly windowSeconds: number;
  /** First lockout, in seconds; each further lockout doubles it... */
  readonly lockoutBaseSeconds: number;
  /** ...up to this. */
  readonly lockoutMaxSeconds: number;
}

export interface RateLimitState {
  /** Failures since the record started or since the last lockout. */
  readonly failures: number;
  /** Lockouts so far in this record's life (the next one lasts base × 2^lockouts). */
  readonly lockouts: number;
  /** Null, or the end of the current (or a past) lockout. */
  readonly lockedUntil: Date | null;
  /** When the record is forgotten. */
  readonly expiresAt: Date;
}

export interface HitResult extends RateLimitState {
  /** This hit started a lockout. */
  readonly lockedNow: boolean;
}

export interface RateLimitStore {
  /** Counts one failure for `key` (see applyFailure) and returns the state after it. Atomic per key. */
  hit(key: string, policy: LockoutPolicy, now: Date): Promise<HitResult>;
  /** The live state of `key`, or null when there is none (never was, or expired). Read only. */
  peek(key: string, now: Date): Promise<RateLimitState | null>;
  /** Takes back the attempt that `counted` (the result of its `hit`) recorded; see refundFailure. Atomic per key. */
  refund(key: string, policy: LockoutPolicy, now: Date, counted: HitResult): Promise<void>;
  /** Forgets `key` (a successful sign-in clears its account's failures and lockout history). */
  reset(key: string): Promise<void>;
  /** Removes up to `limit` expired records; returns how many. Stores with their own expiry return 0. */
  purgeExpired(now: Date, limit: number): Promise<number>;
  close?(): Promise<void>;
}

/**
 * The one rule, pure so that every store applies it identically:
 * - no live record → a fresh one;
 * - currently locked → unchanged (callers refuse locked keys before counting, so this only happens in
 *   a race; a failure that slipped past must not lengthen the lockout either);
 * - otherwise one more failure; reaching maxFailures locks for base × 2^lockouts (capped at the max),
 *   clears the failure count and keeps the history until a quiet window after the lockout ends.
 */
export function applyFailure(prev: RateLimitState | null, policy: LockoutPolicy, now: Date): HitResult {
  const t = now.getTime();
  const live = prev && prev.expiresAt.getTime() > t ? prev : null;
  const lockedUntil = live?.lockedUntil && live.lockedUntil.getTime() > t ? live.lockedUntil : null;
  if (live && lockedUntil) return { ...live, lockedNow: false };

  const failures = (live?.failures ?? 0) + 1;
  const lockouts = live?.lockouts ?? 0;
  const windowMs = policy.windowSeconds * 1000;
  if (failures >= policy.maxFailures) {
    const seconds = Math.min(policy.lockoutBaseSeconds * 2 ** lockouts, policy.lockoutMaxSeconds);
    const until = new Date(t + seconds * 1000);
    return { failures: 0, lockouts: lockouts + 1, lockedUntil: until, expiresAt: new Date(until.getTime() + windowMs), lockedNow: true };
  }
  return { failures, lockouts, lockedUntil: null, expiresAt: new Date(t + windowMs), lockedNow: false };
}

/**
 * Undoing one counted attempt (`counted`, what its `hit` returned) once it proved to be the right
 * password. Null when there is nothing to write (no live record). The rule:
 * - the attempt's own count started the current lockout (it was the one that reached maxFailures, and
 *   the record still holds that very lockout) → the lockout is taken back: maxFailures − 1 failures, one
 *   lockout fewer, as if this attempt had never been counted;
 * - the key is locked by some other attempt's failure → unchanged: a wrong guess locked it, and a lock
 *   is never lifted by someone else's success (the caller resets the keys a success may clear);
 * - otherwise one failure fewer, never below zero. (If a lockout came and went since the count, the
 *   failure taken back may be a later one: at most one guess more for whoever knows the password.)
 */
export function refundFailure(prev: RateLimitState | null, policy: LockoutPolicy, now: Date, counted: HitResult): RateLimitState | null {
  const t = now.getTime();
  const live = prev && prev.expiresAt.getTime() > t ? prev : null;
  if (!live) return null;
  const ours = counted.lockedNow && counted.lockedUntil && live.lockedUntil?.getTime() === counted.lockedUntil.getTime();
  if (ours) {
    return {
      failures: policy.maxFailures - 1,
      lockouts: Math.max(0, live.lockouts - 1),
      lockedUntil: null,
      expiresAt: new Date(t + policy.windowSeconds * 1000),
    };
  }
  if (counted.lockedNow || (live.lockedUntil && live.lockedUntil.getTime() > t)) return live;
  return { ...live, failures: Math.max(0, live.failures - 1) };
}

/** Nothing worth keeping: no failures and no lockout history (a hit on it would start afresh anyway). */
export function isBlank(state: RateLimitState): boolean {
  return state.failures === 0 && state.lockouts === 0;
}
