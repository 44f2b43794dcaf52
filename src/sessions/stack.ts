import type { Config } from '../config.js';
import type { Db } from '../db/db.js';
import { RedisBreaker } from '../redis/breaker.js';
import { closeRedisClient, createRedisClient, nodeIdentities, pingAll, type RedisClient } from '../redis/connection.js';
import { checkEvictionPolicy } from '../redis/eviction-policy.js';
import type { RevocationBus } from './bus/bus.js';
import { FanoutBus } from './bus/fanout.js';
import { LocalBus } from './bus/local.js';
import { PostgresBus } from './bus/postgres.js';
import { RedisBus } from './bus/redis.js';
import { LocalSessionCache } from './tiers/local-cache.js';
import { CachedSessionStore } from './tiers/local-cached-store.js';
import { PostgresSessionStore } from './stores/postgres.js';
import { RedisSessionCache } from './tiers/redis-tier.js';
import type { SessionStore } from './stores/store.js';
import { TieredSessionStore } from './tiers/redis-tiered-store.js';

/**
 * Builds the session store stack from configuration:
 *
 *   PostgreSQL store (the truth)
 *     → with REDIS_URL: Redis read/write-through tier (tiers/redis-tiered-store.ts) behind a breaker
 *     → with a bus: this server's LRU of validated sessions (tiers/local-cached-store.ts), emptied by the bus
 *
 * The bus is PostgreSQL LISTEN/NOTIFY on a PostgreSQL server, together with Redis pub/sub when there is
 * Redis (sessions/bus/fanout.ts: a revocation through a server cut off from Redis, or from a CLI without
 * REDIS_URL, still reaches everyone, S-90); Redis pub/sub alone with Redis over embedded PGlite;
 * in-process for embedded PGlite (one process owns that database). A PostgreSQL database handed in
 * without its URL (no way to open a listening connection) gets no bus and therefore no local cache:
 * a cache nobody can empty is not allowed. SESSION_LOCAL_CACHE_SIZE=0 turns the local cache off (the
 * bus still carries this server's revocations to the others).
 */

/** Same shape as the HTTP layer's ReadinessCheck (kept here so this module does not import http/). */
export interface HealthCheck {
  name: string;
  check(): Promise<void>;
  optional?: boolean;
}

