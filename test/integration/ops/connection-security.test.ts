import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startServerProcess } from '../../fault/support/server-process.js';
import { selfSignedCertificate } from '../../support/certificates.js';
import { TestClient } from '../../support/client.js';
import { type PgServer, startPostgresServer } from '../../support/pg-server.js';
import { freePort } from '../../support/ports.js';
import { type Daemon, runCommand, spawnDaemon, stopDaemon, systemUser } from '../../support/processes.js';

/**
 * docs/operations.md "Connections to PostgreSQL and Redis": TLS and passwords, configured in the URLs
 * only, on a server process started as an operator starts it.
 * - PostgreSQL with `ssl=on`, a self-signed certificate made here by openssl, pg_hba.conf refusing
 *   unencrypted connections: `DATABASE_URL=…?sslmode=verify-full&sslrootcert=<ca>` serves (and its
 *   backends are encrypted, per pg_stat_ssl); without sslmode the server refuses to start, and with
 *   verify-full but without the CA it refuses too (it does not trust an unknown certificate).
 * - Redis with `--requirepass` and TLS only: `REDIS_URL=rediss://:<password>@host:port` with the CA in
 *   NODE_EXTRA_CA_CERTS: ready, sessions cached in Redis; a wrong password leaves it degraded, serving.
 */
const OWNER_PASSWORD = 'owner-Tls-Secret-1';
const REDIS_PASSWORD = 'redis-Auth-Secret-2';

async function superuserQuery<R extends pg.QueryResultRow>(server: PgServer, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: server.url });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

/** /readyz's body once its status is `want`, or the last one seen after a generous deadline. */
async function readyzUntil(url: string, want: string): Promise<{ status: string; checks: Record<string, string> }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const body = (await (await fetch(`${url}/readyz`)).json()) as { status: string; checks: Record<string, string> };
    if (body.status === want || Date.now() > deadline) return body;
    await sleep(200);
  }
}

