// CPU time per request: the server process's user + system time (/proc/<pid>/stat, all its threads) over a
// wrk run, divided by the requests it served. Throughput on a shared 2-core VM swings with the neighbours
// (bare Fastify 2,000–14,000 req/s within minutes on 2026-12-03); CPU per request stayed within ±5 %.
import { readFileSync } from 'node:fs';
import { runWrk } from './wrk.mjs';

const TICKS = 100; // CLK_TCK

/** Seconds of CPU a process has used (utime + stime of all its threads). */
export function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

/**
 * Each instance's CPU per authenticated GET, interleaved over rounds (A B C … × rounds), each round after
 * a short warm-up. Instances: { key, base, pid, cookieFile }. Returns { key: [{ us, rps, p99 }] }.
 */
export async function measureCpu(instances, { rounds, seconds, connections = 64, path = '/api/auth/session' }, log = () => {}) {
  const res = Object.fromEntries(instances.map((r) => [r.key, []]));
  for (let i = 0; i < rounds; i++)
    for (const r of instances) {
      const args = { base: r.base, script: 'get-with-cookies', args: [path, r.cookieFile], connections };
      await runWrk({ ...args, seconds: i === 0 ? 2 : 1 });
      const c0 = cpuSeconds(r.pid);
      const w = await runWrk({ ...args, seconds });
      const c1 = cpuSeconds(r.pid);
      const us = ((c1 - c0) / w.requests) * 1e6;
      res[r.key].push({ us, rps: w.rps, p99: w.p99 });
      log(`  ${r.key.padEnd(40)} ${us.toFixed(1)} µs CPU/request  ${Math.round(w.rps)} req/s  p99 ${w.p99.toFixed(2)} ms  err ${w.errors}`);
    }
  return res;
}
