// Child-process bookkeeping shared by the harness: which core runs what, waiting for readiness, and a
// cleanup that stops every child we started even when the run dies half-way (Ctrl-C, a thrown error).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

/** The server under test and its stores run here… */
export const SERVER_CORE = '0';
/** …and the load generator here, so neither steals the other's cycles. */
export const LOAD_CORE = '1';

/**
 * argv that runs a command on one core (and, with --nice=N, at that scheduling priority: on a machine
 * shared with other work, a negative value keeps that work from stealing the measured cores).
 */
export function pinned(core, argv) {
  const nice = process.env.BENCH_NICE;
  return ['taskset', '-c', core, ...(nice ? ['nice', '-n', nice] : []), ...argv];
}

const children = new Set();

export function track(child, name) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.benchName = name;
  return child;
}

const dirs = new Set();

/** A temp directory to remove at exit, even when the run is interrupted. */
export function trackDir(dir) {
  dirs.add(dir);
  return dir;
}
export function untrackDir(dir) {
  dirs.delete(dir);
}

export function killAll() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

let hooked = false;
export function installCleanup() {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls fn until it returns truthy (exceptions count as "not yet"); throws message() on timeout. */
export async function waitFor(fn, timeoutMs, message) {
  const end = Date.now() + timeoutMs;
  let lastErr;
  while (Date.now() < end) {
    try {
      if (await fn()) return;
    } catch (e) {
      lastErr = e;
    }
    await sleep(100);
  }
  throw new Error(`${message()}${lastErr ? ` (last error: ${lastErr.message})` : ''}`);
}

export function cpuModel() {
  try {
    const out = execFileSync('lscpu', { encoding: 'utf8' });
    return /Model name:\s*(.+)/.exec(out)?.[1]?.trim() ?? 'unknown cpu';
  } catch {
    return 'unknown cpu';
  }
}
