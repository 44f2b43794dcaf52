// Validation with 10^3 versus 10^6 stored sessions: two Stockade servers on two databases that differ only
// in how many sessions sit in the sessions table, measured in interleaved rounds. The local cache is off,
// so every request really looks its session up in PostgreSQL (with it on, the table is never read and the
// comparison would say nothing).
//
// Filler sessions are cloned from a real session row in SQL (new id hash, public id and owner), so the
// rows look like Stockade's own whatever columns its schema grows; their tokens are unknowable, so they
// are never validated, only stored, indexed and walked past — which is what the budget is about.
import { runWrk } from '../wrk.mjs';
import { refreshCookies } from '../prepare.mjs';
import { PATHS } from './throughput.mjs';

const FILLER_USERS = 1000;

export function fillSessions(pg, db, total) {
  const have = Number(pg.psql(db, 'SELECT count(*) FROM sessions'));
  const need = total - have;
  if (need <= 0) return have;
  const cols = pg
    .psql(db, "SELECT column_name FROM information_schema.columns WHERE table_name = 'sessions' ORDER BY ordinal_position")
    .split('\n')
    .filter(Boolean);
  for (const c of ['id_hash', 'public_id', 'user_id']) {
    if (!cols.includes(c)) throw new Error(`sessions table has no ${c} column; the filler needs updating`);
  }
  const ucols = pg
    .psql(db, "SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY ordinal_position")
    .split('\n')
    .filter(Boolean);
  const userSelect = ucols
    .map((c) => (c === 'id' ? 'gen_random_uuid()' : ['username', 'username_key'].includes(c) ? `'filler' || g` : `u.${c}`))
    .join(', ');
  const sessionSelect = cols
    .map((c) =>
      c === 'id_hash'
        ? `sha256(convert_to('filler-session-' || g, 'UTF8'))`
        : c === 'public_id'
          ? `'filler' || g`
          : c === 'user_id'
            ? 'f.id'
            : `s.${c}`,
    )
    .join(', ');
  pg.psql(
    db,
    `INSERT INTO users (${ucols.join(', ')})
       SELECT ${userSelect} FROM generate_series(1, ${FILLER_USERS}) g, (SELECT * FROM users LIMIT 1) u
       ON CONFLICT DO NOTHING;
     CREATE TABLE IF NOT EXISTS bench_filler_users AS
       SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM users WHERE username LIKE 'filler%';
     INSERT INTO sessions (${cols.join(', ')})
       SELECT ${sessionSelect}
       FROM generate_series(1, ${need}) g
       JOIN bench_filler_users f ON f.n = g % ${FILLER_USERS},
       (SELECT * FROM sessions LIMIT 1) s;
     ANALYZE sessions;`,
  );
  pg.psql(db, 'VACUUM ANALYZE sessions');
  return Number(pg.psql(db, 'SELECT count(*) FROM sessions'));
}

export async function measureScale(small, large, o, log) {
  const out = { small: [], large: [] };
  for (let round = 1; round <= o.rounds; round++) {
    for (const [k, r] of [['small', small], ['large', large]]) {
      await refreshCookies(r);
      const args = { base: r.base, script: 'get-with-cookies', args: [PATHS.session, r.cookieFile], connections: o.connections };
      await runWrk({ ...args, seconds: round === 1 ? o.warmup * 2 : o.warmup });
      const res = await runWrk({ ...args, seconds: o.seconds });
      out[k].push(res);
      log(`  round ${round} ${k === 'small' ? '10^3' : '10^6'} stored sessions ${Math.round(res.rps).toString().padStart(7)} req/s  p99 ${res.p99.toFixed(2)} ms${res.errors ? `  ERRORS ${res.errors}` : ''}`);
    }
  }
  return out;
}
