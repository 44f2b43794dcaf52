// Runs wrk (Debian's, installed on demand) pinned to the load core and returns its numbers.
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { LOAD_CORE, pinned, track } from './proc.mjs';

const LUA = join(dirname(fileURLToPath(import.meta.url)), '..', 'lua');

export function ensureWrk() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (e) {
    // wrk --version exits 1 even when present; only a missing binary is ENOENT.
    if (e.code !== 'ENOENT') return;
    console.log('wrk not found: installing it from Debian (apt-get install -y wrk)');
    execFileSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'inherit' });
  }
}

/**
 * @param {{base: string, script: 'get-with-cookies'|'login', args: string[], connections: number,
 *          seconds: number, threads?: number}} o
 * @returns {Promise<{rps: number, p50: number, p90: number, p99: number, max: number, requests: number,
 *          errors: number, statusErrors: number}>} latencies in milliseconds
 */
export function runWrk(o) {
  const [cmd0, ...argv] = pinned(LOAD_CORE, [
    'wrk', '-t', String(o.threads ?? 1), '-c', String(o.connections), '-d', `${o.seconds}s`,
    '--timeout', '10s', '-s', join(LUA, `${o.script}.lua`), o.base, '--', ...o.args,
  ]);
  return new Promise((resolve, reject) => {
    const child = track(spawn(cmd0, argv, { stdio: ['ignore', 'pipe', 'pipe'] }), 'wrk');
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH_JSON '));
      if (code !== 0 || !line) return reject(new Error(`wrk failed (${code}): ${err || out}`));
      const j = JSON.parse(line.slice('BENCH_JSON '.length));
      const socketErrors = j.connect_errors + j.read_errors + j.write_errors + j.timeouts;
      resolve({
        rps: j.requests / (j.duration_us / 1e6),
        p50: j.p50_us / 1000,
        p90: j.p90_us / 1000,
        p99: j.p99_us / 1000,
        max: j.max_us / 1000,
        requests: j.requests,
        statusErrors: j.status_errors,
        errors: j.status_errors + socketErrors,
      });
    });
  });
}
