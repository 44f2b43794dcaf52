import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildApp } from './app.js';
import { ensureAdmin } from './auth/bootstrap-admin.js';
import { prepareDummyHash } from './auth/passwords.js';
import { ConfigError, loadConfig } from './config.js';
import { migrate } from './db/migrate.js';
import { openDb } from './db/open.js';
import { closeDeps, createDeps } from './deps.js';
import { startPurgeJob } from './jobs/purge.js';
import { loggerOptions } from './logger.js';

/** Process entry: config → database → deps → app → listen; SIGTERM drains in-flight requests and closes. */

const WEB_ROOT = fileURLToPath(new URL('../../web/dist/', import.meta.url));

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

  const db = await openDb(config);
  await migrate(db);
  const deps = createDeps(config, db);
  // The unknown-user path must cost one verify from the very first request, not a hash plus a verify.
  await prepareDummyHash();
  const app = await buildApp(deps, {
    logger: loggerOptions(config),
    webRoot: WEB_ROOT,
    ...(config.tls ? { https: { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) } } : {}),
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
  deps.closers.push(
    startPurgeJob(deps, { intervalSeconds: config.purgeInterval, auditRetention: config.auditRetention, log: app.log }),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    app.log.info({ signal }, 'shutting down: draining in-flight requests');
    // Bounded: a request that never ends must not keep the process alive forever.
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    try {
      await app.close();
      await closeDeps(deps);
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
}

main().catch((err) => {
  process.stderr.write(`stockade: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
