import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/db.js';
import { openPostgres } from '../../src/db/postgres.js';
import { type AppDeps, closeDeps, createDeps } from '../../src/wiring/deps.js';
import { type MailWorker, type MailWorkerOptions, startMailWorker } from '../../src/jobs/mail-worker.js';
import type { SessionStore } from '../../src/sessions/stores/store.js';
import { openTestPglite } from './pglite.js';
import { checkResponsesAgainstContract } from './response-contract.js';
import { TEST_SECRET_KEY } from './secret-key.js';
import { createServerDatabase } from './test-databases.js';

/**
 * A real Stockade server on a loopback port, for tests that speak HTTP: the same buildApp and deps as
 * production, a fresh database (in-memory PGlite from the migrated template, or a new database on the
 * shared PostgreSQL server), configuration from env-style strings exactly as an operator would set them.
 * Every JSON answer it gives is checked against the route's declared response schema (response-contract.ts).
 */
export interface TestServer {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly deps: AppDeps;
  readonly config: Config;
  readonly db: Db;
  /** This server's mail worker, unless the test turned it off. */
  readonly mailWorker: MailWorker | undefined;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Environment variables on top of the test defaults below. */
  env?: Record<string, string>;
  /** 'pglite' (default) or 'postgres' (a fresh database on TEST_DATABASE_URL's server). */
  database?: 'pglite' | 'postgres';
  /** Reuse an open database (e.g. two servers over one database); the caller closes it. */
  db?: Db;
  sessionStore?: SessionStore;
  /** Capture log lines (JSON strings) instead of discarding them. */
  logLines?: string[];
  /** Serve this built web app at / (the browser tests build web/ into a temporary directory). */
  webRoot?: string;
  /** The app's clock (sessions, throttling, TOTP steps): a test moves it forward to use the next TOTP code. */
  clock?: () => number;
  /** The mail worker as main.ts runs it (default), with these options, or none (`false`: mail stays queued). */
  mailWorker?: false | Omit<MailWorkerOptions, 'log'>;
}

const TEST_ENV: Record<string, string> = {
  // Files a server writes (the mail outbox without SMTP_URL) go to a directory of this test process,
  // never to the checkout's ./data.
  DATA_DIR: mkdtempSync(join(tmpdir(), 'stockade-test-data-')),
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'info',
  // Every test client signs up from 127.0.0.1: one address for the whole suite (the sign-up quota
  // itself is tested with its own small limit in test/integration/defences/register-quota.test.ts).
  REGISTER_ADDRESS_MAX: '1000000',
  // Seals second-factor secrets; a real deployment makes its own (docs/operations.md).
  SECRET_KEY: TEST_SECRET_KEY,
};

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const config = loadConfig({ ...TEST_ENV, ...opts.env });
  let db = opts.db;
  let dropDatabase: (() => Promise<void>) | undefined;
  if (!db) {
    if (opts.database === 'postgres') {
      const created = await createServerDatabase();
      db = openPostgres(created.url);
      dropDatabase = created.drop;
    } else {
      db = await openTestPglite();
    }
  }
  const lines = opts.logLines;
  const deps = createDeps(config, db, {
    ...(opts.sessionStore ? { sessionStore: opts.sessionStore } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(lines ? { log: { write: (line: string) => void lines.push(line) } } : {}),
  });
  const app = await buildApp(deps, {
    ...(opts.webRoot ? { webRoot: opts.webRoot } : {}),
  });
  // Every JSON answer in every HTTP test is checked against its route's declared schema (response-contract.ts).
  const contract = checkResponsesAgainstContract(app);
  // PORT from env when a test needs to know it up front (a browser's Origin must be in ALLOWED_ORIGINS).
  await app.listen({ host: '127.0.0.1', port: config.port });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  const mailWorker =
    opts.mailWorker === false
      ? undefined
      : startMailWorker(deps.mailQueue, deps.mailTransport, { log: deps.log, metrics: deps.mailMetrics, ...opts.mailWorker });
  if (mailWorker) deps.closers.push(() => mailWorker.stop());
  const ownsDb = !opts.db;
  return {
    url: `http://127.0.0.1:${address.port}`,
    app,
    deps,
    config,
    db,
    mailWorker,
    async close() {
      await app.close();
      if (ownsDb) await closeDeps(deps);
      else for (const c of [...deps.closers].reverse()) await c();
      await dropDatabase?.();
      if (contract.violations.length > 0) {
        throw new Error(`responses broke the contract:\n${contract.violations.join('\n')}`);
      }
    },
  };
}
