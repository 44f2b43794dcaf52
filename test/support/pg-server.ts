import { chownSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './ports.js';
import { type Daemon, logTail, registerTempDir, removeTempDir, runCommand, spawnDaemon, stopDaemon, systemUser } from './processes.js';

/**
 * A throwaway PostgreSQL 15 server for tests: its own data directory under /tmp, a loopback port, trust
 * authentication, durability off (fsync, synchronous_commit, full_page_writes) because a crash only loses
 * test data. Debian's server refuses to run as root, so as root it runs as the `postgres` system user.
 */
export interface PgServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** Fast shutdown, then the data directory is removed. Safe to call twice. */
  stop(): Promise<void>;
  /** Fast shutdown keeping the data: clients now get ECONNREFUSED (fault tests). */
  pause(): Promise<void>;
  /** Starts the paused server again on the same port with the same data. */
  resume(): Promise<void>;
}

export interface PgServerOptions {
  /** Where initdb and postgres are; default $PG_BIN_DIR or /usr/lib/postgresql/15/bin. */
  binDir?: string;
  /** A fixed port; default a free random one. */
  port?: number;
  /** Extra server settings (-c name=value), e.g. { max_connections: '50' }. */
  settings?: Record<string, string>;
  /** How long to wait for the server to accept connections. */
  startTimeoutMs?: number;
}

export const DEFAULT_PG_BIN_DIR = '/usr/lib/postgresql/15/bin';

export function pgBinDir(binDir?: string): string {
  return binDir ?? process.env.PG_BIN_DIR ?? DEFAULT_PG_BIN_DIR;
}

/** Undefined if the server binaries are there, otherwise a sentence saying what to install. */
export function missingPostgres(binDir?: string): string | undefined {
  const dir = pgBinDir(binDir);
  for (const bin of ['initdb', 'postgres']) {
    if (!existsSync(join(dir, bin))) {
      return `PostgreSQL 15 server binaries not found (${join(dir, bin)}): install them with \`apt-get install -y postgresql-15\` (Debian 12) or set PG_BIN_DIR`;
    }
  }
  return undefined;
}

const BASE_SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  // Several app instances per test (scale-out tests) times a pool of 10, times two test files at once.
  max_connections: '300',
  max_wal_size: '1GB',
};

/** Resolves once `url` answers SELECT 1; rejects early if the server process has died. */
async function waitUntilReady(url: string, daemon: Daemon, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (!daemon.alive()) throw new Error(`postgres exited (${await daemon.exited}) before accepting connections`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => {}); // a failed start must not crash the test process
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (err) {
      lastError = (err as Error).message; // "the database system is starting up", ECONNREFUSED …
    } finally {
      await client.end().catch(() => {});
    }
    await sleep(50);
  }
  throw new Error(`postgres did not accept connections within ${timeoutMs} ms (last error: ${lastError})`);
}

export async function startPostgresServer(opts: PgServerOptions = {}): Promise<PgServer> {
  const binDir = pgBinDir(opts.binDir);
  const missing = missingPostgres(binDir);
  if (missing) throw new Error(missing);
  // postgres will not run as root; as anyone else it runs as that user.
  const user = process.getuid?.() === 0 ? systemUser('postgres') : undefined;
  if (process.getuid?.() === 0 && !user) {
    throw new Error('running as root but there is no `postgres` system user to run PostgreSQL as');
  }
  const timeoutMs = opts.startTimeoutMs ?? 30000;

  const dir = mkdtempSync(join(tmpdir(), 'stockade-pg-'));
  registerTempDir(dir);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  mkdirSync(dataDir, { mode: 0o700 });
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(dataDir, user.uid, user.gid);
  }
  try {
    await runCommand(join(binDir, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], {
      ...(user ? { user } : {}),
      cwd: dir,
      timeoutMs: 120000,
    });
  } catch (err) {
    removeTempDir(dir);
    throw err;
  }

  const settings = { ...BASE_SETTINGS, ...opts.settings };
  let port = opts.port ?? (await freePort());
  let daemon: Daemon | undefined;

  const launch = async (): Promise<void> => {
    const args = ['-D', dataDir, '-p', String(port), '-k', dir];
    for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`);
    const d = spawnDaemon(join(binDir, 'postgres'), args, {
      logFile,
      cwd: dir,
      ...(user ? { user } : {}),
      // Immediate shutdown: the postmaster takes its backends down with it.
      killSignal: 'SIGQUIT',
    });
    daemon = d;
    try {
      await waitUntilReady(`postgres://postgres@127.0.0.1:${port}/postgres`, d, timeoutMs);
    } catch (err) {
      await stopDaemon(d, 'SIGQUIT', 5000);
      throw new Error(`${(err as Error).message}\n--- ${logFile} ---\n${logTail(logFile)}`);
    }
  };

  // A random port can be taken between our check and postgres binding it: try another one.
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      const bindFailed = /could not (bind|create listen socket)/i.test(logTail(logFile, 10));
      if (!bindFailed || opts.port !== undefined || attempt >= 3) {
        removeTempDir(dir);
        throw err;
      }
      port = await freePort();
    }
  }

  const shutdown = async () => {
    // SIGINT = "fast" shutdown: roll back open transactions, disconnect clients, checkpoint, exit.
    if (daemon) await stopDaemon(daemon, 'SIGINT', 15000);
  };
  let stopped = false;
  return {
    get url() {
      return `postgres://postgres@127.0.0.1:${port}/postgres`;
    },
    get port() {
      return port;
    },
    dataDir,
    logFile,
    async stop() {
      if (stopped) return;
      stopped = true;
      await shutdown();
      removeTempDir(dir);
    },
    pause: shutdown,
    async resume() {
      if (stopped) throw new Error('resume() after stop(): the data directory is gone');
      if (daemon?.alive()) return;
      await launch();
    },
  };
}
