#!/usr/bin/env node
// CPU time per request: what a contender costs, measured so that a busy machine hardly moves it. The
// server process's user + system CPU time (/proc/<pid>/stat, all its threads) over a wrk run, divided by
// the requests it served; contenders interleaved over rounds, medians printed. Throughput on a shared
// 2-core VM swings with the neighbours (bare Fastify 2,000–14,000 req/s within minutes on 2026-12-03);
// CPU per request stayed within ±5 %. A build other than the committed one can be compared as
// key@/path/to/its/root (the root holds dist/src/main.js: a `git archive` of another commit, built).
//
//   node bench/cpu.mjs fastify-same-work,stockade-pg@/tmp/before,stockade-pg [rounds=3] [seconds=5] [path]
//
// It measures the working tree's dist/ (run `npm run build` first), not a snapshot: a tool for
// iterating, not for the results table.
import { readFileSync } from 'node:fs';
import { installCleanup } from './lib/proc.mjs';
import { startPostgres } from './lib/services.mjs';
import { ensureWrk, runWrk } from './lib/wrk.mjs';
import { REFERENCES, STOCKADES, prepareStores, startInstance, releaseStores } from './lib/contenders.mjs';
import { prepareLoadSessions } from './lib/prepare.mjs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
const WORK = join(dirname(fileURLToPath(import.meta.url)), '.work', 'cpu');
const keys = process.argv[2].split(',');
const rounds = Number(process.argv[3] ?? 3);
const secs = Number(process.argv[4] ?? 5);
const path = process.argv[5] ?? '/api/auth/session';
const ticks = 100; // CLK_TCK
function cpu(pid) { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / ticks; }
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
  const r = { spec, stores, ...inst, k };
  await prepareLoadSessions(r, WORK, 16);
  run.push(r);
}
const res = Object.fromEntries(keys.map((k) => [k, []]));
for (let i = 0; i < rounds; i++) for (const r of run) {
  const args = { base: r.base, script: 'get-with-cookies', args: [path, r.cookieFile], connections: 64 };
  await runWrk({ ...args, seconds: i === 0 ? 2 : 1 });
  const c0 = cpu(r.pid);
  const w = await runWrk({ ...args, seconds: secs });
  const c1 = cpu(r.pid);
  const us = ((c1 - c0) / w.requests) * 1e6;
  res[r.k].push({ us, rps: w.rps, p99: w.p99 });
  console.log(`${r.k.padEnd(40)} ${us.toFixed(1)} µs CPU/request  ${Math.round(w.rps)} req/s  p99 ${w.p99.toFixed(2)} ms  err ${w.errors}`);
}
const med = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('--- medians');
for (const k of keys) console.log(`${k.padEnd(40)} ${med(res[k].map((x) => x.us)).toFixed(1)} µs/request  ${Math.round(med(res[k].map((x) => x.rps)))} req/s`);
for (const r of run) { await r.stop(); await releaseStores(r.stores); }
await pg.stop();
