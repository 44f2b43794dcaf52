import type { RedisBreaker } from '../redis/breaker.js';
import { isOutOfMemory, type RedisClient } from '../redis/connection.js';
import { LuaScript } from '../redis/script.js';
import type { HitResult, LockoutPolicy, RateLimitState, RateLimitStore } from './rate-limit-store.js';

/**
 * Throttling state in Redis, so a limit holds across every server without a database round trip.
 *
 * - `hit` is one Lua script on one key: Redis runs scripts one at a time, so concurrent hits on a key are
 *   serialised and each sees the previous one's result (N concurrent failures count N; exactly one of
 *   them reports `lockedNow`). The script is a line-by-line port of `applyFailure` (rate-limit-store.ts),
 *   in the same double arithmetic, so both stores count alike; the contract suite runs on both.
 * - Expiry is judged on the caller's clock (`now`), as the contract requires: the record carries its
 *   expiresAt and the script compares. The Redis TTL (the same lifetime, relative) only frees memory.
 * - A sorted set `<prefix>rx` of keys by expiresAt lets `purgeExpired` find dead records without a scan
 *   (housekeeping only: a missed entry is still freed by the TTL).
 * - Redis unavailable (or full): every call falls back to `fallback` (the PostgreSQL store) through the breaker,
 *   so sign-in keeps being throttled during an outage. Counts restart when the store switches over, so
 *   an attacker gains at most one extra allowance per outage.
 *
 * Value: "failures|lockouts|lockedUntil ms (empty for none)|expiresAt ms".
 */

const HIT = new LuaScript(`
local t = tonumber(ARGV[1])
local maxFailures = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[3]) * 1000
local base = tonumber(ARGV[4])
local maxLock = tonumber(ARGV[5])
local v = redis.call('GET', KEYS[1])
local live = nil
if v then
  local f, l, u, e = string.match(v, '^(%d+)|(%d+)|(%d*)|(%d+)$')
  if f and tonumber(e) > t then
    live = { failures = tonumber(f), lockouts = tonumber(l), lockedUntil = (u ~= '' and tonumber(u)) or nil, expiresAt = tonumber(e) }
  end
end
if live and live.lockedUntil and live.lockedUntil > t then
  return { live.failures, live.lockouts, live.lockedUntil, live.expiresAt, 0 }
end
local failures = ((live and live.failures) or 0) + 1
local lockouts = (live and live.lockouts) or 0
local out
if failures >= maxFailures then
  local seconds = math.min(base * 2 ^ lockouts, maxLock)
  local untilMs = math.floor(t + seconds * 1000)
  out = { 0, lockouts + 1, untilMs, math.floor(untilMs + windowMs), 1 }
else
  out = { failures, lockouts, -1, math.floor(t + windowMs), 0 }
end
local u = ''
if out[3] >= 0 then u = string.format('%d', out[3]) end
redis.call('SET', KEYS[1], string.format('%d|%d|%s|%d', out[1], out[2], u, out[4]), 'PX', math.max(1, out[4] - t))
return out`);

/** `refundFailure` (rate-limit-store.ts), ported line by line like HIT; a blank record (`isBlank`) is deleted. ARGV: now, maxFailures, window s, lockedNow 0/1, its lockedUntil ms or -1. */
const REFUND = new LuaScript(`
local t = tonumber(ARGV[1])
local maxFailures = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[3]) * 1000
local countedLockedNow = ARGV[4] == '1'
local countedUntil = tonumber(ARGV[5])
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local f, l, u, e = string.match(v, '^(%d+)|(%d+)|(%d*)|(%d+)$')
if not f or tonumber(e) <= t then return 0 end
local failures = tonumber(f)
local lockouts = tonumber(l)
local lockedUntil = (u ~= '' and tonumber(u)) or nil
local expiresAt = tonumber(e)
if countedLockedNow and countedUntil >= 0 and lockedUntil == countedUntil then
  failures = maxFailures - 1
  lockouts = math.max(0, lockouts - 1)
  lockedUntil = nil
  expiresAt = math.floor(t + windowMs)
elseif countedLockedNow or (lockedUntil and lockedUntil > t) then
  return 0
else
  failures = math.max(0, failures - 1)
end
if failures == 0 and lockouts == 0 then
  redis.call('DEL', KEYS[1])
  return 1
end
local us = ''
if lockedUntil then us = string.format('%d', lockedUntil) end
redis.call('SET', KEYS[1], string.format('%d|%d|%s|%d', failures, lockouts, us, expiresAt), 'PX', math.max(1, expiresAt - t))
return 1`);

