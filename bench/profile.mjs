#!/usr/bin/env node
// Where does a contender's time go on the authenticated GET? Starts one contender under
// `node --cpu-prof`, drives "who am I" (or --path) with wrk for a while, stops it gracefully (the profile
// is written at exit) and prints the functions and packages with the most self time.
//
//   node bench/profile.mjs stockade-pg [--seconds=10] [--path=/api/items]
// The raw .cpuprofile stays in bench/.work/prof/ (open it in Chrome DevTools for the full picture).
import { readdirSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCleanup } from './lib/proc.mjs';
import { startPostgres } from './lib/services.mjs';
import { ensureWrk, runWrk } from './lib/wrk.mjs';
import { REFERENCES, STOCKADES, prepareStores, startInstance, releaseStores } from './lib/contenders.mjs';
import { prepareLoadSessions } from './lib/prepare.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const key = process.argv[2];
const opt = Object.fromEntries(process.argv.slice(3).map((a) => a.replace(/^--/, '').split('=')));
const base = [...REFERENCES, ...STOCKADES].find((s) => s.key === key);
if (!base) {
  console.error(`usage: node bench/profile.mjs <${[...REFERENCES, ...STOCKADES].map((s) => s.key).join('|')}> [--seconds=10] [--path=…]`);
  process.exit(2);
}
const profDir = join(BENCH, '.work', 'prof', key);
rmSync(profDir, { recursive: true, force: true });
mkdirSync(profDir, { recursive: true });
const spec = {
  ...base,
  command: (ctx) => {
    const c = base.command(ctx);
    return { ...c, cmd: [c.cmd[0], '--cpu-prof', `--cpu-prof-dir=${profDir}`, ...c.cmd.slice(1)] };
  },
};

installCleanup();
ensureWrk();
const pg = await startPostgres();
const stores = await prepareStores(spec, pg, 'profiled');
const inst = await startInstance(spec, stores);
const r = { spec, stores, ...inst };
await prepareLoadSessions(r, join(BENCH, '.work'), 16);
const path = opt.path ?? '/api/auth/session';
const res = await runWrk({ base: r.base, script: 'get-with-cookies', args: [path, r.cookieFile], connections: 64, seconds: Number(opt.seconds ?? 10) });
console.log(`${key} ${path}: ${Math.round(res.rps)} req/s, p99 ${res.p99.toFixed(2)} ms, errors ${res.errors}`);
await inst.stop(); // SIGTERM: Stockade shuts down gracefully and node writes the profile on exit
await releaseStores(stores);
await pg.stop();

const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
if (!files.length) {
  console.error('no profile written (did the process exit gracefully on SIGTERM?)');
  process.exit(1);
}
const prof = JSON.parse(readFileSync(join(profDir, files[0]), 'utf8'));
const dt = prof.timeDeltas.reduce((a, b) => a + b, 0) / prof.samples.length / 1000; // ms per sample
const byFn = new Map();
const byPkg = new Map();
for (const n of prof.nodes) {
  if (!n.hitCount) continue;
  const { functionName, url, lineNumber } = n.callFrame;
  const file = url.replace(/^file:\/\//, '');
  const fn = `${functionName || '(anonymous)'} ${file ? `${file.replace(/.*\/(node_modules|src|dist)\//, '$1/')}:${lineNumber + 1}` : ''}`;
  byFn.set(fn, (byFn.get(fn) ?? 0) + n.hitCount);
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? (file.includes('/dist/src/') ? `stockade ${file.replace(/.*\/dist\/src\//, '')}` : file.startsWith('node:') ? 'node core (js)' : file ? file : functionName);
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + n.hitCount);
}
const total = prof.samples.length;
const top = (m, n) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${(v * dt).toFixed(0).padStart(6)} ms  ${k}`)
    .join('\n');
console.log(`\nSelf time by function (top 25 of ${total} samples):\n${top(byFn, 25)}`);
console.log(`\nSelf time by package / file:\n${top(byPkg, 20)}`);
console.log(`\nprofile: ${join(profDir, files[0])}`);
