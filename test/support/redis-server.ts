import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.js';
import { type Daemon, logTail, registerTempDir, removeTempDir, runCommand, spawnDaemon, stopDaemon } from './processes.js';

/**
 * Throwaway Redis servers from Debian's `redis-server` (and `redis-cli` from redis-tools), on loopback,
 * with persistence off: a restarted server comes back empty, which is exactly the "Redis lost its data"
 * case the session engine must survive.
 */
export interface RedisServer {
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  readonly logFile: string;
  /** Kills the server and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
  /** Kills the server; the port is remembered so resume() comes back on it. Clients get ECONNREFUSED. */
  pause(): Promise<void>;
  /** Starts it again on the same port, with no data. */
  resume(): Promise<void>;
}

export interface RedisCluster {
  /** One redis://127.0.0.1:PORT per master; any of them is a valid seed for a cluster client. */
  readonly urls: string[];
  readonly ports: number[];
  stop(): Promise<void>;
}

export interface RedisOptions {
  /** A fixed port; default a free random one. */
  port?: number;
  /** Extra `--name value` arguments, e.g. { maxmemory: '10mb' }. */
  settings?: Record<string, string>;
  startTimeoutMs?: number;
}

const SERVER = process.env.REDIS_SERVER_BIN ?? 'redis-server';
const CLI = process.env.REDIS_CLI_BIN ?? 'redis-cli';

/** Undefined if redis-server and redis-cli run, otherwise a sentence saying what to install. */
export async function missingRedis(): Promise<string | undefined> {
  for (const bin of [SERVER, CLI]) {
    try {
      await runCommand(bin, ['--version'], { timeoutMs: 10000 });
    } catch {
      return `${bin} not found: install it with \`apt-get install -y redis-server\` (Debian 12; brings redis-tools)`;
    }
  }
  return undefined;
}

/** One command through redis-cli; resolves with its raw output (no quoting, one reply per line). */
export function redisCli(port: number, ...args: string[]): Promise<string> {
  return runCommand(CLI, ['-h', '127.0.0.1', '-p', String(port), '--raw', ...args], { timeoutMs: 15000 });
}

async function waitForPong(port: number, daemon: Daemon, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!daemon.alive()) throw new Error(`redis-server exited (${await daemon.exited}) before answering PING`);
    try {
      last = (await redisCli(port, 'PING')).trim();
      if (last === 'PONG') return; // LOADING and the like come back as other text
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(50);
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms (last: ${last})`);
}

function serverArgs(port: number, dir: string, settings: Record<string, string>): string[] {
  const all: Record<string, string> = {
    port: String(port),
    bind: '127.0.0.1',
    save: '', // no RDB snapshots
    appendonly: 'no',
    dir,
    daemonize: 'no',
    logfile: '', // stdout, which goes to our log file
    ...settings,
  };
  return Object.entries(all).flatMap(([k, v]) => [`--${k}`, v]);
}

/** Starts one node, retrying on a fresh port if a random one was taken before redis bound it. */
async function launchNode(
  dir: string,
  logFile: string,
  settings: Record<string, string>,
  timeoutMs: number,
  pickPort: () => Promise<number>,
  fixedPort: boolean,
): Promise<{ port: number; daemon: Daemon }> {
  for (let attempt = 1; ; attempt++) {
    const port = await pickPort();
    const daemon = spawnDaemon(SERVER, serverArgs(port, dir, settings), { logFile, cwd: dir, killSignal: 'SIGKILL' });
    try {
      await waitForPong(port, daemon, timeoutMs);
      return { port, daemon };
    } catch (err) {
      await stopDaemon(daemon, 'SIGKILL');
      const bindFailed = /address already in use|could not create server tcp/i.test(logTail(logFile, 10));
      if (!bindFailed || fixedPort || attempt >= 3) {
        throw new Error(`${(err as Error).message}\n--- ${logFile} ---\n${logTail(logFile)}`);
      }
    }
  }
}

export async function startRedis(opts: RedisOptions = {}): Promise<RedisServer> {
  const missing = await missingRedis();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), 'stockade-redis-'));
  registerTempDir(dir);
  const logFile = join(dir, 'redis.log');
  const settings = opts.settings ?? {};
  const timeoutMs = opts.startTimeoutMs ?? 15000;

  let node: { port: number; daemon: Daemon };
  try {
    node = await launchNode(dir, logFile, settings, timeoutMs, async () => opts.port ?? freePort(), !!opts.port);
  } catch (err) {
    removeTempDir(dir);
    throw err;
  }
  const port = node.port;
  let stopped = false;
  // SIGKILL rather than SHUTDOWN: nothing to save, and a dead server is what fault tests want.
  const kill = () => stopDaemon(node.daemon, 'SIGKILL');
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    logFile,
    async stop() {
      if (stopped) return;
      stopped = true;
      await kill();
      removeTempDir(dir);
    },
    pause: kill,
    async resume() {
      if (stopped) throw new Error('resume() after stop()');
      if (node.daemon.alive()) return;
      node = await launchNode(dir, logFile, settings, timeoutMs, async () => port, true);
    },
  };
}

/** Three masters in cluster mode, slots spread over all three, no replicas. */
export async function startRedisCluster(opts: { startTimeoutMs?: number } = {}): Promise<RedisCluster> {
  const missing = await missingRedis();
  if (missing) throw new Error(missing);
  const timeoutMs = opts.startTimeoutMs ?? 30000;
  const root = mkdtempSync(join(tmpdir(), 'stockade-redis-cluster-'));
  registerTempDir(root);
  const nodes: { port: number; daemon: Daemon }[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => stopDaemon(n.daemon, 'SIGKILL')));
    removeTempDir(root);
  };
  try {
    for (let i = 0; i < 3; i++) {
      const dir = join(root, `node${i}`);
      mkdirSync(dir);
      const settings = {
        'cluster-enabled': 'yes',
        'cluster-config-file': join(dir, 'nodes.conf'),
        'cluster-node-timeout': '2000',
      };
      // The cluster bus listens on port + 10000, so that one must be free as well.
      const pick = () => freePort([10000]);
      nodes.push(await launchNode(dir, join(dir, 'redis.log'), settings, timeoutMs, pick, false));
    }
    const addrs = nodes.map((n) => `127.0.0.1:${n.port}`);
    await runCommand(CLI, ['--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes'], {
      timeoutMs,
    });
    // `create` returns once slots are assigned; the nodes agree a moment later over the bus.
    const deadline = Date.now() + timeoutMs;
    for (const n of nodes) {
      for (;;) {
        const info = await redisCli(n.port, 'CLUSTER', 'INFO');
        if (info.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`redis cluster node ${n.port} not ok in time:\n${info}`);
        await sleep(100);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const ports = nodes.map((n) => n.port);
  return { urls: ports.map((p) => `redis://127.0.0.1:${p}`), ports, stop };
}
