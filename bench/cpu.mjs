#!/usr/bin/env node
// CPU time per request: what a contender costs, measured so that a busy machine hardly moves it. The
// server process's user + system CPU time (/proc/<pid>/stat, all its threads) over a wrk run, divided by
// the requests it served; contenders interleaved over rounds, medians printed. Throughput on a shared
// 2-core VM swings with the neighbours (bare Fastify 2,000–14,000 req/s within minutes on 2026-12-03);
// CPU per request stayed within ±5 % (bench/lib/cpu.mjs). A build other than the committed one can be compared as
// key@/path/to/its/root (the root holds dist/src/main.js: a `git archive` of another commit, built).
//
//   node bench/cpu.mjs fastify-same-work,stockade-pg@/tmp/before,stockade-pg [rounds=3] [seconds=5] [path]
//
// It measures the working tree's dist/ (run `npm run build` first), not a snapshot: a tool for
// iterating, not for the results table.
import { installCleanup } from './lib/proc.mjs';
import { startPostgres } from './lib/services.mjs';
import { ensureWrk } from './lib/wrk.mjs';
import { measureCpu } from './lib/cpu.mjs';
import { REFERENCES, STOCKADES, prepareStores, startInstance, releaseStores } from './lib/contenders.mjs';
import { prepareLoadSessions } from './lib/prepare.mjs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
const WORK = join(dirname(fileURLToPath(import.meta.url)), '.work', 'cpu');
const keys = process.argv[2].split(',');
const rounds = Number(process.argv[3] ?? 3);
const secs = Number(process.argv[4] ?? 5);
const path = process.argv[5] ?? '/api/auth/session';
installCleanup(); ensureWrk();
const pg = await startPostgres();
const run = [];
for (const k of keys) {
  const [key, root] = k.split('@');
  const base = [...REFERENCES, ...STOCKADES].find((s) => s.key === key);
  if (!base) throw new Error(`unknown contender ${key}`);
  // One key per build: the key names the load cookies' file, so two builds must not share it.
  const spec = root ? { ...base, key: `${key}-${root.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}`, command: (ctx) => { const c = base.command(ctx); return { ...c, cmd: ['node', `${root}/dist/src/main.js`] }; } } : base;
  const stores = await prepareStores(spec, pg, k.replace(/[^a-z0-9]/g, '_'));
  const inst = await startInstance(spec, stores);
  const r = { spec, stores, ...inst, key: k };
  await prepareLoadSessions(r, WORK, 16);
  run.push(r);
}
const res = await measureCpu(run, { rounds, seconds: secs, path }, console.log);
const med = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('--- medians');
for (const k of keys) console.log(`${k.padEnd(40)} ${med(res[k].map((x) => x.us)).toFixed(1)} µs/request  ${Math.round(med(res[k].map((x) => x.rps)))} req/s`);
for (const r of run) { await r.stop(); await releaseStores(r.stores); }
await pg.stop();