function parse(v: string | null): RateLimitState | null {
  const m = v ? /^(\d+)\|(\d+)\|(\d*)\|(\d+)$/.exec(v) : null;
  if (!m) return null;
  return {
    failures: Number(m[1]),
    lockouts: Number(m[2]),
    lockedUntil: m[3] ? new Date(Number(m[3])) : null,
    expiresAt: new Date(Number(m[4])),
  };
}

export interface RedisRateLimitStoreOptions {
  /** Deployment prefix (REDIS_KEY_PREFIX); records live under `<prefix>r:`. */
  keyPrefix: string;
  breaker: RedisBreaker;
  /** Where throttling state goes while Redis is unavailable. */
  fallback: RateLimitStore;
}

export class RedisRateLimitStore implements RateLimitStore {
  private readonly prefix: string;
  private readonly expiries: string;
  private readonly breaker: RedisBreaker;
  private readonly fallback: RateLimitStore;

  constructor(
    private readonly client: RedisClient,
    opts: RedisRateLimitStoreOptions,
  ) {
    this.prefix = `${opts.keyPrefix}r:`;
    this.expiries = `${opts.keyPrefix}rx`;
    this.breaker = opts.breaker;
    this.fallback = opts.fallback;
  }

  async hit(key: string, policy: LockoutPolicy, now: Date): Promise<HitResult> {
    const t = now.getTime();
    const r = await this.breaker.run(async () => {
      try {
        return (await HIT.run(this.client, this.prefix + key, [
          t,
          policy.maxFailures,
          policy.windowSeconds,
          policy.lockoutBaseSeconds,
          policy.lockoutMaxSeconds,
        ])) as number[];
      } catch (err) {
        // Redis full (noeviction): count this one in PostgreSQL, without taking Redis out of service.
        if (isOutOfMemory(err)) return null;
        throw err;
      }
    });
    if (!r.ok || !r.value) return this.fallback.hit(key, policy, now);
    const [failures, lockouts, lockedUntil, expiresAt, lockedNow] = r.value as [number, number, number, number, number];
    // Housekeeping for purgeExpired; the TTL frees the memory even if this is lost.
    await this.breaker.run(() => this.client.zadd(this.expiries, expiresAt, key));
    return {
      failures,
      lockouts,
      lockedUntil: lockedUntil >= 0 ? new Date(lockedUntil) : null,
      expiresAt: new Date(expiresAt),
      lockedNow: lockedNow === 1,
    };
  }

  async refund(key: string, policy: LockoutPolicy, now: Date, counted: HitResult): Promise<void> {
    const args = [now.getTime(), policy.maxFailures, policy.windowSeconds, counted.lockedNow ? 1 : 0, counted.lockedUntil?.getTime() ?? -1];
    const r = await this.breaker.run(async () => {
      try {
        return await REFUND.run(this.client, this.prefix + key, args);
      } catch (err) {
        if (isOutOfMemory(err)) return null; // as in hit: Redis full is not Redis down
        throw err;
      }
    });
    // Redis unavailable (or full): the attempt was most likely counted in PostgreSQL, refund it there. A
    // key in neither is left alone (a refund never creates a record).
    if (!r.ok || r.value === null) await this.fallback.refund(key, policy, now, counted);
  }

  async peek(key: string, now: Date): Promise<RateLimitState | null> {
    const r = await this.breaker.run(() => this.client.get(this.prefix + key));
    if (!r.ok) return this.fallback.peek(key, now);
    const state = parse(r.value);
    return state && state.expiresAt.getTime() > now.getTime() ? state : null;
  }

  async reset(key: string): Promise<void> {
    const r = await this.breaker.run(() => this.client.unlink(this.prefix + key));
    // Also forget it where an outage may have put it, so a success clears the account either way.
    await this.fallback.reset(key);
    if (r.ok) await this.breaker.run(() => this.client.zrem(this.expiries, key));
  }

  /** Records past their expiresAt on the caller's clock; the fallback's dead rows go too. */
  async purgeExpired(now: Date, limit: number): Promise<number> {
    const fromFallback = await this.fallback.purgeExpired(now, limit);
    const r = await this.breaker.run(async () => {
      const due = await this.client.zrangebyscore(this.expiries, '-inf', now.getTime(), 'LIMIT', 0, limit);
      let n = 0;
      const done: string[] = [];
      for (const key of due) {
        const state = parse(await this.client.get(this.prefix + key));
        // A key hit again after it was listed lives on (its entry now has a later score): leave both.
        if (state && state.expiresAt.getTime() > now.getTime()) continue;
        n += await this.client.unlink(this.prefix + key);
        done.push(key);
      }
      if (done.length > 0) await this.client.zrem(this.expiries, ...done);
      return n;
    });
    return fromFallback + (r.ok ? r.value : 0);
  }
}
