import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.js';
import { logTail, registerTempDir, removeTempDir, runCommand, spawnDaemon, stopDaemon } from './processes.js';

/**
 * HAProxy in front of several app instances, the way an operator scales Stockade out: HTTP mode,
 * plain round-robin, no stickiness, so consecutive requests of one client land on different servers and
 * a session must be valid (or revoked) on all of them. Health checks are short, so a stopped backend is
 * taken out of rotation within about a second.
 */
export interface Haproxy {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  readonly configFile: string;
  stop(): Promise<void>;
}

export interface Backend {
  host: string;
  port: number;
}

export interface HaproxyOptions {
  /** Health-check path; default /healthz (API.md: process alive). */
  healthPath?: string;
  /** Milliseconds between health checks; default 500. */
  checkIntervalMs?: number;
}

const BIN = process.env.HAPROXY_BIN ?? 'haproxy';

export async function missingHaproxy(): Promise<string | undefined> {
  try {
    await runCommand(BIN, ['-v'], { timeoutMs: 10000 });
    return undefined;
  } catch {
    return `${BIN} not found: install it with \`apt-get install -y haproxy\` (Debian 12)`;
  }
}

export function haproxyConfig(port: number, backends: readonly Backend[], opts: HaproxyOptions = {}): string {
  const inter = opts.checkIntervalMs ?? 500;
  const servers = backends.map(
    (b, i) => `  server app${i} ${b.host}:${b.port} check inter ${inter}ms fastinter ${inter}ms fall 2 rise 1`,
  );
  return [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    // A request that found its server dead is retried on another one rather than failed.
    '  retries 2',
    '  option redispatch',
    'frontend web',
    `  bind 127.0.0.1:${port}`,
    '  default_backend apps',
    'backend apps',
    '  balance roundrobin',
    `  option httpchk GET ${opts.healthPath ?? '/healthz'}`,
    ...servers,
    '',
  ].join('\n');
}

export async function startHaproxy(backends: readonly Backend[], opts: HaproxyOptions = {}): Promise<Haproxy> {
  if (backends.length === 0) throw new Error('startHaproxy needs at least one backend');
  const missing = await missingHaproxy();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), 'stockade-haproxy-'));
  registerTempDir(dir);
  const configFile = join(dir, 'haproxy.cfg');
  const logFile = join(dir, 'haproxy.log');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    writeFileSync(configFile, haproxyConfig(port, backends, opts));
    // -db: stay in the foreground, so the process we hold is the one serving.
    const daemon = spawnDaemon(BIN, ['-db', '-f', configFile], { logFile, cwd: dir, killSignal: 'SIGKILL' });
    // Both settle to a value (never reject), so the loser of the race cannot become an unhandled rejection.
    const failure = await Promise.race([
      waitForPort(port, 10000).then(
        () => undefined,
        (err: Error) => err,
      ),
      daemon.exited.then((code) => new Error(`haproxy exited (${code}) before listening`)),
    ]);
    if (failure) {
      await stopDaemon(daemon, 'SIGKILL');
      const bindFailed = /cannot bind|address already in use/i.test(logTail(logFile, 10));
      if (bindFailed && attempt < 3) continue;
      removeTempDir(dir);
      throw new Error(`${failure.message}\n--- ${logFile} ---\n${logTail(logFile)}`);
    }
    let stopped = false;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      configFile,
      async stop() {
        if (stopped) return;
        stopped = true;
        // SIGUSR1 is haproxy's soft stop (finish requests in flight); SIGTERM is immediate.
        await stopDaemon(daemon, 'SIGTERM', 5000);
        removeTempDir(dir);
      },
    };
  }
}
