import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';

/**
 * Long-running helper processes (postgres, redis-server, haproxy) with their output in a log file and
 * a guarantee that they do not outlive the test process: on exit, and on SIGINT/SIGTERM/SIGHUP, every
 * daemon still running gets its `killSignal` and every registered directory is removed. A test process
 * killed with SIGKILL cannot clean up; then postgres and redis stay until killed by hand
 * (`ps -ef | grep stockade-`).
 */
export interface Daemon {
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  readonly logFile: string;
  /** Whether it is still running. */
  alive(): boolean;
}

export interface SpawnOptions {
  logFile: string;
  cwd?: string;
  /** Run as this user (needs root); postgres refuses to run as root. */
  user?: { uid: number; gid: number };
  /** Signal used when the test process exits with the daemon still running. */
  killSignal?: NodeJS.Signals;
  env?: NodeJS.ProcessEnv;
  /** Standard output on a pipe the caller reads (`child.stdout`) instead of the log file, which keeps stderr. */
  stdoutOnPipe?: boolean;
}

const live = new Map<ChildProcess, NodeJS.Signals>();
const dirs = new Set<string>();
let hooked = false;

function cleanupNow(): void {
  for (const [child, sig] of live) {
    try {
      child.kill(sig);
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 2 });
  dirs.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', cleanupNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      cleanupNow();
      // Let the default action (death by that signal) happen unless someone else handles it.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.once(sig, onSignal);
  }
}

/** Removed when the test process exits, unless unregistered first (by a normal stop()). */
export function registerTempDir(dir: string): void {
  hookExit();
  dirs.add(dir);
}

export function removeTempDir(dir: string): void {
  dirs.delete(dir);
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

export function spawnDaemon(cmd: string, args: readonly string[], opts: SpawnOptions): Daemon {
  hookExit();
  const fd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', opts.stdoutOnPipe ? 'pipe' : fd, fd],
      ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
    });
  } finally {
    closeSync(fd); // the child holds its own copy
  }
  let running = true;
  live.set(child, opts.killSignal ?? 'SIGKILL');
  const exited = new Promise<number | string>((resolve) => {
    // 'error' (e.g. ENOENT) fires instead of 'exit' when the program could not be started at all.
    child.once('error', (err) => {
      running = false;
      live.delete(child);
      resolve(`spawn error: ${err.message}`);
    });
    child.once('exit', (code, signal) => {
      running = false;
      live.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return { child, exited, logFile: opts.logFile, alive: () => running };
}

/** Sends `signal`, waits up to timeoutMs, then SIGKILL. Resolves once the process is gone. */
export async function stopDaemon(d: Daemon, signal: NodeJS.Signals, timeoutMs = 10000): Promise<void> {
  if (!d.alive()) return;
  d.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const first = await Promise.race([d.exited, timedOut]);
  clearTimeout(timer);
  if (first === 'timeout') {
    d.child.kill('SIGKILL');
    await d.exited;
  }
}

/** The last lines of a log file, for error messages that say why a server did not come up. */
export function logTail(file: string, lines = 25): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** uid and gid of a system user from /etc/passwd, or undefined if there is none. */
export function systemUser(name: string): { uid: number; gid: number } | undefined {
  if (!existsSync('/etc/passwd')) return undefined;
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] && f[3]) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}

/** Runs a short command to completion; rejects with its output if it fails. */
export function runCommand(
  cmd: string,
  args: readonly string[],
  opts: { user?: { uid: number; gid: number }; cwd?: string; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 60000,
      ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
    });
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.once('error', (err) => reject(new Error(`${cmd}: ${err.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${code ?? signal}):\n${out.trimEnd()}`));
    });
  });
}
