import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db, Queryable, QueryResult, Statement } from '../db/db.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { RequestLatencyHistogram } from './request-latency.js';

/**
 * Everything Stockade exports to Prometheus (GET /metrics, see http/plugins/metrics.ts), in one registry
 * per app: the composition root (wiring/deps.ts) calls createMetrics() and passes the result down, so
 * two apps in one process (the tests build many) never share or steal each other's counts. Names follow
 * Prometheus conventions: `_total` counters, `_seconds` durations, base units.
 *
 * Cost rules, because the session check is benchmarked against bare Fastify:
 * - per request there is exactly one histogram observation (in onResponse) and nothing else;
 * - anything that needs I/O (active sessions) or reads other modules' counters (local cache, bus) is
 *   computed when Prometheus scrapes, never on the request path.
 *
 * Nothing here carries a user id, a username, an address or a raw URL: labels are route *patterns*,
 * methods and status codes, so a scanner requesting a million random paths adds no series.
 *
 * For other layers (scale-out): the local session cache and the revocation bus are read through
 * `watchSessionCache` / `watchRevocationBus` (their own `stats`, read at scrape time, plus one bus
 * listener that measures delivery lag); a store that fails counts itself with
 * `metrics.storeErrors.inc({ store: 'redis', kind: 'unavailable' })`.
 */

/** Seconds; from 1 ms (a cache hit) to 10 s (a request stuck behind a dying database). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const ACTIVE_SESSIONS_TTL_MS = 10_000;

export interface CacheStatsSource {
  readonly stats: { readonly hits: number; readonly misses: number };
}

export interface BusSource {
  readonly kind: string;
  readonly up: boolean;
  /** Kept by every carrier (sessions/bus/bus.ts BaseBus); optional in the bus interface itself. */
  readonly stats?: { readonly published: number; readonly received: number; readonly publishFailures: number };
  listen(listener: { onRevocation(r: unknown, sentAt: number): void; onStateChange(up: boolean): void }): void;
}

export interface Metrics {
  /** This app's metrics and the process's (shared: they describe the process, not an app). */
  readonly registry: Registry;
  readonly httpRequestDuration: RequestLatencyHistogram;
  readonly signInAttempts: Counter<'outcome'>;
  readonly signInLockouts: Counter<'scope'>;
  readonly requestsRefused: Counter<'type' | 'session'>;
  readonly storeErrors: Counter<'store' | 'kind'>;
  readonly revocationBusLag: Histogram;
  /**
   * Counts live sessions in `db` on scrape: one count over the sessions table (most rows are live, so
   * an index would not spare much; a scrape-time cost, never a request-time one). Returns the function
   * that stops it.
   */
  watchActiveSessions(db: Pick<Db, 'query'>): () => void;
  /** Reports `cache.stats` at scrape time; returns the function that stops it. */
  watchSessionCache(cache: CacheStatsSource | undefined): () => void;
  /** Reports the bus's state and counters at scrape time, and observes the lag of every message. */
  watchRevocationBus(bus: BusSource | undefined): () => void;
}

