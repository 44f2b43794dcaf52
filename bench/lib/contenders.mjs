// Every contender of a run: how to start it, where its sessions live (for bytes at rest), and which group
// it belongs to. References are our small servers in contenders/; Stockade runs from the built dist/.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { freePort, startRedis, stopChild } from './services.mjs';
import { SERVER_CORE, pinned, track, trackDir, untrackDir, waitFor } from './proc.mjs';

const BENCH = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = join(BENCH, '..');

/**
 * @typedef {object} Spec
 * @property {string} key       short id used in tables
 * @property {string} label     what it is, for the report
 * @property {'ceiling'|'reference'|'stockade'} group
 * @property {boolean} auth     false for the two auth-less ceilings
 * @property {boolean} redis    needs its own redis-server
 * @property {'pg'|'pglite'} db where its PostgreSQL data lives
 * @property {string[]} sessionTables  PostgreSQL tables holding its sessions (bytes at rest)
 * @property {boolean} [sessionsInRedis] keeps its sessions (or a copy) in Redis: bytes at rest there
 * @property {(ctx: object) => {cmd: string[], cwd: string, env: object}} command
 */

/** Where the Stockade being measured was built: a snapshot of the committed tree (see run.mjs). */
let stockadeRoot = ROOT;
export function setStockadeRoot(dir) {
  stockadeRoot = dir;
}
/** Where the measured Stockade build lives (a snapshot of HEAD under bench/.work, or the checkout). */
export function getStockadeRoot() {
  return stockadeRoot;
}

const BENCH_SECRET_KEY = randomBytes(32).toString('base64');
const node = (script, env = {}) => () => ({ cmd: ['node', join(BENCH, 'contenders', script)], cwd: BENCH, env });
/*
 * Stockade as shipped: request logs at the default level (info) on standard output, `__Host-` cookie
 * with Secure (COOKIE_SECURE's default) and HSTS, every header. Secure is an instruction to browsers
 * (send this cookie over HTTPS only); the server does not need TLS for it, and neither does wrk, which
 * replays the Cookie header it was given. So the shipped cookie is measured over plain loopback HTTP,
 * without adding a TLS cost no contender pays. The only change from a fresh install: wrk and the sign-up
 * phases all come from 127.0.0.1, one address, so the sign-up quota is lifted. A variant that switches
 * one thing off says so in its key and label.
 */
const stockade = (env) => (ctx) => ({
  cmd: ['node', join(stockadeRoot, 'dist', 'src', 'main.js')],
  cwd: ctx.dataDir ?? stockadeRoot,
  // With DATABASE_URL the server refuses to start without the key sealing second-factor secrets.
  env: { REGISTER_ADDRESS_MAX: '1000000', SECRET_KEY: BENCH_SECRET_KEY, ...env },
});

/** @type {Spec[]} */
export const REFERENCES = [
  { key: 'fastify', label: 'bare Fastify, no auth (the ceiling)', group: 'ceiling', auth: false, redis: false, db: 'pg', sessionTables: [], command: node('fastify-bare.mjs') },
  { key: 'fastify-same-work', label: 'Fastify doing the same work minus the session: same body (response schema), same security headers and request id, same one async access-log line (the same-work ceiling)', group: 'ceiling', auth: false, redis: false, db: 'pg', sessionTables: [], command: node('fastify-same-work.mjs') },
  { key: 'node-http', label: 'bare node:http, no auth', group: 'ceiling', auth: false, redis: false, db: 'pg', sessionTables: [], command: node('node-http.mjs') },
  { key: 'express-redis', label: 'express + express-session + connect-redis + bcrypt(10) (the seeds\' stack)', group: 'reference', auth: true, redis: true, db: 'pg', sessionTables: [], sessionsInRedis: true, command: node('express-session.mjs', { SESSION_STORE: 'redis' }) },
  { key: 'express-pg', label: 'express + express-session + connect-pg-simple + bcrypt(10)', group: 'reference', auth: true, redis: false, db: 'pg', sessionTables: ['session'], command: node('express-session.mjs', { SESSION_STORE: 'pg' }) },
  { key: 'ba-pg', label: 'Better Auth on PostgreSQL (default)', group: 'reference', auth: true, redis: false, db: 'pg', sessionTables: ['session'], command: node('better-auth.mjs', { BA_MODE: 'pg' }) },
  { key: 'ba-redis', label: 'Better Auth, Redis secondary storage', group: 'reference', auth: true, redis: true, db: 'pg', sessionTables: [], sessionsInRedis: true, command: node('better-auth.mjs', { BA_MODE: 'redis' }) },
  { key: 'ba-cookie', label: 'Better Auth on PostgreSQL + cookie cache (5 min)', group: 'reference', auth: true, redis: false, db: 'pg', sessionTables: ['session'], command: node('better-auth.mjs', { BA_MODE: 'cookie-cache' }) },
];

