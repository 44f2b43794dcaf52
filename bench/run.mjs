#!/usr/bin/env node
// npm run bench: starts every contender on loopback, measures the workloads of issues 7 and 20 in interleaved
// rounds and writes bench/results/<date>.md. See README.md for the contenders and the method.
//
// Options: --quick (1 short round each, to check the harness), --rounds=N, --only=key,key (contenders),
// --phases=throughput,bytes,signin,storm,writes,revocation,scale,ablation, --no-stockade, --nice=N (run
// servers, stores and wrk at that priority, e.g. -10 on a machine busy with other work).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, rmSync, symlinkSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { installCleanup, cpuModel } from './lib/proc.mjs';
import { startPostgres } from './lib/services.mjs';
import { ensureWrk } from './lib/wrk.mjs';
import { REFERENCES, STOCKADES, ROOT, prepareStores, startInstance, releaseStores, setStockadeRoot, getStockadeRoot } from './lib/contenders.mjs';
import { prepareAblations } from './lib/ablations.mjs';
import { measureCpu } from './lib/cpu.mjs';
import { prepareLoadSessions, prepareSigninUsers, refreshCookies } from './lib/prepare.mjs';
import { measureThroughput } from './lib/phases/throughput.mjs';
import { pgBytesPerSession, redisBytesPerSession } from './lib/phases/bytes.mjs';
import { measureSignin, measureStorm } from './lib/phases/signin.mjs';
import { measureWrites } from './lib/phases/writes.mjs';
import { measureRevocation } from './lib/phases/revocation.mjs';
import { fillSessions, measureScale } from './lib/phases/scale.mjs';
import { register } from './lib/client.mjs';
import { writeReport } from './lib/report.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const WORK = join(BENCH, '.work');
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }),
);
const quick = Boolean(args.quick);
if (args.nice) process.env.BENCH_NICE = String(Number(args.nice));
const rounds = args.rounds ? Number(args.rounds) : quick ? 1 : 3;
const ALL_PHASES = ['bytes', 'throughput', 'signin', 'storm', 'writes', 'revocation', 'scale', 'ablation'];
const phases = new Set(args.phases ? String(args.phases).split(',') : ALL_PHASES);
const only = args.only ? new Set(String(args.only).split(',')) : null;

const O = {
  rounds,
  connections: 64,
  loadUsers: 16,
  throughput: { seconds: quick ? { session: 3, items: 2 } : { session: 8, items: 4 }, warmup: 1 },
  signin: { seconds: quick ? 3 : 6, warmup: 1, connections: 16 },
  storm: { seconds: quick ? 3 : 5, warmup: 1, getConnections: 8, stormConnections: 32 },
  writes: { warmup: quick ? 3 : 5, seconds: quick ? 10 : 60 },
  revocation: { trials: quick ? 5 : 30, timeoutMs: 1000, maxTimeouts: 2 },
  scale: { seconds: quick ? 3 : 6, warmup: 1, small: 1_000, large: quick ? 100_000 : 1_000_000 },
  ablation: { seconds: quick ? 2 : 5 },
};

