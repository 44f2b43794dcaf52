// Revocation propagation between two servers of the same stack (same database, same Redis): sign in on
// A, let B see (and cache) the session, sign out on A, then ask B as fast as it answers until it refuses.
// The figure is the time from A's logout response to B's first 401.
import { login, logout, getStatus } from '../client.mjs';
import { percentile } from '../stats.mjs';
import { PATHS } from './throughput.mjs';

export async function measureRevocation(a, b, o) {
  const samples = [];
  let timeouts = 0;
  for (let i = 0; i < o.trials && timeouts < o.maxTimeouts; i++) {
    const s = await login(a.base, o.username);
    for (let k = 0; k < 3; k++) {
      const st = await getStatus(b.base, PATHS.session, s.cookie);
      if (st !== 200) throw new Error(`server B does not accept a fresh session (${st})`);
    }
    await logout(a.base, s);
    const t1 = performance.now();
    let refused = false;
    while (performance.now() - t1 < o.timeoutMs) {
      if ((await getStatus(b.base, PATHS.session, s.cookie)) === 401) {
        refused = true;
        break;
      }
    }
    if (refused) samples.push(performance.now() - t1);
    else timeouts++;
  }
  return {
    trials: samples.length + timeouts,
    timeouts,
    p50: percentile(samples, 50),
    p99: timeouts ? Number.POSITIVE_INFINITY : percentile(samples, 99),
    max: timeouts ? Number.POSITIVE_INFINITY : Math.max(...samples),
  };
}
