import { availableParallelism } from 'node:os';
import { parseTrustProxy, type TrustedProxies, TrustProxyError } from './lib/trust-proxy.js';

/**
 * The only reader of process.env. Parses every variable once into a frozen, typed object; a bad value
 * throws a ConfigError whose message is one line naming the variable, and main.ts prints it and exits,
 * so the server never starts half-configured.
 */

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string | undefined;
  /** Connections this server opens to a PostgreSQL server at most (DATABASE_POOL_SIZE). */
  readonly databasePoolSize: number;
  readonly dataDir: string;
  readonly redisUrls: readonly string[];
  /** Prefix of every Redis key and of the bus channel (REDIS_KEY_PREFIX), so deployments can share a Redis. */
  readonly redisKeyPrefix: string;
  /** Milliseconds a Redis command may take before the request falls back to PostgreSQL (REDIS_COMMAND_TIMEOUT). */
  readonly redisCommandTimeout: number;
  readonly session: {
    /** Seconds. */
    readonly idleTimeout: number;
    readonly absoluteTimeout: number;
    readonly rememberTimeout: number;
    /** Idle lifetime of a "remember me" session. */
    readonly rememberIdleTimeout: number;
    readonly reauthWindow: number;
    /** Oldest sessions beyond this many per user are revoked at sign-in (S-23). */
    readonly maxPerUser: number;
    /** In-process cache of validated sessions; 0 turns it off. */
    readonly localCacheSize: number;
  };
  readonly cookieSecure: boolean;
  readonly allowedOrigins: readonly string[];
  /** TRUST_PROXY: false, or the proxies whose X-Forwarded-For entries are believed (trust-proxy.ts). */
  readonly trustProxy: false | TrustedProxies;
  readonly bootstrapAdmin: { readonly username: string; readonly password: string } | undefined;
  readonly logLevel: string;
  readonly login: {
    /** Failures on one account from one client address before that pair is locked out (S-74). */
    readonly maxFailures: number;
    /** Failures on one account from all addresses together before the account is locked out: the ceiling. */
    readonly accountMaxFailures: number;
    /** Failures from one client address (IPv4, or IPv6 /64) before it is locked out, whatever the usernames. */
    readonly addressMaxFailures: number;
    /** Seconds; doubles with each further lockout, up to lockoutMax. */
    readonly lockoutBase: number;
    readonly lockoutMax: number;
    /** Seconds after which a quiet account's failure count is forgotten. */
    readonly failureWindow: number;
    /** Concurrent password hashes; further sign-ins wait in a short queue, then get 503. */
    readonly hashConcurrency: number;
    readonly hashQueue: number;
  };
  /** Sign-ups allowed from one address group before it waits an hour (REGISTER_ADDRESS_MAX). */
  readonly registerAddressMax: number;
  /** Seconds between background purges of expired sessions and old audit rows. */
  readonly purgeInterval: number;
  /** Seconds an audit row is kept. */
  readonly auditRetention: number;
  /** Seconds between two data exports of one user (POST /api/me/export). */
  readonly exportInterval: number;
  /** CSV imports per merchant in a run with less than importWindow seconds between them; then a wait of importWindow. */
  readonly importMax: number;
  readonly importWindow: number;
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  /** METRICS_TOKEN: bearer token for GET /metrics; unset, only direct loopback clients may scrape. */
  readonly metricsToken: string | undefined;
  /**
   * The bearer tokens GET /metrics accepts: METRICS_TOKEN, then METRICS_TOKEN_PREVIOUS (both during a
   * change, so scrapers and servers need not switch at the same instant); empty without METRICS_TOKEN.
   */
  readonly metricsTokens: readonly string[];
  /**
   * PUBLIC_URL: the origin users reach us at. Links we hand out (password reset) are built from it,
   * never from the request's Host or X-Forwarded-Host, which a client chooses.
   */
  readonly publicUrl: string;
  /** Seconds a password-reset link stays usable (PASSWORD_RESET_TTL). */
  readonly passwordResetTtl: number;
  /** GET /api/events: streams this server holds at most (EVENTS_MAX_STREAMS), seconds between heartbeats (EVENTS_HEARTBEAT). */
  readonly events: { readonly maxStreams: number; readonly heartbeat: number };
  /** SECRET_KEY: base64 of the 32-byte key sealing second-factor secrets (auth/second-factor/secret-keys.ts). */
  readonly secretKey: string | undefined;
  /** SECRET_KEY_FILE: a file holding that key instead. */
  readonly secretKeyFile: string | undefined;
  /** SECRET_KEY_PREVIOUS: older keys (comma-separated) that still open what they sealed, during a rotation. */
  readonly secretKeyPrevious: readonly string[];
  /**
   * Outbound mail (src/mail/): SMTP_URL (smtp:// with STARTTLS when offered, or smtps://), or undefined:
   * each message is then written as an .eml file to DATA_DIR/outbox/. MAIL_FROM is the sender.
   */
  readonly mail: { readonly smtpUrl: string | undefined; readonly from: string };
  /** Password-reset requests from one address group per hour (PASSWORD_RESET_ADDRESS_MAX). */
  readonly passwordResetAddressMax: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "30m", "12h", "7d", "45s" or plain seconds → seconds. */

