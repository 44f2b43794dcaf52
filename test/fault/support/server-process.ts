import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../support/ports.js';
import { TEST_SECRET_KEY } from '../../support/secret-key.js';
import { type Daemon, logTail, registerTempDir, removeTempDir, spawnDaemon, stopDaemon } from '../../support/processes.js';

/**
 * A real Stockade server process, started the way an operator starts it (`node --import tsx
 * src/main.ts`, configured by environment only), for the tests that must signal, kill or starve it.
 * Its JSON log (stdout and stderr) goes to a file; `logLines()` reads it back. The process is killed
 * when the test process exits, whatever happens.
 */
export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly daemon: Daemon;
  /** Exit code or signal name, once it has exited. */
  readonly exited: Promise<number | string>;
  /** The log so far: parsed JSON lines (non-JSON lines, e.g. a crash on stderr, as { raw }). */
  logLines(): Record<string, unknown>[];
  logText(): string;
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM and wait (SIGKILL after timeoutMs); removes its data directory. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface ServerProcessOptions {
  /** On top of: HOST, PORT (a free one), COOKIE_SECURE=false, LOG_LEVEL=debug, DATA_DIR (temporary). */
  env?: Record<string, string>;
  /** Scheme for the readiness poll and `url` (https needs TLS_CERT_FILE/TLS_KEY_FILE in env). */
  https?: boolean;
  /** Poll /healthz with this fetch (e.g. one trusting a test CA). */
  fetch?: typeof fetch;
  startTimeoutMs?: number;
  /**
   * Standard output on a pipe this process reads, as under journald or docker, instead of the log file
   * (which keeps stderr): a pipe is what Node makes non-blocking (observability/logger.ts). `logText()`
   * is then the pipe's lines followed by the file's.
   */
  stdoutOnPipe?: boolean;
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export async function startServerProcess(opts: ServerProcessOptions = {}): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'stockade-proc-'));
  registerTempDir(dir);
  const logFile = join(dir, 'server.log');
  const port = Number(opts.env?.PORT ?? (await freePort()));
  const env: NodeJS.ProcessEnv = {
    // A clean environment: nothing leaks in from the test runner's own configuration.
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    HOST: '127.0.0.1',
    PORT: String(port),
    COOKIE_SECURE: 'false',
    // debug: the "incoming request" line of every request too (http/access-log.ts), which request-log.ts
    // reads to tell a request that arrived and was never answered.
    LOG_LEVEL: 'debug',
    DATA_DIR: join(dir, 'data'),
    // Every test client signs up from 127.0.0.1: one address for the whole suite (the sign-up quota
    // itself is tested with its own small limit in test/integration/defences/register-quota.test.ts).
    REGISTER_ADDRESS_MAX: '1000000',
    // With DATABASE_URL the server refuses to start without the key sealing second-factor secrets.
    SECRET_KEY: TEST_SECRET_KEY,
    ...opts.env,
  };
  const daemon = spawnDaemon(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    logFile,
    cwd: ROOT,
    env,
    killSignal: 'SIGKILL',
    stdoutOnPipe: opts.stdoutOnPipe ?? false,
  });
  const piped: Buffer[] = [];
  // Resolves once every byte of the pipe has been read ('close' comes after 'exit'); at once for a file.
  const stdoutRead = new Promise<void>((resolve) => {
    const out = daemon.child.stdout;
    if (!out) return resolve();
    out.on('data', (d: Buffer) => piped.push(d));
    out.once('close', resolve);
  });
  const url = `${opts.https ? 'https' : 'http'}://127.0.0.1:${port}`;
  const poll = opts.fetch ?? fetch;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    if (!daemon.alive()) {
      const code = await daemon.exited;
      const tail = logTail(logFile); // read before the directory holding it goes
      removeTempDir(dir);
      throw new Error(`server exited (${code}) before answering /healthz:\n${tail}`);
    }
    try {
      const res = await poll(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stopDaemon(daemon, 'SIGKILL');
      const tail = logTail(logFile);
      removeTempDir(dir);
      throw new Error(`server did not answer /healthz in time:\n${tail}`);
    }
    await sleep(100);
  }
  const logText = () => Buffer.concat(piped).toString('utf8') + readFileSync(logFile, 'utf8');
  return {
    url,
    port,
    pid: daemon.child.pid ?? -1,
    daemon,
    exited: stdoutRead.then(() => daemon.exited),
    logText,
    logLines: () =>
      logText()
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          try {
            return JSON.parse(line) as Record<string, unknown>;
          } catch {
            return { raw: line };
          }
        }),
    signal: (sig) => {
      if (daemon.alive()) daemon.child.kill(sig);
    },
    async stop(timeoutMs = 15_000) {
      await stopDaemon(daemon, 'SIGTERM', timeoutMs);
      await stdoutRead;
      removeTempDir(dir);
    },
  };
}

/** Resolves once `count` log lines satisfy `match`; rejects after timeoutMs. */
export async function waitForLog(
  server: ServerProcess,
  match: (line: Record<string, unknown>) => boolean,
  count = 1,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (server.logLines().filter(match).length < count) {
    if (Date.now() > deadline) throw new Error(`log: fewer than ${count} matching lines after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Every thread id of a process (Linux: niceness is per thread). */
export function threadsOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [pid];
  }
}

/** Nice -10 for these threads or processes; how many it could change (0 without root). */
export function raisePriority(ids: number[]): number {
  let changed = 0;
  for (const id of ids) {
    try {
      setPriority(id, -10);
      changed++;
    } catch {
      // not permitted, or already gone
    }
  }
  return changed;
}

/** Resident set size of a process in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}
