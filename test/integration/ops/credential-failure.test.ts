import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { migrate } from '../../../src/db/migrate.js';
import { openPostgres } from '../../../src/db/postgres.js';
import { startTestServer, type TestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';
import { type PgServer, startPostgresServer } from '../../support/pg-server.js';
import { testRedisUrl, uniqueName } from '../../support/test-databases.js';

/**
 * The database password changes under a running server (docs/operations.md, "Rotate": change it in
 * PostgreSQL, then restart the servers one at a time). Until its restart, a server can no longer open
 * connections: every request that needs the database must answer 503 `unavailable` with Retry-After
 * (not 500 `internal`), `/readyz` must say 503 so the load balancer takes it out of rotation, and once
 * the password is what the server has again, it serves again without a restart.
 *
 * The test server's own PostgreSQL, with password authentication (scram-sha-256) for the owner; the
 * superuser `postgres` keeps trust so the test can change the password and end the pooled backends
 * (otherwise the pool would keep using connections authenticated before the change).
 */
const OLD_PASSWORD = 'before-Rotation-1';
const NEW_PASSWORD = 'after-Rotation-2';

async function superuserQuery(server: PgServer, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.url });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Polls until `check` returns true (slow CI: generous deadline, no fixed sleeps). */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('a database credential failure under a running server', () => {
  let hbaDir: string;
  let server: PgServer;
  before(async () => {
    hbaDir = mkdtempSync(join(tmpdir(), 'stockade-hba-'));
    chmodSync(hbaDir, 0o755); // the server runs as the postgres system user
    const hba = join(hbaDir, 'pg_hba.conf');
    writeFileSync(
      hba,
      ['local all all trust', 'host all postgres 127.0.0.1/32 trust', 'host all all 127.0.0.1/32 scram-sha-256', ''].join('\n'),
    );
    chmodSync(hba, 0o644);
    server = await startPostgresServer({ settings: { hba_file: hba, password_encryption: 'scram-sha-256' } });
    await superuserQuery(server, `CREATE ROLE stockade LOGIN PASSWORD '${OLD_PASSWORD}'`);
    await superuserQuery(server, 'CREATE ROLE stockade_app NOLOGIN');
    await superuserQuery(server, 'GRANT stockade_app TO stockade');
  });
  after(async () => {
    await server?.stop();
    rmSync(hbaDir, { recursive: true, force: true });
  });

  for (const withRedis of [false, true]) {
    test(`API answers 503 unavailable with Retry-After, /readyz 503; both recover when the password is back (${withRedis ? 'with' : 'without'} Redis)`, {
      timeout: 120_000,
    }, async () => {
      const name = withRedis ? 'stockade_redis' : 'stockade_plain';
      await superuserQuery(server, `CREATE DATABASE ${name} OWNER stockade`);
      const db = openPostgres(`postgres://stockade:${OLD_PASSWORD}@127.0.0.1:${server.port}/${name}`);
      await migrate(db);
      // With Redis, sessions are checked there (and in memory) first: the routes that need PostgreSQL must still say 503.
      const env: Record<string, string> = withRedis ? { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: `${uniqueName('cred')}:` } : {};
      const app: TestServer = await startTestServer({ db, env });
      if (withRedis) assert.ok(await app.deps.sessionStack?.ready(10_000), 'the Redis stack is up');
      try {
        const merchant = new TestClient(app.url);
        await merchant.register();
        assert.equal((await merchant.post('/api/items', { sku: 'A-1', name: 'Anvil', quantity: 3 })).status, 201);
        assert.equal((await merchant.get('/readyz')).status, 200);

        await superuserQuery(server, `ALTER ROLE stockade PASSWORD '${NEW_PASSWORD}'`);
        // Connections authenticated before the change would keep working: end them, so the pool must
        // open new ones with the old password (as after a database restart or an idle timeout).
        await superuserQuery(server, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'stockade'`);

        // The first request may meet a terminated connection (57P01, already 503); wait until the pool
        // has to authenticate anew, then every database-bound request must be a 503 with Retry-After.
        const answers: { status: number; retryAfter: string | null; code: unknown }[] = [];
        await until('the pool to be empty of old connections', async () => {
          const res = await merchant.get('/api/items');
          return res.status !== 200;
        });
        // Many at once, as traffic would be: each asks the pool for a connection it cannot open.
        const responses = await Promise.all([
          ...Array.from({ length: 10 }, () => merchant.get('/api/items')),
          ...Array.from({ length: 5 }, () => merchant.get('/api/inventory/summary')),
          ...Array.from({ length: 5 }, (_, i) => merchant.post('/api/items', { sku: `B-${i}`, name: 'Bellows', quantity: 1 })),
          ...Array.from({ length: 5 }, () => new TestClient(app.url).login('someone', 'wrong password entirely')),
        ]);
        for (const res of responses) answers.push({ status: res.status, retryAfter: res.headers.get('retry-after'), code: res.body?.code });
        for (const a of answers)
          assert.deepEqual(a, { status: 503, retryAfter: a.retryAfter, code: 'unavailable' }, JSON.stringify(answers));
        for (const a of answers) assert.match(String(a.retryAfter), /^\d+$/, 'Retry-After on every 503');
        const balancer = new TestClient(app.url); // a health check carries no cookie
        const ready = await balancer.get('/readyz');
        assert.equal(ready.status, 503, ready.text);
        assert.equal(ready.body.status, 'unavailable');
        assert.match(ready.headers.get('retry-after') ?? '', /^\d+$/);
        assert.equal((await balancer.get('/healthz')).status, 200, '/healthz is the process, alive');

        // The DBA puts the old password back (or the server is restarted with the new one): it serves again.
        await superuserQuery(server, `ALTER ROLE stockade PASSWORD '${OLD_PASSWORD}'`);
        await until('/readyz to be 200 again', async () => (await balancer.get('/readyz')).status === 200);
        const items = await merchant.get('/api/items');
        assert.equal(items.status, 200, items.text);
        assert.deepEqual(
          items.body.items.map((i: { sku: string }) => i.sku),
          ['A-1'],
          'nothing was written while unavailable',
        );
      } finally {
        await app.close();
        await db.close();
      }
    });
  }
});
