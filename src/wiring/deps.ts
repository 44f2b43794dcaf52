import { Accounts } from '../auth/accounts.js';
import { AuditLog } from '../auth/audit.js';
import { Authenticator } from '../auth/authenticator.js';
import { createHashLimiter, type HashLimiter } from '../auth/hash-limiter.js';
import { PostgresRateLimitStore } from '../auth/postgres-rate-limit-store.js';
import { PasswordResets } from '../auth/password-resets.js';
import { Pseudonyms } from '../auth/pseudonyms.js';
import { RedisRateLimitStore } from '../auth/redis-rate-limit-store.js';
import type { RateLimitStore } from '../auth/rate-limit-store.js';
import { LoginThrottle } from '../auth/throttle.js';
import { Users } from '../auth/users.js';
import { PendingSignIns } from '../auth/second-factor/pending-sign-ins.js';
import { SecondFactors } from '../auth/second-factor/second-factors.js';
import { Passkeys } from '../auth/second-factor/passkeys.js';
import { relyingParty } from '../auth/second-factor/relying-party.js';
import { SecretBox, type SecretKeys } from '../auth/second-factor/secret-box.js';
import { loadSecretKeys } from '../auth/second-factor/secret-keys.js';
import { EmailAddresses } from '../auth/email-addresses.js';
import { Notices } from '../auth/notices.js';
import type { SecondFactor } from '../auth/second-factor.js';
import { createMailMetrics, type MailMetrics } from '../mail/metrics.js';
import { MailQueue } from '../mail/queue.js';
import { createMailTransport, type MailTransport } from '../mail/transport.js';
import type { Db } from '../db/db.js';
import type { Logger } from 'pino';
import { createLogger, type LogSink } from '../observability/logger.js';
import { createMetrics, type Metrics, withStoreMetrics } from '../observability/metrics.js';
import { buildSessionStack, type SessionStack } from '../sessions/stack.js';
import { SessionEngine } from '../sessions/engine.js';
import { SessionEvents } from '../sessions/events.js';
import { SessionShopsCache } from '../shops/session-shops-cache.js';
import { type Config, DEFAULT_LOCAL_CACHE_SIZE } from '../config.js';
import type { SessionStore } from '../sessions/stores/store.js';
import { Invitations } from '../shops/invitations.js';

/**
 * The composition root: everything the app needs, built from config and an open database. main.ts and
 * the tests build the app the same way; tests may swap a part (e.g. the store) through `overrides`.
 */
export interface AppDeps {
  readonly config: Config;
  /** The database, its failures counted in this app's metrics (stockade_store_errors_total). */
  readonly db: Db;
  /** This app's Prometheus registry and metrics: one per app, never shared with another in the process. */
  readonly metrics: Metrics;
  /** This app's logger (Fastify's instance, the session stack's state changes, jobs). */
  readonly log: Logger;
  readonly users: Users;
  readonly hashLimiter: HashLimiter;
  readonly authenticator: Authenticator;
  readonly sessionStore: SessionStore;
  /** How sessionStore was built (Redis tier, local cache, revocation bus); undefined when a test swapped the store. */
  readonly sessionStack: SessionStack | undefined;
  readonly sessions: SessionEngine;
  /** HMAC pseudonyms under the installation's key (rate-limit keys, deleted users in the audit). */
  readonly pseudonyms: Pseudonyms;
  readonly rateLimitStore: RateLimitStore;
  /** Password-check throttling per (account, address), account and address (also step-up: throttle.ts). */
  readonly throttle: LoginThrottle;
  readonly audit: AuditLog;
  /** Admin operations: user list, kill switch, disable/enable, role change. */
  readonly accounts: Accounts;
  /** One-time password-reset links (issued by an admin or the CLI; used by the owner). */
  readonly passwordResets: PasswordResets;
  /** This server's event streams (GET /api/events), told by the bus when sessions end. */
  readonly events: SessionEvents;
  /**
   * This server's copies of what "who am I" says about shops (shops/session-shops-cache.ts): present
   * exactly when the local session cache is (a bus to empty it, SESSION_LOCAL_CACHE_SIZE > 0).
   */
  readonly shopsCache: SessionShopsCache | undefined;
  /** Seals second-factor secrets under SECRET_KEY (loaded at first use; main.ts loads it at start). */
  readonly secretBox: SecretBox;
  /** TOTP and recovery codes (auth/second-factor/). */
  readonly secondFactors: SecondFactors;
  /** Sign-ins waiting for their second step. */
  readonly pendingSignIns: PendingSignIns;
  /** WebAuthn credentials and their challenges; origin and RP ID from PUBLIC_URL. */
  readonly passkeys: Passkeys;
  /** Outbound mail: the durable queue (requests enqueue), and where this server's worker sends (jobs/mail-worker.ts). */
  readonly mailQueue: MailQueue;
  readonly mailTransport: MailTransport;
  readonly mailMetrics: MailMetrics;
  /** The user's e-mail address and its verification. */
  readonly emailAddresses: EmailAddresses;
  /** Security notices by mail (password changed, new device, second factor removed). */
  readonly notices: Notices;
  /** Invitations to join a shop (single-use links, mailed when bound to an address). */
  readonly invitations: Invitations;
  /**
   * The second factor as the reset link checks it (auth/second-factor.ts), answered by `secondFactors`.
   */
  readonly secondFactor: SecondFactor;
  /** Called by close(): stores, buses, timers added by later layers register here. */
  readonly closers: (() => Promise<void>)[];
}

/**
 * Event streams one session may hold: the web app keeps one per browser (one tab holds it for the
 * others), so a few leave room for a reconnect overlapping the stream it replaces.
 */
const STREAMS_PER_SESSION = 3;