const t0 = Date.now();
const log = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${m}`);

function sh(cmd, argv, cwd) {
  execFileSync(cmd, argv, { cwd, stdio: 'inherit' });
}

/** Installs the bench's own dependencies when missing (they never enter Stockade's). */
function ensureBenchDeps() {
  if (existsSync(join(BENCH, 'node_modules', '.package-lock.json'))) return;
  log('installing bench dependencies (npm ci in bench/)');
  sh('npm', ['ci', '--no-audit', '--no-fund'], BENCH);
}

/**
 * Builds Stockade from a snapshot of the committed tree (git archive HEAD), not from the working tree:
 * several people edit the checkout at once, and a half-saved file must neither break the build nor be
 * measured. Outside a git checkout it builds in place. Returns a note when Stockade cannot be measured.
 */
let measuredCommit = 'working tree';
function buildStockade() {
  if (args['no-stockade']) return 'left out (--no-stockade)';
  if (!existsSync(join(ROOT, 'src', 'main.ts'))) return 'not runnable yet: src/main.ts does not exist';
  try {
    if (!existsSync(join(ROOT, 'node_modules', '.package-lock.json'))) {
      log('installing Stockade dependencies (npm ci)');
      sh('npm', ['ci', '--no-audit', '--no-fund'], ROOT);
    }
    let root = ROOT;
    if (existsSync(join(ROOT, '.git'))) {
      root = join(WORK, 'stockade-src');
      mkdirSync(root, { recursive: true });
      measuredCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
      execFileSync('sh', ['-c', `git -C "${ROOT}" archive --format=tar ${measuredCommit} | tar -x -C "${root}"`], { stdio: 'inherit' });
      symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
    }
    if (!args['no-build'] || root !== ROOT) {
      log(`building Stockade (npm run build${root !== ROOT ? ' in a snapshot of HEAD' : ''})`);
      sh('npm', ['run', 'build', '--silent'], root);
    }
    if (!existsSync(join(root, 'dist', 'src', 'main.js'))) return 'not runnable: the build produced no dist/src/main.js';
    setStockadeRoot(root);
    return null;
  } catch (e) {
    return `not runnable: build failed (${e.message.split('\n')[0]})`;
  }
}

installCleanup();
rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
ensureBenchDeps();
ensureWrk();
const stockadeNote = buildStockade();
if (stockadeNote) log(`Stockade ${stockadeNote}`);

const results = {
  date: new Date().toISOString().slice(0, 10),
  machine: {
    cpu: cpuModel(),
    cores: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    wrk: 'Debian wrk, 1 thread',
    postgres: '',
    redis: execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1] ?? '',
  },
  stockadeCommit: measuredCommit.slice(0, 10),
  options: O,
  quick,
  // A run restricted to some contenders or phases is written as -partial and never replaces the full one.
  partial: Boolean(args.only || args.phases || args['no-stockade']),
  stockadeNote,
  loadavg: { start: os.loadavg()[0] },
  nice: process.env.BENCH_NICE ?? null,
  contenders: [],
  notes: [],
  phaseSeconds: {},
};

const specs = [...REFERENCES, ...(stockadeNote ? [] : STOCKADES)].filter((s) => !only || only.has(s.key));
log('starting PostgreSQL');
const pg = await startPostgres();
results.machine.postgres = pg.psql('postgres', 'SHOW server_version');
const running = [];
const timed = async (name, fn) => {
  if (!phases.has(name)) return;
  const s = Date.now();
  log(`phase ${name}`);
  try {
    await fn();
  } catch (e) {
    log(`phase ${name} failed: ${e.stack ?? e}`);
    results.notes.push(`Phase "${name}" failed: ${String(e.message ?? e).split('\n')[0]}`);
  }
  results.phaseSeconds[name] = Math.round((Date.now() - s) / 1000);
};

try {
  for (const spec of specs) {
    log(`starting ${spec.key}`);
    try {
      const stores = await prepareStores(spec, pg, spec.key.replace(/-/g, '_'));
      const inst = await startInstance(spec, stores);
      const r = { spec, stores, ...inst };
      await prepareLoadSessions(r, WORK, O.loadUsers);
      if (!r.hasItems) results.notes.push(`${spec.key} has no POST /api/items (yet): its items workload was left out.`);
      running.push(r);
    } catch (e) {
      log(`${spec.key} could not start: ${e.message}`);
      results.notes.push(`${spec.key} could not start: ${String(e.message).split('\n')[0]}`);
    }
  }
  results.contenders = running.map((r) => ({ key: r.spec.key, label: r.spec.label, group: r.spec.group }));
  const byKey = (k) => running.find((r) => r.spec.key === k);

  await timed('bytes', async () => {
    results.bytes = {};
    for (const r of running.filter((x) => x.spec.auth)) {
      const b = {};
      if (r.spec.sessionTables.length && r.stores.dbUrl) b.pg = pgBytesPerSession(pg, r.stores.dbName, r.spec.sessionTables);
      if (r.spec.sessionsInRedis && r.stores.redis) b.redis = redisBytesPerSession(r.stores.redis, r.sessions.length);
      if (b.pg || b.redis) results.bytes[r.spec.key] = b;
      if (r.spec.db === 'pglite') results.notes.push(`${r.spec.key}: bytes at rest not measured (embedded database, same schema as stockade-pg).`);
      log(`  ${r.spec.key.padEnd(26)} ${b.pg ? `PostgreSQL ${b.pg.perSession.toFixed(0)} B/session (${b.pg.detail})` : ''} ${b.redis ? `Redis ${b.redis.perSession.toFixed(0)} B/session (${b.redis.detail})` : ''}`);
    }
  });

  await timed('throughput', async () => {
    results.throughput = await measureThroughput(running, { ...O.throughput, rounds: O.rounds, connections: O.connections }, log);
  });

  const signers = ['express-redis', 'ba-pg', 'stockade-pg'].map(byKey).filter(Boolean);
  if (phases.has('signin') || phases.has('storm')) {
    for (const r of signers) await prepareSigninUsers(r, WORK, 16);
  }
  await timed('signin', async () => {
    results.signin = await measureSignin(signers, { ...O.signin, rounds: O.rounds }, log);
  });
  await timed('storm', async () => {
    const stormers = ['express-redis', 'stockade-pg'].map(byKey).filter(Boolean);
    results.storm = await measureStorm(stormers, { ...O.storm, rounds: O.rounds }, log);
  });

  await timed('writes', async () => {
    const writers = running.filter((r) => r.spec.auth && r.spec.db === 'pg');
    results.writes = await measureWrites(writers, pg, O.writes, log);
  });

  await timed('revocation', async () => {
    results.revocation = {};
    for (const key of ['stockade-pg', 'stockade-pg-redis', 'express-redis', 'ba-pg', 'ba-cookie']) {
      const a = byKey(key);
      if (!a) continue;
      const b = await startInstance(a.spec, a.stores);
      try {
        await register(a.base, 'revoke0');
        const isStockade = a.spec.group === 'stockade';
        const res = await measureRevocation(a, b, { ...O.revocation, trials: isStockade ? O.revocation.trials : Math.min(10, O.revocation.trials), username: 'revoke0' });
        results.revocation[key] = res;
        log(`  ${key.padEnd(26)} propagation p50 ${res.p50.toFixed(2)} ms, p99 ${res.p99.toFixed(2)} ms over ${res.trials} trials${res.timeouts ? ` (${res.timeouts} not revoked within ${O.revocation.timeoutMs} ms)` : ''}`);
      } finally {
        await b.stop();
      }
    }
  });

  await timed('scale', async () => {
    if (stockadeNote) throw new Error(`Stockade ${stockadeNote}`);
    const spec = { ...STOCKADES.find((s) => s.key === 'stockade-pg-nocache') };
    const pair = {};
    for (const [k, n] of [['small', O.scale.small], ['large', O.scale.large]]) {
      const stores = await prepareStores(spec, pg, `stockade_scale_${k}`);
      const inst = await startInstance({ ...spec, key: `stockade-scale-${k}` }, stores);
      const r = { spec: { ...spec, key: `stockade-scale-${k}` }, stores, ...inst };
      await prepareLoadSessions(r, WORK, O.loadUsers);
      const s = Date.now();
      const count = fillSessions(pg, stores.dbName, n);
      log(`  ${k}: ${count} stored sessions (filled in ${((Date.now() - s) / 1000).toFixed(1)} s)`);
      r.stored = count;
      pair[k] = r;
    }
    const res = await measureScale(pair.small, pair.large, { ...O.scale, rounds: O.rounds, connections: O.connections }, log);
    results.scale = { ...res, stored: { small: pair.small.stored, large: pair.large.stored } };
    for (const r of Object.values(pair)) {
      await r.stop();
      await releaseStores(r.stores);
    }
  });

  // Where the session layer's CPU goes: CPU per "who am I" of the same-work ceiling and of fresh copies of
  // the measured build, as shipped and with one step switched off each (bench/lib/ablations.mjs).
  await timed('ablation', async () => {
    if (stockadeNote) throw new Error(`Stockade ${stockadeNote}`);
    const sameWork = byKey('fastify-same-work');
    if (!sameWork) throw new Error('needs fastify-same-work');
    const base = STOCKADES.find((s) => s.key === 'stockade-pg');
    const copies = [];
    try {
      for (const { name, root } of prepareAblations(getStockadeRoot(), join(WORK, 'ablate'))) {
        const spec = { ...base, key: `stockade-pg:${name}`, command: (ctx) => ({ ...base.command(ctx), cmd: ['node', join(root, 'dist', 'src', 'main.js')] }) };
        const stores = await prepareStores(spec, pg, `stockade_ablate_${name.replace(/-/g, '_')}`);
        const inst = await startInstance(spec, stores);
        const r = { spec, stores, ...inst, key: spec.key, ablation: name };
        copies.push(r);
        await prepareLoadSessions(r, WORK, O.loadUsers);
      }
      // Stockade as shipped is one of the copies (`shipped`), started fresh like the others.
      await refreshCookies(sameWork);
      const instances = [{ ...sameWork, key: 'fastify-same-work' }, ...copies];
      results.ablation = await measureCpu(instances, { rounds: O.rounds, seconds: O.ablation.seconds, connections: O.connections }, log);
    } finally {
      for (const r of copies) {
        await r.stop();
        await releaseStores(r.stores);
      }
    }
  });
} finally {
  log('stopping contenders and stores');
  for (const r of running) {
    await r.stop();
    await releaseStores(r.stores);
  }
  await pg.stop();
}

results.totalSeconds = Math.round((Date.now() - t0) / 1000);
results.loadavg.end = os.loadavg()[0];
writeFileSync(join(WORK, 'results.json'), JSON.stringify(results, null, 2));
const file = writeReport(results, join(BENCH, 'results'));
log(`wrote ${file} (${results.totalSeconds} s in all)`);