/** @type {Spec[]} */
export const STOCKADES = [
  { key: 'stockade-pglite', label: 'Stockade on embedded PGlite', group: 'stockade', auth: true, redis: false, db: 'pglite', sessionTables: ['sessions'], command: stockade({}) },
  { key: 'stockade-pg', label: 'Stockade on PostgreSQL', group: 'stockade', auth: true, redis: false, db: 'pg', sessionTables: ['sessions'], command: stockade({}) },
  { key: 'stockade-pg-redis', label: 'Stockade on PostgreSQL + Redis', group: 'stockade', auth: true, redis: true, db: 'pg', sessionTables: ['sessions'], sessionsInRedis: true, command: stockade({}) },
  { key: 'stockade-pg-nolog', label: 'Stockade on PostgreSQL, request logs off (LOG_LEVEL=warn; variant)', group: 'stockade', auth: true, redis: false, db: 'pg', sessionTables: ['sessions'], command: stockade({ LOG_LEVEL: 'warn' }) },
  { key: 'stockade-pg-nocache', label: 'Stockade on PostgreSQL, local cache off (variant)', group: 'stockade', auth: true, redis: false, db: 'pg', sessionTables: ['sessions'], command: stockade({ SESSION_LOCAL_CACHE_SIZE: '0' }) },
  { key: 'stockade-pg-redis-nocache', label: 'Stockade on PostgreSQL + Redis, local cache off (variant)', group: 'stockade', auth: true, redis: true, db: 'pg', sessionTables: ['sessions'], sessionsInRedis: true, command: stockade({ SESSION_LOCAL_CACHE_SIZE: '0' }) },
];

/**
 * Prepares a contender's stores (its own database, its own redis-server) without starting it, so that
 * several instances of it (revocation between two servers) can share them.
 */
export async function prepareStores(spec, pg, dbName) {
  const stores = { dbName, dbUrl: undefined, redis: undefined, dataDir: undefined, secret: randomBytes(32).toString('hex') };
  if (spec.db === 'pg') stores.dbUrl = pg.createDb(dbName);
  else stores.dataDir = trackDir(mkdtempSync(join(tmpdir(), `stockade-bench-${dbName}-`)));
  if (spec.redis) stores.redis = await startRedis();
  return stores;
}

/** Starts one server of the contender on a free port, pinned to the server core; resolves when it answers. */
export async function startInstance(spec, stores) {
  const port = await freePort();
  const c = spec.command({ dataDir: stores.dataDir });
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    SESSION_SECRET: stores.secret,
    BETTER_AUTH_SECRET: stores.secret,
    ...(stores.dbUrl ? { DATABASE_URL: stores.dbUrl } : { DATABASE_URL: '' }),
    ...(stores.dataDir ? { DATA_DIR: join(stores.dataDir, 'data') } : {}),
    ...(stores.redis ? { REDIS_URL: stores.redis.url } : { REDIS_URL: '' }),
    ...c.env,
  };
  const [cmd0, ...argv] = pinned(SERVER_CORE, c.cmd);
  const child = track(spawn(cmd0, argv, { cwd: c.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }), spec.key);
  let log = '';
  const keep = (d) => { log = (log + d).slice(-6000); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
      return (await fetch(`${base}/healthz`)).ok;
    },
    60_000,
    () => `${spec.key} did not start:\n${log}`,
  );
  return { base, port, pid: child.pid, child, log: () => log, stop: () => stopChild(child, 'SIGTERM') };
}

export async function releaseStores(stores) {
  await stores.redis?.stop();
  if (stores.dataDir) {
    rmSync(stores.dataDir, { recursive: true, force: true });
    untrackDir(stores.dataDir);
  }
}