export interface StackLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SessionStack {
  readonly store: SessionStore;
  readonly readinessChecks: HealthCheck[];
  readonly cache: LocalSessionCache | undefined;
  readonly bus: RevocationBus | undefined;
  readonly tiered: TieredSessionStore | undefined;
  readonly breaker: RedisBreaker | undefined;
  readonly redis: RedisClient | undefined;
  /** What was built, for the startup log. */
  readonly description: string;
  /** Resolves true once Redis (if any) is trusted and the bus (if any) is up; false after timeoutMs. */
  ready(timeoutMs: number): Promise<boolean>;
  /**
   * At start: Redis's maxmemory-policy, if Redis answers within timeoutMs. Throws (one line) when it can
   * evict session keys; a Redis that does not answer yet is checked by the breaker before it is trusted.
   */
  checkRedisAtStart(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface StackOptions {
  /** The truth; default the PostgreSQL store over `db`. */
  truth?: SessionStore;
  /** The engine's clock, so "does this cached entry look expired" agrees with the engine. */
  clock?: () => number;
  /**
   * Where state changes (Redis down/up, bus down/up) are logged: the app's logger, given at build time
   * by the composition root (wiring/deps.ts), so nothing that happens from the first moment is lost.
   * None: not logged (tests that build a stack on its own).
   */
  log?: StackLogger;
  /**
   * What the in-process bus's hub is keyed on (bus/local.ts): the database itself, not the per-app view
   * of it that `db` may be (wiring/deps.ts counts failures per app), so every app instance over one
   * embedded database hears every other's revocations. Default `db`.
   */
  busScope?: object;
}

export function buildSessionStack(config: Config, db: Db, opts: StackOptions = {}): SessionStack {
  const log = opts.log;
  const say = (level: keyof StackLogger, obj: object, msg: string) => log?.[level](obj, msg);
  const truth = opts.truth ?? new PostgresSessionStore(db);
  const checks: HealthCheck[] = [];
  const closers: (() => Promise<void>)[] = [];
  let store: SessionStore = truth;
  let redis: RedisClient | undefined;
  let breaker: RedisBreaker | undefined;
  let tiered: TieredSessionStore | undefined;
  let bus: RevocationBus | undefined;
  let policy: PolicyGuard | undefined;
  const parts = ['postgres'];

  if (config.redisUrls.length > 0) {
    const client = createRedisClient(config.redisUrls, { commandTimeoutMs: config.redisCommandTimeout, name: 'stockade' });
    redis = client;
    const tier = new RedisSessionCache(client, { keyPrefix: config.redisKeyPrefix });
    const redisBus = new RedisBus({
      urls: config.redisUrls,
      channel: `${config.redisKeyPrefix}revocations`,
      publisher: client,
      name: 'stockade-bus',
    });
    bus =
      db.kind === 'postgres' && config.databaseUrl ? new FanoutBus(redisBus, new PostgresBus({ url: config.databaseUrl, db })) : redisBus;
    const everyone = bus;
    policy = new PolicyGuard(client, say);
    const guard = policy;
    breaker = new RedisBreaker({
      // Never trusted while it may evict our keys (a Redis reached only after the start is checked here).
      async probe() {
        const ids = await nodeIdentities(client);
        await guard.check();
        return ids;
      },
      // A delete may have been lost while Redis was away: nothing in it can be trusted. Flush our keys,
      // then tell every server to drop its local cache (they refill from PostgreSQL).
      async repair() {
        const flushed = await tier.flush();
        await everyone.publish({ kind: 'all' }, { tierClean: true });
        say('info', { event: 'redis.repaired', flushed }, 'redis session keys flushed after an outage');
      },
      onStateChange(state, reason) {
        if (state === 'up') say('info', { event: 'redis.up' }, 'redis session cache in service');
        else if (state === 'down') say('warn', { event: 'redis.down', reason }, 'redis unavailable: sessions served from PostgreSQL');
      },
    });
    const b = breaker;
    tiered = new TieredSessionStore(truth, tier, b);
    store = tiered;
    parts.push(config.redisUrls.length > 1 ? `redis cluster (${config.redisUrls.length} seeds)` : 'redis');
    checks.push({
      name: 'redis',
      optional: true,
      async check() {
        if (!b.up) throw new Error(`redis ${b.state}`);
        await pingAll(client);
      },
    });
    closers.push(async () => {
      b.close();
      await closeRedisClient(client);
    });
  } else if (db.kind === 'postgres' && config.databaseUrl) {
    bus = new PostgresBus({ url: config.databaseUrl, db });
  } else if (db.kind === 'pglite') {
    bus = new LocalBus(opts.busScope ?? db);
  }

  let cache: LocalSessionCache | undefined;
  if (bus) {
    const b = bus;
    cache = config.session.localCacheSize > 0 ? new LocalSessionCache(config.session.localCacheSize) : undefined;
    const br = breaker;
    // "Redis holds nothing I revoked": up and no delete journaled. Without Redis: false, nothing was cleaned.
    store = new CachedSessionStore(store, cache, b, opts.clock, br ? () => br.up && br.clean : () => false);
    const t = tiered;
    if (t) {
      // A publisher that could not clean Redis (cut off, or a CLI without REDIS_URL): do it here.
      b.listen({
        onRevocation(r, _sentAt, info) {
          if (!info.tierClean) t.forget(r).catch(() => {});
        },
        onStateChange() {},
      });
    }
    if (b instanceof FanoutBus) {
      b.fast.listen({
        onRevocation() {},
        onStateChange(up) {
          if (up) say('info', { event: 'session-bus.redis.up' }, 'revocations travel through Redis again (and PostgreSQL)');
          else
            say(
              'warn',
              { event: 'session-bus.redis.down' },
              'redis pub/sub lost: revocations travel through PostgreSQL alone and the local cache is off until it is back',
            );
        },
      });
    }
    parts.push(`${b.kind} bus`, cache ? `local cache (${cache.capacity})` : 'no local cache');
    if (b.kind !== 'local') {
      checks.push({
        name: 'session-bus',
        optional: true,
        async check() {
          if (!b.up) throw new Error('revocation bus down');
        },
      });
    }
    b.listen({
      onRevocation() {},
      onStateChange(up) {
        if (up) say('info', { event: 'session-bus.up', bus: b.kind }, 'revocation bus up: local session cache on');
        else say('warn', { event: 'session-bus.down', bus: b.kind }, 'revocation bus down: local session cache off until it is back');
      },
    });
    closers.unshift(() => b.close());
  } else {
    parts.push('no bus, no local cache');
  }

  say('info', { event: 'sessions.stack', stack: parts.join(' + ') }, 'session store stack built');
  return {
    store,
    readinessChecks: checks,
    cache,
    bus,
    tiered,
    breaker,
    redis,
    description: parts.join(' + '),
    async ready(timeoutMs) {
      const results = await Promise.all([breaker?.whenUp(timeoutMs) ?? true, bus?.whenUp(timeoutMs) ?? true]);
      return results.every(Boolean);
    },
    async checkRedisAtStart(timeoutMs) {
      if (!redis || !policy) return;
      const end = Date.now() + timeoutMs;
      while (redis.status !== 'ready') {
        if (Date.now() >= end) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await policy.check({ atStart: true });
    },
    async close() {
      // A short-lived process (the CLI's revoke-user) may have revoked before Redis or the bus was
      // reachable: give the lost deletes and the messages a moment to go out before closing.
      if (breaker && !breaker.clean) await breaker.whenUp(3000);
      await bus?.drain(1000);
      for (const c of closers) await c();
    },
  };
}

/**
 * Redis's eviction policy, asked before Redis is trusted (redis/eviction-policy.ts). Unsafe: an error,
 * logged once per policy seen. Unreadable (CONFIG refused): warned once, then never asked again.
 */
class PolicyGuard {
  private unreadable = false;
  private reported: string | undefined;

  constructor(
    private readonly client: RedisClient,
    private readonly say: (level: keyof StackLogger, obj: object, msg: string) => void,
  ) {}

  async check(opts: { atStart?: boolean } = {}): Promise<void> {
    if (this.unreadable) return;
    const result = await checkEvictionPolicy(this.client);
    if (result.kind === 'unknown') {
      this.unreadable = true;
      this.say('warn', { event: 'redis.eviction_policy_unknown' }, result.message);
      return;
    }
    if (result.kind === 'safe') {
      this.reported = undefined;
      return;
    }
    // At start main.ts prints it as the one line the process exits with; later it is logged once.
    if (!opts.atStart && this.reported !== result.policy) {
      this.reported = result.policy;
      this.say(
        'error',
        { event: 'redis.eviction_policy', policy: result.policy, node: result.node },
        `${result.message}; Redis is not used until then`,
      );
    }
    throw new Error(result.message);
  }
}
