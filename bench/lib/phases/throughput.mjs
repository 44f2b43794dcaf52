// Authenticated GET throughput: every contender, rounds interleaved (A B C … × N) so slow drift of the
// machine (thermal, noisy neighbours) spreads over all of them instead of punishing whoever runs last.
import { runWrk } from '../wrk.mjs';
import { refreshCookies } from '../prepare.mjs';

export const PATHS = { session: '/api/auth/session', items: '/api/items' };

/**
 * @param {Array<{spec, base, cookieFile}>} running
 * @param {{rounds:number, seconds:{session:number, items:number}, warmup:number, connections:number}} o
 * @returns {Record<string, Record<'session'|'items', Array<object>>>} raw wrk results per contender/workload
 */
export async function measureThroughput(running, o, log) {
  const out = {};
  for (const r of running) out[r.spec.key] = { session: [], items: [] };
  for (let round = 1; round <= o.rounds; round++) {
    for (const r of running) {
      await refreshCookies(r);
      for (const w of r.hasItems ? ['session', 'items'] : ['session']) {
        const args = { base: r.base, script: 'get-with-cookies', args: [PATHS[w], r.cookieFile], connections: o.connections };
        // First round: a longer warm-up so the JIT has settled; later rounds only refill connections.
        await runWrk({ ...args, seconds: round === 1 ? o.warmup * 2 : o.warmup });
        const res = await runWrk({ ...args, seconds: o.seconds[w] });
        out[r.spec.key][w].push(res);
        log(`  round ${round} ${r.spec.key.padEnd(26)} ${w.padEnd(7)} ${Math.round(res.rps).toString().padStart(7)} req/s  p99 ${res.p99.toFixed(2)} ms${res.errors ? `  ERRORS ${res.errors}` : ''}`);
      }
    }
  }
  return out;
}
