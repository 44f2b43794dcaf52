import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type PgServer, startPostgresServer } from '../../support/pg-server.js';

async function sql(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

describe('startPostgresServer', () => {
  let server: PgServer;
  before(async () => {
    const t0 = performance.now();
    server = await startPostgresServer();
    console.log(`PostgreSQL server start (initdb + boot): ${Math.round(performance.now() - t0)} ms`);
  });
  after(() => server?.stop());

  test('answers on loopback as postgres, with durability off', async () => {
    assert.match(server.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    const rows = await sql(
      server.url,
      `SELECT current_user AS u, current_setting('fsync') AS f,
      current_setting('synchronous_commit') AS s, current_setting('full_page_writes') AS w,
      split_part(current_setting('server_version'), '.', 1) AS v`,
    );
    assert.deepEqual(rows, [{ u: 'postgres', f: 'off', s: 'off', w: 'off', v: '15' }]);
  });

  test('pause refuses connections, resume comes back on the same port with the data', async () => {
    await sql(server.url, 'CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)');
    const port = server.port;
    await server.pause();
    await assert.rejects(sql(server.url, 'SELECT 1'), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
    const t0 = performance.now();
    await server.resume();
    console.log(`PostgreSQL resume: ${Math.round(performance.now() - t0)} ms`);
    assert.equal(server.port, port);
    assert.deepEqual(await sql(server.url, 'SELECT x FROM kept'), [{ x: 42 }]);
  });

  test('stop removes the data directory and is idempotent', async () => {
    const other = await startPostgresServer();
    assert.ok(existsSync(other.dataDir));
    await other.stop();
    await other.stop();
    assert.equal(existsSync(other.dataDir), false);
    await assert.rejects(sql(other.url, 'SELECT 1'));
  });
});

test('a missing binary directory fails with what to install', async () => {
  await assert.rejects(startPostgresServer({ binDir: '/nonexistent/pg/bin' }), /apt-get install -y postgresql-15/);
});
