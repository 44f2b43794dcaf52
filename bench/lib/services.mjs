// Throwaway PostgreSQL 15 and Redis servers on loopback for one benchmark run.
// Both are pinned to the server core (core 0), next to the contender under load: the store's CPU is part of
// a stack's cost, and the load generator keeps core 1 to itself. Each is started from scratch in a temp
// directory and removed at the end, so a run never depends on (or damages) anything on the machine.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { SERVER_CORE, pinned, track, trackDir, untrackDir, waitFor } from './proc.mjs';

const PG_BIN = '/usr/lib/postgresql/15/bin';

/** A free TCP port on loopback (the kernel picks it; we release it right away). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// PostgreSQL refuses to run as root: every server-side binary runs as the postgres system user. setpriv
// execs in place (runuser would fork and stand between us and the server's signals).
const AS_POSTGRES = ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups'];

function asPostgres(args, opts = {}) {
  return execFileSync(AS_POSTGRES[0], [...AS_POSTGRES.slice(1), ...args], { stdio: 'pipe', cwd: '/tmp', ...opts });
}

/**
 * initdb + postgres on a free port. Settings stay at their defaults except connection count and shared
 * buffers (the defaults, 100 and 128 MB, are a laptop's; several pools of up to 20 connections share it).
 * fsync stays on: a per-request write costs what it costs in production. pg_stat_statements is loaded so
 * the harness can count write statements per database (its overhead applies to every contender alike).
 */
export async function startPostgres() {
  const dir = trackDir(mkdtempSync(join(tmpdir(), 'stockade-bench-pg-')));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  execFileSync('chown', ['postgres', dir]);
  asPostgres([`${PG_BIN}/initdb`, '-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale']);
  const port = await freePort();
  const [cmd0, ...pgArgv] = pinned(SERVER_CORE, [...AS_POSTGRES, `${PG_BIN}/postgres`, '-D', dataDir, '-p', String(port),
      '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=400', '-c', 'shared_buffers=512MB',
      '-c', 'log_min_messages=warning', '-c', 'shared_preload_libraries=pg_stat_statements']);
  const child = spawn(cmd0, pgArgv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => { log = (log + d).slice(-4000); });
  track(child, 'postgres');
  const url = (db) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  await waitFor(async () => {
    execFileSync(`${PG_BIN}/pg_isready`, ['-h', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    return true;
  }, 30_000, () => `postgres did not start: ${log}`);
  execFileSync('psql', ['-X', '-q', '-d', url('postgres'), '-c', 'CREATE EXTENSION pg_stat_statements'], { stdio: 'pipe' });
  return {
    port,
    url,
    pid: child.pid,
    psql(db, sql) {
      return execFileSync('psql', ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-d', url(db), '-c', sql], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }).trim();
    },
    createDb(name) {
      this.psql('postgres', `CREATE DATABASE ${name}`);
      return url(name);
    },
    async stop() {
      await stopChild(child, 'SIGINT');
      rmSync(dir, { recursive: true, force: true });
      untrackDir(dir);
    },
  };
}

/** redis-server without persistence (a session cache; the dirty counter then counts every write). */
export async function startRedis() {
  const port = await freePort();
  const [cmd0, ...redisArgv] = pinned(SERVER_CORE, ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save',
    '', '--appendonly', 'no', '--protected-mode', 'yes', '--loglevel', 'warning']);
  const child = spawn(cmd0, redisArgv, { stdio: ['ignore', 'ignore', 'pipe'] });
  track(child, 'redis');
  const url = `redis://127.0.0.1:${port}`;
  const cli = (...args) =>
    execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  await waitFor(() => cli('ping') === 'PONG', 10_000, () => 'redis did not start');
  return {
    port,
    url,
    pid: child.pid,
    cli,
    /** Writes since start (Redis' dirty counter, never reset because saving is off). */
    writes() {
      const m = /rdb_changes_since_last_save:(\d+)/.exec(cli('info', 'persistence'));
      return m ? Number(m[1]) : Number.NaN;
    },
    async stop() {
      await stopChild(child, 'SIGTERM');
    },
  };
}

export function stopChild(child, signal = 'SIGTERM', timeoutMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill(signal);
  });
}
