// Sign-in throughput (password hashing is the cost) and authenticated latency during a sign-in storm.
import { runWrk } from '../wrk.mjs';
import { refreshCookies } from '../prepare.mjs';
import { PATHS } from './throughput.mjs';
import { sleep } from '../proc.mjs';

// When wrk stops, the sign-ins it had in flight are still being hashed on the server core (nobody aborts
// a hash because the client left). Waiting this long lets that work drain before the next measurement,
// which would otherwise start on a busy core.
const DRAIN_MS = 2500;

const LOGIN = '/api/auth/login';

export async function measureSignin(running, o, log) {
  const out = {};
  for (const r of running) out[r.spec.key] = [];
  for (let round = 1; round <= o.rounds; round++) {
    for (const r of running) {
      const args = { base: r.base, script: 'login', args: [LOGIN, r.loginFile], connections: o.connections };
      await runWrk({ ...args, seconds: o.warmup });
      await sleep(DRAIN_MS);
      const res = await runWrk({ ...args, seconds: o.seconds });
      await sleep(DRAIN_MS);
      out[r.spec.key].push(res);
      log(`  round ${round} ${r.spec.key.padEnd(26)} sign-in ${res.rps.toFixed(1).padStart(7)} /s  p99 ${res.p99.toFixed(0)} ms${res.errors ? `  ERRORS ${res.errors}` : ''}`);
    }
  }
  return out;
}

/**
 * Per round: authenticated GETs alone (idle p99), then the same GETs while a second wrk signs users in as
 * fast as the server allows. Both wrk processes share the load core; the GET load is light (a few
 * connections) so it measures latency, not capacity.
 */
export async function measureStorm(running, o, log) {
  const out = {};
  for (const r of running) out[r.spec.key] = { idle: [], storm: [], signin: [] };
  for (let round = 1; round <= o.rounds; round++) {
    for (const r of running) {
      await refreshCookies(r);
      const get = { base: r.base, script: 'get-with-cookies', args: [PATHS.session, r.cookieFile], connections: o.getConnections };
      await runWrk({ ...get, seconds: o.warmup });
      const idle = await runWrk({ ...get, seconds: o.seconds });
      const stormLoad = { base: r.base, script: 'login', args: [LOGIN, r.loginFile], connections: o.stormConnections };
      const stormP = runWrk({ ...stormLoad, seconds: o.seconds + o.warmup + 1 });
      await new Promise((res) => setTimeout(res, o.warmup * 1000)); // let the storm build up first
      const during = await runWrk({ ...get, seconds: o.seconds });
      const storm = await stormP;
      await sleep(DRAIN_MS);
      out[r.spec.key].idle.push(idle);
      out[r.spec.key].storm.push(during);
      out[r.spec.key].signin.push(storm);
      log(`  round ${round} ${r.spec.key.padEnd(26)} p99 idle ${idle.p99.toFixed(2)} ms, during storm ${during.p99.toFixed(2)} ms (${storm.rps.toFixed(0)} sign-ins/s${storm.errors ? `, ${storm.errors} refused` : ''})${idle.errors + during.errors ? `  GET ERRORS ${idle.errors + during.errors}` : ''}`);
    }
  }
  return out;
}
