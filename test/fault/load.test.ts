import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../src/db/db.js';
import { openPostgres } from '../../src/db/postgres.js';
import { sample } from '../integration/ops/metrics-text.js';
import { createServerDatabase, type ServerDatabase } from '../support/test-databases.js';
import { raisePriority, rssBytes, type ServerProcess, startServerProcess, threadsOf } from './support/server-process.js';
import { merchant } from './support/traffic.js';
import { runWrk, type WrkSession, writeMixScript } from './support/wrk.js';

/**
 * Sustained load on one server process (PostgreSQL server database, local session cache and
 * LISTEN/NOTIFY bus, as deployed): wrk with 200 connections, signed-in merchants, 1/4 stock adjustments
 * and 3/4 reads. After a warm-up, the measured run must have zero errors (connection, timeout or any
 * non-2xx), resident memory must not grow by 10 % or more, and the event loop must never stall 100 ms or
 * more (monitorEventLoopDelay, read from /metrics: the worst delay since the previous scrape). The
 * ledger must still add up afterwards.
 *
 * Memory growth compares peaks, not two instants, after a warm-up that lasts until the heap has reached
 * its working size. RSS under load is a saw-tooth (the young generation fills and is collected many
 * times a second, the old generation grows until a major collection compacts it), ±25 % here; and the
 * heap keeps growing until the first major collection, which comes after a number of requests, not of
 * seconds (a slow CI machine saw RSS still climbing 20 s in). So the warm-up runs in 4 s slices until
 * RSS has fallen 10 % from its peak at least once (a major collection: the saw-tooth has begun) and
 * 10 s have passed, or 40 s at most. Then the envelope of early traffic — the peak over the warm-up and
 * the run's first third — is compared with the peak of the run's last third: a leak raises every tooth
 * above that envelope, so it still shows (an injected 4 KB/request leak fails at +65 %), and a saw-tooth
 * does not.
 */
const SECONDS = Number(process.env.LOAD_SECONDS ?? 30);
const WARMUP_MIN_SECONDS = 10;
const WARMUP_MAX_SECONDS = 40;
const CONNECTIONS = 200;
const MERCHANTS = 4;

