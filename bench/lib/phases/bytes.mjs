// Bytes per session at rest.
// PostgreSQL: live heap tuples + their line pointers + every index entry of the session tables, from
// pgstattuple (exact tuple lengths, independent of how full the last page happens to be), divided by the
// number of live sessions. Redis: MEMORY USAGE summed over every key the stack keeps there (sessions and
// any per-user index of them), divided by the number of sessions it holds.
const LINE_POINTER = 4;

export function pgBytesPerSession(pg, db, tables) {
  pg.psql(db, 'CREATE EXTENSION IF NOT EXISTS pgstattuple');
  let bytes = 0;
  let sessions = 0;
  const parts = [];
  for (const t of tables) {
    pg.psql(db, `VACUUM "${t}"`);
    // The table and each of its indexes, with pgstattuple's exact live-tuple count and length. Index
    // kinds pgstattuple cannot read (BRIN: one summary per range of pages, not an entry per row) are
    // listed with their total size but add nothing per session.
    const rows = pg
      .psql(
        db,
        `SELECT c.relname, coalesce(am.amname, 'heap'), pg_relation_size(c.oid),
           CASE WHEN am.amname IS NULL OR am.amname IN ('btree', 'hash', 'gist')
             THEN (SELECT s.tuple_count || '|' || s.tuple_len FROM pgstattuple(c.oid::regclass) s) END
         FROM pg_class c LEFT JOIN pg_am am ON am.oid = c.relam AND c.relkind = 'i'
         WHERE c.oid = '"${t}"'::regclass OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = '"${t}"'::regclass)
         ORDER BY c.relkind DESC`,
      )
      .split('\n')
      .filter(Boolean);
    for (const row of rows) {
      const [rel, kind, size, count, len] = row.split('|');
      if (count === undefined || count === '') {
        parts.push(`${rel}: ${kind}, ${size} B in all, not per row`);
        continue;
      }
      if (rel === t && t === tables[0]) sessions = Number(count);
      bytes += Number(len) + LINE_POINTER * Number(count);
      parts.push(`${rel}: ${count} tuples, ${len} B`);
    }
  }
  return { perSession: sessions ? bytes / sessions : Number.NaN, sessions, detail: parts.join('; ') };
}

// Summed inside Redis: keys may be binary (Stockade's compact codec), which redis-cli cannot hand back.
const SUM_MEMORY = `local c = '0' local t = 0 local n = 0
repeat
  local r = redis.call('SCAN', c, 'COUNT', 1000)
  c = r[1]
  for _, k in ipairs(r[2]) do
    t = t + (redis.call('MEMORY', 'USAGE', k, 'SAMPLES', '0') or 0)
    n = n + 1
  end
until c == '0'
return {n, t}`;

export function redisBytesPerSession(redis, sessions) {
  const [keys, bytes] = redis.cli('eval', SUM_MEMORY, '0').split('\n').map(Number);
  // No keys at all means the stack keeps nothing in Redis (yet): not measured, rather than a flattering 0.
  return { perSession: sessions && keys ? bytes / sessions : Number.NaN, sessions, keys, detail: `${keys} keys, ${bytes} B` };
}
