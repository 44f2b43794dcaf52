// Database writes per session-hour at one request per second: every listed contender at once (the load is
// tiny), each of its load sessions asking "who am I" once a second. Writes are counted in the stores
// themselves: rows written by PostgreSQL write statements, from pg_stat_statements (updated as each
// statement ends, unlike the table statistics, which backends flush lazily), Redis writes from its dirty
// counter.
import { getStatus } from '../client.mjs';
import { sleep } from '../proc.mjs';
import { PATHS } from './throughput.mjs';

const WRITES = `FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
  WHERE d.datname = $DB AND (s.query ~* '^\\s*(insert|update|delete|merge)\\M'
    OR (s.query ~* '^\\s*with\\M' AND s.query ~* '\\m(insert|update|delete)\\s'))`;

/** Rows written (inserted, updated, deleted) by the database's write statements so far. A statement that
 *  touches no row (a purge finding nothing, a renewal of a session already renewed) is not a write. */
export function pgRowsWritten(pg, db) {
  return Number(pg.psql('postgres', `SELECT coalesce(sum(s.rows), 0) ${WRITES.replace('$DB', `'${db}'`)}`));
}

/** Per-statement calls and rows, for the record (which statements write, and how often). */
export function pgWriteBreakdown(pg, db) {
  return pg
    .psql('postgres', `SELECT s.calls, s.rows, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 140) ${WRITES.replace('$DB', `'${db}'`)} ORDER BY s.rows DESC`)
    .split('\n')
    .filter(Boolean);
}

export async function measureWrites(running, pg, o, log) {
  const snap = () =>
    Object.fromEntries(
      running.map((r) => [r.spec.key, { pg: r.stores.dbUrl ? pgRowsWritten(pg, r.stores.dbName) : Number.NaN, redis: r.stores.redis ? r.stores.redis.writes() : Number.NaN }]),
    );
  let stop = false;
  const bad = {};
  const loops = running.flatMap((r) =>
    r.sessions.map(async (s) => {
      await sleep(Math.random() * 1000); // spread the sessions over the second
      let next = performance.now();
      while (!stop) {
        const status = await getStatus(r.base, PATHS.session, s.cookie);
        if (status !== 200) bad[r.spec.key] = (bad[r.spec.key] ?? 0) + 1;
        next += 1000;
        await sleep(Math.max(0, next - performance.now()));
      }
    }),
  );
  await sleep(o.warmup * 1000);
  const before = snap();
  const t0 = performance.now();
  await sleep(o.seconds * 1000);
  const after = snap();
  const hours = (performance.now() - t0) / 3_600_000;
  stop = true;
  await Promise.all(loops);
  const out = {};
  for (const r of running) {
    const k = r.spec.key;
    const n = r.sessions.length;
    out[k] = {
      pg: (after[k].pg - before[k].pg) / n / hours,
      redis: (after[k].redis - before[k].redis) / n / hours,
      sessions: n,
      failures: bad[k] ?? 0,
      statements: r.stores.dbUrl ? pgWriteBreakdown(pg, r.stores.dbName) : [],
    };
    log(`  ${k.padEnd(26)} PostgreSQL ${out[k].pg.toFixed(0).padStart(5)}  Redis ${out[k].redis.toFixed(0).padStart(5)} writes/session-hour${bad[k] ? `  (${bad[k]} non-200!)` : ''}`);
  }
  return out;
}
