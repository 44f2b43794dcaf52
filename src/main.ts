import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildApp } from './app.js';
import { ensureAdmin } from './auth/bootstrap-admin.js';
import { prepareDummyHash } from './auth/passwords.js';
import { loadSecretKeys } from './auth/second-factor/secret-keys.js';
import { ConfigError, loadConfig } from './config.js';
import { migrate } from './db/migrate.js';
import { openDb } from './db/open.js';
import { closeDeps, createDeps } from './wiring/deps.js';
import { startPurgeJob } from './jobs/purge.js';
import { exitOnCrash } from './observability/crash.js';
import { startMailWorker } from './jobs/mail-worker.js';

/** Process entry: config → database → deps → app → listen; SIGTERM drains in-flight requests and closes. */

/** The built web app: next to the package root, whether we run from dist/src (npm start) or src (npm run dev). */
const WEB_ROOT =
  [new URL('../../web/dist/', import.meta.url), new URL('../web/dist/', import.meta.url)]
    .map((u) => fileURLToPath(u))
    .find((dir) => existsSync(dir)) ?? fileURLToPath(new URL('../../web/dist/', import.meta.url));
/** How long a drain may take before the process exits anyway (a request that never ends). */
const DRAIN_TIMEOUT_MS = 10_000;

/** A TLS file, or a start failure that names the variable (not a bare ENOENT). */
function readTlsFile(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`stockade: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }

  // The key sealing second-factor secrets, before anything opens: without one (DATABASE_URL and neither
  // SECRET_KEY nor SECRET_KEY_FILE) the server refuses to start with one line (secret-keys.ts).
  let secretKeys: ReturnType<typeof loadSecretKeys>;
  try {
    secretKeys = loadSecretKeys(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`stockade: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // createDeps counts the database's failures in this app's /metrics (stockade_store_errors_total).
  const db = await openDb(config);
  await migrate(db);
  const deps = createDeps(config, db, { log: 'stdout', secretKeys });
  // An evicting Redis stops the start here, with one line (S-90: evicted keys lose revocations).
  await deps.sessionStack?.checkRedisAtStart(2000);
  // The unknown-user path must cost one verify from the very first request, not a hash plus a verify.
  await prepareDummyHash();
  const app = await buildApp(deps, {
    webRoot: WEB_ROOT,
    ...(config.tls
      ? { https: { cert: readTlsFile('TLS_CERT_FILE', config.tls.certFile), key: readTlsFile('TLS_KEY_FILE', config.tls.keyFile) } }
      : {}),
  });
  if (!config.cookieSecure) {
    app.log.warn('COOKIE_SECURE=false: the session cookie is sent over plain HTTP. Use this only behind no network at all.');
  }
  if (config.bootstrapAdmin) {
    const created = await ensureAdmin(deps.users, deps.authenticator, config.bootstrapAdmin.username, config.bootstrapAdmin.password);
    if (created) {
      app.log.info({ username: config.bootstrapAdmin.username }, 'bootstrap admin created');
      const admin = await deps.users.findByUsername(config.bootstrapAdmin.username);
      await deps.audit.system('admin.created', { userId: admin?.id ?? null, details: { via: 'bootstrap' } });
    }
  }
  // Retention: expired sessions, old audit rows, dead throttling records; off the request path.
  deps.closers.push(startPurgeJob(deps, { intervalSeconds: config.purgeInterval, auditRetention: config.auditRetention, log: app.log }));
  // Outbound mail, off the request path: this server's share of the queue (every server runs one).
  const mailWorker = startMailWorker(deps.mailQueue, deps.mailTransport, { log: app.log, metrics: deps.mailMetrics });
  deps.closers.push(() => mailWorker.stop());
  if (!config.mail.smtpUrl) app.log.info('SMTP_URL not set: mail is written as .eml files to DATA_DIR/outbox/');

  /*
   * Graceful shutdown. app.close() stops accepting connections and closes idle keep-alive ones at once;
   * a request already in flight runs to its end (streamed CSV included), and a request that still
   * arrives on an open connection is served with `Connection: close` (app.ts: return503OnClosing off).
   * Only then are the stores closed, so no request finds its database gone. Bounded by DRAIN_TIMEOUT_MS
   * (a client that stops reading a stream must not hold the process); a second signal exits at once.
   */
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal: exiting now without draining');
      process.exit(1);
    }
    stopping = true;
    const started = Date.now();
    app.log.info({ signal }, 'shutting down: draining in-flight requests');
    const force = setTimeout(() => {
      app.log.error({ afterMs: DRAIN_TIMEOUT_MS }, 'shutdown timed out: exiting with requests or stores still open');
      process.exit(1);
    }, DRAIN_TIMEOUT_MS);
    force.unref();
    // app.close() closes the idle keep-alive connections once, when it starts. A connection whose
    // request is still in flight would stay open after its answer until keepAliveTimeout (72 s in
    // Fastify), and app.close() with it: from now on an idle connection lives 200 ms (time enough for a
    // request already on its way, which is served with `Connection: close`).
    app.server.keepAliveTimeout = Math.min(app.server.keepAliveTimeout, 200);
    let code = 0;
    try {
      await app.close();
      app.log.info({ ms: Date.now() - started }, 'requests drained; closing stores');
      await closeDeps(deps);
      app.log.info({ ms: Date.now() - started }, 'shut down cleanly');
      // process.exit below flushes the asynchronous log destination (observability/logger.ts).
    } catch (err) {
      app.log.error({ err }, 'error while shutting down');
      code = 1;
    }
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // A bug that escapes every handler ends the process, with a fatal line and the log flushed (crash.ts).
  exitOnCrash(deps.log);

  await app.listen({ port: config.port, host: config.host });
}

main().catch((err) => {
  process.stderr.write(`stockade: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