/*
 * process_resident_memory_bytes, nodejs_eventloop_lag_max_seconds (monitorEventLoopDelay, reset at
 * every scrape, so it is "the worst stall since the last scrape"), heap, GC, handles, … These describe
 * the process, so they are collected once per process, lazily, and every app's registry includes them:
 * one collector per app would start one event-loop monitor and one GC observer per app (tests build
 * dozens of apps in one process).
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export function createMetrics(): Metrics {
  const own = new Registry();
  const registers = [own];

  const httpRequestDuration = new RequestLatencyHistogram(
    'stockade_http_request_duration_seconds',
    'HTTP request latency, by method, route pattern (never the raw URL) and status code.',
    LATENCY_BUCKETS,
  );
  // Not one of prom-client's classes (request-latency.ts says why), but what its registry needs of a
  // metric: a name, help, type and get() in its Histogram's shape. The types name only its own classes.
  own.registerMetric(httpRequestDuration as unknown as Histogram);

  const signInAttempts = new Counter({
    name: 'stockade_signin_attempts_total',
    help: 'POST /api/auth/login answers: success (200), failure (401: unknown user, wrong password or disabled, alike), throttled (429), unavailable (503).',
    labelNames: ['outcome'] as const,
    registers,
  });

  const signInLockouts = new Counter({
    name: 'stockade_signin_lockouts_total',
    help: 'Lockouts started by a failed password check, by scope (pair: account on one address; account: all addresses; address; session; or several, comma-separated).',
    labelNames: ['scope'] as const,
    registers,
  });

  const requestsRefused = new Counter({
    name: 'stockade_requests_refused_total',
    help: 'Requests refused as a CSRF failure (csrf.failure) or by role (authz.denied), with or without a live session (anonymous, signed_in); counted whether or not a row or line was written (http/refusals.ts).',
    labelNames: ['type', 'session'] as const,
    registers,
  });

  const storeErrors = new Counter({
    name: 'stockade_store_errors_total',
    help: 'Failed store operations, by store (postgres, pglite, redis) and kind (unavailable: cannot reach it; error: anything else unexpected).',
    labelNames: ['store', 'kind'] as const,
    registers,
  });

  /* ---- active sessions: one cheap count, at most every ACTIVE_SESSIONS_TTL_MS ---- */

  let countSessions: (() => Promise<number>) | undefined;
  let lastCount: { value: number; at: number } | undefined;
  new Gauge({
    name: 'stockade_active_sessions',
    help: 'Sessions that are neither idle-expired nor past their absolute lifetime (all servers: counted in the database, at most every 10 s).',
    registers,
    async collect() {
      if (!countSessions) return;
      const now = Date.now();
      if (!lastCount || now - lastCount.at >= ACTIVE_SESSIONS_TTL_MS) {
        try {
          lastCount = { value: await countSessions(), at: now };
        } catch {
          // The database is away: the scrape still answers (with the last known value), and the failure
          // is already counted in stockade_store_errors_total by the instrumented Db.
        }
      }
      if (lastCount) this.set(lastCount.value);
    },
  });

  /* ---- local session cache (sessions/tiers/local-cache.ts keeps these counters itself) ---- */

  let cacheSource: CacheStatsSource | undefined;
  new Counter({
    name: 'stockade_session_cache_lookups_total',
    help: "Lookups in this server's local cache of validated sessions, by result (hit, miss). Hit ratio: rate(hit) / rate(hit + miss).",
    labelNames: ['result'] as const,
    registers,
    collect() {
      this.reset();
      if (!cacheSource) return;
      this.inc({ result: 'hit' }, cacheSource.stats.hits);
      this.inc({ result: 'miss' }, cacheSource.stats.misses);
    },
  });
  new Gauge({
    name: 'stockade_session_cache_hit_ratio',
    help: 'Hits / lookups of the local session cache since the process started (0 before the first lookup).',
    registers,
    collect() {
      const s = cacheSource?.stats;
      const total = s ? s.hits + s.misses : 0;
      this.set(s && total > 0 ? s.hits / total : 0);
    },
  });

  /* ---- revocation bus ---- */

  let busSource: BusSource | undefined;
  const revocationBusLag = new Histogram({
    name: 'stockade_revocation_bus_lag_seconds',
    help: 'From publishing a revocation on one server to receiving it here (the clocks of different servers included).',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers,
  });
  new Gauge({
    name: 'stockade_revocation_bus_up',
    help: '1 while the revocation bus is connected and trusted (the local cache is in use only then), else 0.',
    labelNames: ['carrier'] as const,
    registers,
    collect() {
      this.reset();
      if (busSource) this.set({ carrier: busSource.kind }, busSource.up ? 1 : 0);
    },
  });
  new Counter({
    name: 'stockade_revocation_bus_messages_total',
    help: 'Revocation messages, by direction (published, received, publish_failed).',
    labelNames: ['direction'] as const,
    registers,
    collect() {
      this.reset();
      const stats = busSource?.stats;
      if (!stats) return;
      this.inc({ direction: 'published' }, stats.published);
      this.inc({ direction: 'received' }, stats.received);
      this.inc({ direction: 'publish_failed' }, stats.publishFailures);
    },
  });

  return {
    // Merged by reference: the process metrics stay live in every app's registry.
    registry: Registry.merge([processMetrics(), own]),
    httpRequestDuration,
    signInAttempts,
    signInLockouts,
    requestsRefused,
    storeErrors,
    revocationBusLag,
    watchActiveSessions(db) {
      const counter = async () => {
        const res = await db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM sessions WHERE idle_expires_at > now() AND absolute_expires_at > now()',
        );
        return Number(res.rows[0]?.n ?? 0);
      };
      countSessions = counter;
      lastCount = undefined;
      return () => {
        if (countSessions === counter) {
          countSessions = undefined;
          lastCount = undefined;
        }
      };
    },
    watchSessionCache(cache) {
      cacheSource = cache;
      return () => {
        if (cacheSource === cache) cacheSource = undefined;
      };
    },
    watchRevocationBus(bus) {
      busSource = bus;
      const stop = () => {
        if (busSource === bus) busSource = undefined;
      };
      if (!bus) return stop;
      bus.listen({
        onRevocation(_r, sentAt) {
          // Only while it is the watched bus (stopped when the app closes; the bus may outlive it).
          if (busSource === bus && sentAt > 0) revocationBusLag.observe(Math.max(0, Date.now() - sentAt) / 1000);
        },
        onStateChange() {},
      });
      return stop;
    },
  };
}

/* ---- store errors: the database ---- */

/** A SQLSTATE: five digits or capitals. Our AppErrors (thrown inside transactions) have word codes. */
const SQLSTATE = /^[0-9A-Z]{5}$/;
/** SQLSTATE classes the app turns into 4xx answers on purpose (bad data; a constraint is a conflict). */
const EXPECTED_SQLSTATE = /^(22|23)/;

function countFailure(storeErrors: Metrics['storeErrors'], store: string, err: unknown): void {
  if (isDatabaseUnavailable(err)) {
    storeErrors.inc({ store, kind: 'unavailable' });
    return;
  }
  // Only errors the database raised: a domain error thrown inside a transaction (409 stock below zero)
  // rolls it back but is not a store failure.
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && SQLSTATE.test(code) && !EXPECTED_SQLSTATE.test(code)) {
    storeErrors.inc({ store, kind: 'error' });
  }
}

/**
 * The same Db, with failures counted in stockade_store_errors_total{store=db.kind}. Only the outermost
 * call counts: a statement failing inside a transaction fails the transaction once.
 */
export function withStoreMetrics(db: Db, metrics: Pick<Metrics, 'storeErrors'>): Db {
  const store = db.kind;
  const counted = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      countFailure(metrics.storeErrors, store, err);
      throw err;
    }
  };
  return {
    kind: db.kind,
    query: <R>(sql: string | Statement, params?: readonly unknown[]): Promise<QueryResult<R>> => counted(() => db.query<R>(sql, params)),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => counted(() => db.transaction(fn)),
    tenant: <T>(shopId: string, fn: (tx: Queryable) => Promise<T>) => counted(() => db.tenant(shopId, fn)),
    ping: () => counted(() => db.ping()),
    close: () => db.close(),
  };
}