describe(`sustained load: ${CONNECTIONS} connections, ${SECONDS} s`, () => {
  let database: ServerDatabase;
  let server: ServerProcess;
  let dir: string;
  let db: Db;
  before(async () => {
    database = await createServerDatabase();
    db = openPostgres(database.url, { max: 1 });
    // Request logging off (warn), as in the benchmarks: the run measures the server, not the log file.
    server = await startServerProcess({ env: { DATABASE_URL: database.url, LOG_LEVEL: 'warn' } });
    dir = mkdtempSync(join(tmpdir(), 'stockade-load-'));
  });
  after(async () => {
    await db.close();
    await server.stop();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('zero errors, flat memory, no event-loop stall, the ledger adds up', async (t) => {
    const sessions: WrkSession[] = [];
    for (let i = 0; i < MERCHANTS; i++) {
      const c = await merchant(server.url);
      const res = await c.post('/api/items', { sku: `LOAD-${i}`, name: 'Load item', quantity: 1_000_000 });
      assert.equal(res.status, 201);
      sessions.push({ cookie: `${c.cookieName}=${c.token}`, csrf: c.csrfToken!, itemId: res.body.item.id });
    }
    const script = writeMixScript(dir, sessions);
    // The event-loop delay counts time the server was not scheduled at all, and its GC pauses stretch when
    // the collector's threads wait for a core. Other test files run next to this one on the 2 cores, so
    // the system under test — every thread of the server, and the PostgreSQL backends serving its
    // database — runs at a higher priority: their CPU use is not measured as the server's stalls.
    // (Needs root, as in CI; without it the measurement includes the contention.)
    const favour = async () => {
      const backends = await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
      return raisePriority([...threadsOf(server.pid), ...backends.rows.map((r) => Number(r.pid))]);
    };
    const scrape = async () => (await fetch(`${server.url}/metrics`)).text();

    // RSS sampled four times a second, for the warm-up and for the run.
    const sampleRss = (into: number[]) => setInterval(() => into.push(rssBytes(server.pid)), 250);
    await favour();
    const warmRss: number[] = [];
    let sampler = sampleRss(warmRss);
    const warm = { requests: 0, seconds: 0, collected: false };
    while (warm.seconds < WARMUP_MAX_SECONDS && !(warm.collected && warm.seconds >= WARMUP_MIN_SECONDS)) {
      const slice = await runWrk(server.url, script, { seconds: 4, connections: CONNECTIONS, threads: 1 });
      warm.requests += slice.requests;
      warm.seconds += slice.durationUs / 1e6;
      let peak = 0;
      for (const r of warmRss) {
        peak = Math.max(peak, r);
        if (r < peak * 0.9) warm.collected = true;
      }
    }
    clearInterval(sampler);
    const favoured = await favour(); // again: the pool opened its connections during the warm-up
    assert.ok(warm.requests > 0);
    await scrape(); // resets the worst event-loop delay: what follows measures the run only
    const rss: number[] = [];
    sampler = sampleRss(rss);
    const run = await runWrk(server.url, script, { seconds: SECONDS, connections: CONNECTIONS, threads: 1 });
    clearInterval(sampler);
    await sleep(200);
    rss.push(rssBytes(server.pid));
    const rssBefore = Math.max(...warmRss, ...rss.slice(0, Math.floor(rss.length / 3)));
    const rssAfter = Math.max(...rss.slice(Math.floor((rss.length * 2) / 3)));
    const metrics = await scrape();
    const loopMaxMs = sample(metrics, 'nodejs_eventloop_lag_max_seconds') * 1000;
    const loopP99Ms = sample(metrics, 'nodejs_eventloop_lag_p99_seconds') * 1000;
    // GC pauses over 100 ms since the start (prom-client's GC histogram), to tell a collector pause from
    // the server being starved of CPU when the worst delay is high.
    const gcSlow =
      sample(metrics, 'nodejs_gc_duration_seconds_count') - sample(metrics, 'nodejs_gc_duration_seconds_bucket', { le: '0.1' });

    const growth = rssAfter / rssBefore - 1;
    const report =
      `load: ${run.requests} requests in ${(run.durationUs / 1e6).toFixed(1)} s = ${run.requestsPerSecond.toFixed(0)} req/s ` +
      `(warm-up ${warm.seconds.toFixed(0)} s at ${(warm.requests / warm.seconds).toFixed(0)} req/s${warm.collected ? '' : ', no major collection seen'}), latency p50 ${(run.p50Us / 1000).toFixed(1)} ms, ` +
      `p99 ${(run.p99Us / 1000).toFixed(1)} ms, max ${(run.maxUs / 1000).toFixed(1)} ms; errors ${JSON.stringify(run.errors)}; ` +
      `RSS peak ${(rssBefore / 2 ** 20).toFixed(1)} MiB early (warm-up and first third) → ${(rssAfter / 2 ** 20).toFixed(1)} MiB in the last third ` +
      `(${(growth * 100).toFixed(1)} %; low ${(Math.min(...rss) / 2 ** 20).toFixed(1)}, high ${(Math.max(...rss) / 2 ** 20).toFixed(1)} MiB in the run); event loop worst ${loopMaxMs.toFixed(1)} ms, p99 ${loopP99Ms.toFixed(1)} ms; ` +
      `GC pauses over 100 ms: ${gcSlow}; ${favoured} threads and backends at nice -10`;
    t.diagnostic(report);
    // The RSS curve, one reading every 2 s (MiB): warm-up | run.
    const mib = (xs: number[]) =>
      xs
        .filter((_, i) => i % 8 === 0)
        .map((b) => Math.round(b / 2 ** 20))
        .join(' ');
    t.diagnostic(`RSS every 2 s: ${mib(warmRss)} | ${mib(rss)}`);

    assert.ok(run.requests > SECONDS * 100, report);
    assert.deepEqual(run.errors, { connect: 0, read: 0, write: 0, status: 0, timeout: 0 }, report);
    assert.ok(growth < 0.1, `RSS grew ${(growth * 100).toFixed(1)} % after warm-up: ${report}`);
    // The stall bound is a timing claim: `npm run test:soak` (the server alone on the machine) asserts
    // it; inside `npm test`, where other test files share the two cores, the figure is reported only
    // (a timed assertion there would measure the neighbours, not the server).
    if (process.env.LOAD_STRICT === '1') assert.ok(loopMaxMs < 100, `event loop stalled ${loopMaxMs.toFixed(1)} ms: ${report}`);
    else t.diagnostic(`event loop worst ${loopMaxMs.toFixed(1)} ms (asserted < 100 ms by npm run test:soak)`);
    assert.ok(server.daemon.alive());

    // Every adjustment is in the ledger: each item's stock is the sum of its movements.
    const res = await db.query<{ id: string; quantity: number; total: string; moves: string }>(
      `SELECT i.id, i.quantity, sum(m.delta) AS total, count(m.*) AS moves
         FROM items i JOIN movements m ON m.item_id = i.id GROUP BY i.id, i.quantity`,
    );
    assert.equal(res.rows.length, MERCHANTS);
    for (const r of res.rows) assert.equal(Number(r.total), Number(r.quantity), `item ${r.id}`);
    const moves = res.rows.reduce((n, r) => n + Number(r.moves) - 1, 0);
    assert.ok(moves >= ((run.requests + warm.requests) / 4) * 0.9, `${moves} adjustments written`);
  });
});