/** Validated sessions each server keeps in memory by default (SESSION_LOCAL_CACHE_SIZE). */
export const DEFAULT_LOCAL_CACHE_SIZE = 10000;
export function parseDuration(name: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(raw.trim());
  if (!m) throw new ConfigError(`${name}: "${raw}" is not a duration (use e.g. 30m, 12h, 7d or seconds)`);
  const seconds = Number(m[1]) * (UNITS[m[2] || 's'] ?? 1);
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new ConfigError(`${name}: must be greater than 0`);
  return seconds;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name}: "${raw}" is not a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name}: ${n} is outside ${min}..${max}`);
  return n;
}

function duration(env: Env, name: string, fallback: string): number {
  const raw = env[name];
  return parseDuration(name, raw === undefined || raw === '' ? fallback : raw);
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name}: "${raw}" is not true or false`);
}

function origin(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name}: "${raw}" is not an origin like https://shop.example`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== raw.replace(/\/$/, '')) {
    throw new ConfigError(`${name}: "${raw}" is not an origin like https://shop.example (no path)`);
  }
  return url.origin;
}

export function loadConfig(env: Env = process.env): Config {
  const port = int(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST?.trim() || '127.0.0.1';

  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL: must start with postgres:// or postgresql://');
  }
  const redisUrls = (env.REDIS_URL ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const u of redisUrls) {
    if (!/^rediss?:\/\/[^/]+/.test(u)) throw new ConfigError(`REDIS_URL: "${u}" is not a redis:// URL`);
  }
  const redisKeyPrefix = env.REDIS_KEY_PREFIX?.trim() || 'stk:';
  if (!/^[A-Za-z0-9:._-]{1,32}$/.test(redisKeyPrefix)) {
    throw new ConfigError(`REDIS_KEY_PREFIX: "${redisKeyPrefix}" must be 1–32 of A-Z a-z 0-9 : . _ -`);
  }
  const redisCommandTimeout = Math.max(1, Math.round(duration(env, 'REDIS_COMMAND_TIMEOUT', '0.5s') * 1000));

  const idleTimeout = duration(env, 'SESSION_IDLE_TIMEOUT', '30m');
  const absoluteTimeout = duration(env, 'SESSION_ABSOLUTE_TIMEOUT', '12h');
  const rememberTimeout = duration(env, 'SESSION_REMEMBER_TIMEOUT', '30d');
  const rememberIdleTimeout = duration(env, 'SESSION_REMEMBER_IDLE_TIMEOUT', '7d');
  const reauthWindow = duration(env, 'SESSION_REAUTH_WINDOW', '15m');
  if (idleTimeout > absoluteTimeout) {
    throw new ConfigError('SESSION_IDLE_TIMEOUT: must not exceed SESSION_ABSOLUTE_TIMEOUT');
  }

  const cookieSecure = bool(env, 'COOKIE_SECURE', true);
  const allowedOrigins = (env.ALLOWED_ORIGINS?.trim() ? env.ALLOWED_ORIGINS.split(',') : [])
    .map((s) => s.trim())
    .filter(Boolean)
    .map((o) => origin('ALLOWED_ORIGINS', o));
  if (allowedOrigins.length === 0) allowedOrigins.push(`http://localhost:${port}`, `http://127.0.0.1:${port}`);

  const adminUser = env.BOOTSTRAP_ADMIN_USERNAME?.trim();
  const adminPass = env.BOOTSTRAP_ADMIN_PASSWORD;
  if (Boolean(adminUser) !== Boolean(adminPass)) {
    throw new ConfigError('BOOTSTRAP_ADMIN_PASSWORD: set both BOOTSTRAP_ADMIN_USERNAME and BOOTSTRAP_ADMIN_PASSWORD, or neither');
  }

  const logLevel = env.LOG_LEVEL?.trim() || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL: "${logLevel}" is not one of fatal, error, warn, info, debug, trace, silent`);
  }

  const certFile = env.TLS_CERT_FILE?.trim();
  const keyFile = env.TLS_KEY_FILE?.trim();
  if (Boolean(certFile) !== Boolean(keyFile)) {
    throw new ConfigError('TLS_KEY_FILE: set both TLS_CERT_FILE and TLS_KEY_FILE, or neither');
  }

  const metricsToken = env.METRICS_TOKEN?.trim() || undefined;
  if (metricsToken !== undefined && !/^[\x21-\x7e]{16,256}$/.test(metricsToken)) {
    throw new ConfigError('METRICS_TOKEN: use 16 to 256 printable ASCII characters without spaces (e.g. openssl rand -hex 32)');
  }
  const metricsTokenPrevious = env.METRICS_TOKEN_PREVIOUS?.trim() || undefined;
  if (metricsTokenPrevious !== undefined) {
    if (metricsToken === undefined) throw new ConfigError('METRICS_TOKEN_PREVIOUS: set METRICS_TOKEN (the new token) too');
    if (!/^[\x21-\x7e]{16,256}$/.test(metricsTokenPrevious)) {
      throw new ConfigError('METRICS_TOKEN_PREVIOUS: use 16 to 256 printable ASCII characters without spaces');
    }
    if (metricsTokenPrevious === metricsToken) throw new ConfigError('METRICS_TOKEN_PREVIOUS: is the same as METRICS_TOKEN');
  }

  let trustProxy: false | TrustedProxies;
  try {
    trustProxy = parseTrustProxy(env.TRUST_PROXY);
  } catch (err) {
    if (err instanceof TrustProxyError) throw new ConfigError(`TRUST_PROXY: ${err.message}`);
    throw err;
  }

  const publicUrl = env.PUBLIC_URL?.trim() ? origin('PUBLIC_URL', env.PUBLIC_URL.trim()) : `http://localhost:${port}`;
  const passwordResetTtl = duration(env, 'PASSWORD_RESET_TTL', '30m');
  const smtpUrl = env.SMTP_URL?.trim() || undefined;
  if (smtpUrl !== undefined && !/^smtps?:\/\/[^/?#]+/.test(smtpUrl)) {
    throw new ConfigError('SMTP_URL: must look like smtp://user:pass@mail.example:587 or smtps://mail.example:465');
  }
  const mailFrom = env.MAIL_FROM?.trim() || `Stockade <no-reply@${new URL(publicUrl).hostname}>`;
  // One line, no CR/LF: it becomes a header.
  if (!/^[^\r\n]{3,320}$/.test(mailFrom) || !mailFrom.includes('@')) {
    throw new ConfigError('MAIL_FROM: must be an address like "Stockade <stockade@shop.example>"');
  }
  if (passwordResetTtl > 86400) throw new ConfigError('PASSWORD_RESET_TTL: at most 24h (a reset link is a password)');

  const secretKey = env.SECRET_KEY?.trim() || undefined;
  const secretKeyFile = env.SECRET_KEY_FILE?.trim() || undefined;
  if (secretKey && secretKeyFile) throw new ConfigError('SECRET_KEY_FILE: set SECRET_KEY or SECRET_KEY_FILE, not both');
  const secretKeyPrevious = (env.SECRET_KEY_PREVIOUS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

  const config: Config = {
    port,
    host,
    databaseUrl,
    // Every server holds up to this many connections: max_connections must cover servers × pool, plus
    // the CLI, the backup and the revocation bus's LISTEN connection (docs/operations.md, "Size").
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    dataDir: env.DATA_DIR?.trim() || './data',
    redisUrls,
    redisKeyPrefix,
    redisCommandTimeout,
    session: {
      idleTimeout,
      absoluteTimeout,
      rememberTimeout,
      rememberIdleTimeout,
      reauthWindow,
      maxPerUser: int(env, 'SESSION_MAX_PER_USER', 20, 1, 1000),
      localCacheSize: int(env, 'SESSION_LOCAL_CACHE_SIZE', DEFAULT_LOCAL_CACHE_SIZE, 0, 10_000_000),
    },
    cookieSecure,
    allowedOrigins: Object.freeze(allowedOrigins),
    trustProxy,
    bootstrapAdmin: adminUser && adminPass ? { username: adminUser, password: adminPass } : undefined,
    logLevel,
    login: {
      maxFailures: int(env, 'LOGIN_MAX_FAILURES', 5, 1, 100),
      // NIST 800-63B: at most 100 consecutive failures on one account. Set above LOGIN_MAX_FAILURES, or
      // a single address reaches the ceiling and locks the owner out everywhere (the lever S-74 removes).
      accountMaxFailures: int(env, 'LOGIN_ACCOUNT_MAX_FAILURES', 50, 1, 100),
      addressMaxFailures: int(env, 'LOGIN_ADDRESS_MAX_FAILURES', 30, 1, 100000),
      lockoutBase: duration(env, 'LOGIN_LOCKOUT_BASE', '60s'),
      lockoutMax: duration(env, 'LOGIN_LOCKOUT_MAX', '1h'),
      failureWindow: duration(env, 'LOGIN_FAILURE_WINDOW', '15m'),
      // One core is left to the event loop: argon2 runs on libuv threads, and a hash per core starves
      // the authenticated requests a sign-in storm arrives with (bench: sign-in storm p99).
      hashConcurrency: int(env, 'PASSWORD_HASH_CONCURRENCY', Math.max(1, availableParallelism() - 1), 1, 64),
      hashQueue: int(env, 'PASSWORD_HASH_QUEUE', 64, 0, 10000),
    },
    // Sign-ups from one address (IPv4, or IPv6 /64) before it waits an hour: each costs an argon2 hash
    // and a row, and unthrottled they are a cheap way to fill the database or burn CPU.
    registerAddressMax: int(env, 'REGISTER_ADDRESS_MAX', 20, 1, 1_000_000),
    purgeInterval: duration(env, 'PURGE_INTERVAL', '5m'),
    auditRetention: duration(env, 'AUDIT_RETENTION', '90d'),
    exportInterval: duration(env, 'EXPORT_MIN_INTERVAL', '1m'),
    // Each import may cost a core for a second or two (off the event loop, but still a core).
    importMax: int(env, 'IMPORT_MAX', 30, 1, 1_000_000),
    importWindow: duration(env, 'IMPORT_WINDOW', '10m'),
    tls: certFile && keyFile ? { certFile, keyFile } : undefined,
    metricsToken,
    metricsTokens: [metricsToken, metricsTokenPrevious].filter((t): t is string => t !== undefined),
    publicUrl,
    passwordResetTtl,
    // Each stream is an open socket and a few hundred bytes here; the default leaves room in a 65k fd limit.
    events: { maxStreams: int(env, 'EVENTS_MAX_STREAMS', 10000, 1, 1_000_000), heartbeat: duration(env, 'EVENTS_HEARTBEAT', '25s') },
    secretKey,
    secretKeyFile,
    secretKeyPrevious,
    mail: { smtpUrl, from: mailFrom },
    // Each request may queue a mail: a flood from one address is a flood of mail (S-87).
    passwordResetAddressMax: int(env, 'PASSWORD_RESET_ADDRESS_MAX', 20, 1, 1_000_000),
  };
  return deepFreeze(config);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