export function createDeps(
  config: Config,
  database: Db,
  overrides: {
    sessionStore?: SessionStore;
    rateLimitStore?: RateLimitStore;
    clock?: () => number;
    log?: LogSink;
    secretKeys?: SecretKeys;
  } = {},
): AppDeps {
  const metrics = createMetrics();
  const log = createLogger(config, overrides.log);
  const db = withStoreMetrics(database, metrics);
  const users = new Users(db);
  const hashLimiter = createHashLimiter({ concurrency: config.login.hashConcurrency, queue: config.login.hashQueue });
  // PostgreSQL, plus Redis and this server's cache when configured (sessions/stack.ts), unless a test swapped it.
  let sessionStack: SessionStack | undefined;
  let sessionStore: SessionStore;
  if (overrides.sessionStore) sessionStore = overrides.sessionStore;
  else {
    sessionStack = buildSessionStack(config, db, { log, busScope: database, ...(overrides.clock ? { clock: overrides.clock } : {}) });
    sessionStore = sessionStack.store;
  }
  const s = config.session;
  const sessions = new SessionEngine(
    sessionStore,
    {
      idleTimeout: s.idleTimeout,
      absoluteTimeout: s.absoluteTimeout,
      rememberIdleTimeout: s.rememberIdleTimeout,
      rememberTimeout: s.rememberTimeout,
      maxPerUser: s.maxPerUser,
    },
    overrides.clock,
  );
  const pseudonyms = new Pseudonyms(db, overrides.clock);
  // A rotation (stockade rotate-pseudonym-key) reaches this server as a notice on the bus; re-read also
  // on the bus's return and every minute, so a server that missed the notice never keeps a dropped key.
  pseudonyms.follow(sessionStack?.bus);
  const pgRateLimits = new PostgresRateLimitStore(db);
  // With Redis the limits are shared by every server without a database round trip (PostgreSQL while
  // Redis is unavailable: the breaker sends each call one way or the other).
  const redis = sessionStack?.redis;
  const breaker = sessionStack?.breaker;
  const rateLimitStore =
    overrides.rateLimitStore ??
    (redis && breaker
      ? new RedisRateLimitStore(redis, { keyPrefix: config.redisKeyPrefix, breaker, fallback: pgRateLimits })
      : pgRateLimits);
  const l = config.login;
  const lockout = { windowSeconds: l.failureWindow, lockoutBaseSeconds: l.lockoutBase, lockoutMaxSeconds: l.lockoutMax };
  const throttle = new LoginThrottle(
    rateLimitStore,
    pseudonyms,
    {
      pair: { ...lockout, maxFailures: l.maxFailures },
      account: { ...lockout, maxFailures: l.accountMaxFailures },
      address: { ...lockout, maxFailures: l.addressMaxFailures },
    },
    overrides.clock,
  );
  const secretKeys = overrides.secretKeys;
  const secretBox = new SecretBox(() => secretKeys ?? loadSecretKeys(config));
  const secondFactors = new SecondFactors(db, secretBox, overrides.clock);
  const passkeys = new Passkeys(db, relyingParty(config.publicUrl), overrides.clock);
  const mailQueue = new MailQueue(db);
  const mailTransport = createMailTransport({ smtpUrl: config.mail.smtpUrl, from: config.mail.from, dataDir: config.dataDir });
  // Kept honest by the bus, as the local session cache is: with no bus every read goes through. Not tied
  // to SESSION_LOCAL_CACHE_SIZE: it holds what who-am-I shows, never what a request may do (shop routes
  // read memberships fresh), so a server that reads every session from its store (cache 0) still answers
  // who-am-I without a second query. Sized like the session cache, or at that cache's default when off.
  const stackBus = sessionStack?.bus;
  let shopsCache: SessionShopsCache | undefined;
  if (stackBus) {
    shopsCache = new SessionShopsCache(sessionStack?.cache?.capacity ?? DEFAULT_LOCAL_CACHE_SIZE, db);
    shopsCache.follow(stackBus);
  }
  const deps: AppDeps = {
    config,
    db,
    metrics,
    log,
    users,
    hashLimiter,
    authenticator: new Authenticator(users, hashLimiter),
    sessionStore,
    sessionStack,
    sessions,
    pseudonyms,
    rateLimitStore,
    throttle,
    audit: new AuditLog(db),
    accounts: new Accounts(db, sessions, overrides.clock),
    passwordResets: new PasswordResets(db, hashLimiter, config.passwordResetTtl, overrides.clock),
    events: new SessionEvents(sessions, sessionStack?.bus, {
      perSession: STREAMS_PER_SESSION,
      perServer: config.events.maxStreams,
      heartbeatMs: config.events.heartbeat * 1000,
    }),
    shopsCache,
    secretBox,
    secondFactors,
    pendingSignIns: new PendingSignIns(db, overrides.clock),
    passkeys,
    mailQueue,
    mailTransport,
    mailMetrics: createMailMetrics(metrics.registry, mailQueue),
    emailAddresses: new EmailAddresses(db, mailQueue, config.publicUrl, overrides.clock),
    notices: new Notices(db, mailQueue),
    invitations: new Invitations(db, mailQueue, config.publicUrl, overrides.clock),
    secondFactor: secondFactors.forRecovery(),
    closers: [async () => pseudonyms.stop(), ...(sessionStack ? [() => (sessionStack as SessionStack).close()] : [])],
  };
  return deps;
}

/** Closes what the deps opened, newest first, then the database. */
export async function closeDeps(deps: AppDeps): Promise<void> {
  for (const close of [...deps.closers].reverse()) await close();
  await deps.sessionStore.close?.();
  await deps.rateLimitStore.close?.();
  await deps.db.close();
}