describe('TLS and passwords to PostgreSQL and Redis, from the URLs', () => {
  let dir: string;
  let cert: string;
  let pgCert: string;
  let pgKey: string;

  /** Puts a certificate and key where PostgreSQL reads them (it insists its key belongs to its user). */
  function installPgCertificate(certFile: string, keyFile: string): void {
    const user = process.getuid?.() === 0 ? systemUser('postgres') : undefined;
    writeFileSync(pgCert, readFileSync(certFile));
    writeFileSync(pgKey, readFileSync(keyFile));
    chmodSync(pgCert, 0o644);
    chmodSync(pgKey, 0o600);
    if (user) chownSync(pgKey, user.uid, user.gid);
  }

  let postgres: PgServer;
  let redisPort: number;
  let redis: Daemon;
  let ownerUrl: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stockade-conn-tls-'));
    chmodSync(dir, 0o755); // PostgreSQL runs as the postgres system user
    const made = selfSignedCertificate(dir);
    cert = made.certFile;
    const key = made.keyFile;
    chmodSync(cert, 0o644);
    chmodSync(key, 0o600);
    const hba = join(dir, 'pg_hba.conf');
    writeFileSync(
      hba,
      [
        'local all all trust',
        'host all postgres 127.0.0.1/32 trust', // the test's own superuser connections
        'hostssl all all 127.0.0.1/32 scram-sha-256',
        'hostnossl all all 127.0.0.1/32 reject',
        '',
      ].join('\n'),
    );
    chmodSync(hba, 0o644);
    // The server's own copies, so a test can rotate them without changing the clients' CA file.
    pgCert = join(dir, 'pg-cert.pem');
    pgKey = join(dir, 'pg-key.pem');
    installPgCertificate(cert, key);
    postgres = await startPostgresServer({ settings: { ssl: 'on', ssl_cert_file: pgCert, ssl_key_file: pgKey, hba_file: hba } });
    await superuserQuery(postgres, `CREATE ROLE stockade LOGIN PASSWORD '${OWNER_PASSWORD}'`);
    await superuserQuery(postgres, 'CREATE ROLE stockade_app NOLOGIN');
    await superuserQuery(postgres, 'GRANT stockade_app TO stockade');
    await superuserQuery(postgres, 'CREATE DATABASE stockade OWNER stockade');
    ownerUrl = `postgres://stockade:${OWNER_PASSWORD}@127.0.0.1:${postgres.port}/stockade`;

    redisPort = await freePort();
    redis = spawnDaemon(
      'redis-server',
      [
        '--port',
        '0',
        '--bind',
        '127.0.0.1',
        '--tls-port',
        String(redisPort),
        '--tls-cert-file',
        cert,
        '--tls-key-file',
        key,
        '--tls-ca-cert-file',
        cert,
        '--tls-auth-clients',
        'no',
        '--requirepass',
        REDIS_PASSWORD,
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
        '--dir',
        dir,
      ],
      { logFile: join(dir, 'redis.log'), cwd: dir, killSignal: 'SIGKILL' },
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      const pong = await redisCli('PING').catch((err: Error) => err.message);
      if (pong.trim() === 'PONG') break;
      if (Date.now() > deadline || !redis.alive()) throw new Error(`redis-server with TLS did not answer: ${pong}`);
      await sleep(100);
    }
  });
  after(async () => {
    if (redis) await stopDaemon(redis, 'SIGKILL');
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function redisCli(...args: string[]): Promise<string> {
    return runCommand(
      'redis-cli',
      [
        '--tls',
        '--cacert',
        cert,
        '-h',
        '127.0.0.1',
        '-p',
        String(redisPort),
        '--no-auth-warning',
        '--pass',
        REDIS_PASSWORD,
        '--raw',
        ...args,
      ],
      { timeoutMs: 15_000 },
    );
  }

  test('PostgreSQL: sslmode=verify-full with the CA serves over TLS; plaintext and an unknown certificate refuse to start', {
    timeout: 180_000,
  }, async () => {
    const server = await startServerProcess({ env: { DATABASE_URL: `${ownerUrl}?sslmode=verify-full&sslrootcert=${cert}` } });
    try {
      const c = new TestClient(server.url, { secureCookie: false });
      await c.register();
      assert.equal((await c.post('/api/items', { sku: 'T-1', name: 'Tongs', quantity: 1 })).status, 201);
      const backends = await superuserQuery<{ n: number; encrypted: boolean }>(
        postgres,
        `SELECT count(*)::int AS n, bool_and(s.ssl) AS encrypted FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename = 'stockade'`,
      );
      assert.ok((backends[0]?.n ?? 0) > 0, 'the server is connected');
      assert.equal(backends[0]?.encrypted, true, 'every one of its connections is encrypted');

      // The database's certificate is replaced by one our CA did not sign (a botched rotation): new
      // connections fail verification. That is 503 with Retry-After and not ready, as for a refused
      // password, never 500; and the server serves again once the right certificate is back.
      const { certFile: rogueCert, keyFile: rogueKey } = selfSignedCertificate(dir, 'rogue-');
      installPgCertificate(rogueCert, rogueKey);
      await superuserQuery(postgres, 'SELECT pg_reload_conf()');
      await superuserQuery(postgres, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'stockade'`);
      const deadline = Date.now() + 30_000;
      let res = await c.get('/api/items');
      while (res.status === 200 && Date.now() < deadline) {
        await sleep(50); // until the old connections are gone
        res = await c.get('/api/items');
      }
      const refused = await Promise.all(Array.from({ length: 8 }, () => c.get('/api/items')));
      for (const r of [res, ...refused]) {
        assert.equal(r.status, 503, r.text);
        assert.equal(r.body.code, 'unavailable');
        assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
      }
      assert.equal((await fetch(`${server.url}/readyz`)).status, 503);
      installPgCertificate(cert, join(dir, 'key.pem'));
      await superuserQuery(postgres, 'SELECT pg_reload_conf()');
      let back = await c.get('/api/items');
      while (back.status !== 200 && Date.now() < deadline + 30_000) {
        await sleep(50);
        back = await c.get('/api/items');
      }
      assert.equal(back.status, 200, back.text);
    } finally {
      installPgCertificate(cert, join(dir, 'key.pem')); // whatever failed above, the next test gets the right one
      await superuserQuery(postgres, 'SELECT pg_reload_conf()');
      await server.stop();
    }
    await assert.rejects(startServerProcess({ env: { DATABASE_URL: ownerUrl } }), /server exited \(1\)[\s\S]*no encryption/);
    await assert.rejects(
      startServerProcess({ env: { DATABASE_URL: `${ownerUrl}?sslmode=verify-full` } }),
      /server exited \(1\)[\s\S]*self[- ]signed certificate/,
    );
  });

  test('Redis: rediss:// with a password and the CA in NODE_EXTRA_CA_CERTS is used; a wrong password is degraded, still serving', {
    timeout: 180_000,
  }, async () => {
    const common = {
      DATABASE_URL: `${ownerUrl}?sslmode=verify-full&sslrootcert=${cert}`,
      NODE_EXTRA_CA_CERTS: cert,
      REDIS_KEY_PREFIX: 'tlsauth:',
    };
    const server = await startServerProcess({ env: { ...common, REDIS_URL: `rediss://:${REDIS_PASSWORD}@127.0.0.1:${redisPort}` } });
    try {
      // /healthz answers before the TLS handshake with Redis is done (slowly, on a loaded machine).
      const ready = await readyzUntil(server.url, 'ready');
      assert.equal(ready.status, 'ready', JSON.stringify(ready));
      assert.equal(ready.checks.redis, 'ok');
      const c = new TestClient(server.url, { secureCookie: false });
      await c.register();
      assert.equal((await c.get('/api/auth/session')).status, 200);
      const keys = (await redisCli('--scan', '--pattern', 'tlsauth:*')).split('\n').filter(Boolean);
      assert.ok(keys.length > 0, 'the session is cached in Redis');
    } finally {
      await server.stop();
    }

    const wrong = await startServerProcess({ env: { ...common, REDIS_URL: `rediss://:not-the-password@127.0.0.1:${redisPort}` } });
    try {
      const ready = await readyzUntil(wrong.url, 'degraded');
      assert.equal(ready.status, 'degraded', JSON.stringify(ready));
      assert.equal(ready.checks.redis, 'down');
      const c = new TestClient(wrong.url, { secureCookie: false });
      await c.register();
      assert.equal((await c.get('/api/auth/session')).status, 200, 'served from PostgreSQL');
      assert.ok(!wrong.logText().includes('not-the-password'), 'the password is not logged');
    } finally {
      await wrong.stop();
    }
  });
});
