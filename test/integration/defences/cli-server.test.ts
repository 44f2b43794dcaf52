import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import { openPostgres } from '../../../src/db/postgres.js';
import { startTestServer } from '../../support/app.js';
import { PASSWORD, TestClient } from '../../support/client.js';
import { createServerDatabase, testDatabaseUrl, uniqueName } from '../../support/test-databases.js';
import { stockade } from './cli-helpers.js';

describe('stockade CLI on a PostgreSQL server, next to a running server', () => {
  test('migrate; create-admin makes an admin who can sign in; revoke-user kills a live session; purge; clear refusals', async () => {
    const database = await createServerDatabase();
    const db = openPostgres(database.url);
    const server = await startTestServer({ db });
    try {
      // The test server trusts loopback, so any password connects: the CLI must not print it.
      const withPassword = new URL(database.url);
      withPassword.password = 'never-Printed-7';
      const env = { DATABASE_URL: withPassword.toString() };
      const where = `using PostgreSQL at 127.0.0.1:${withPassword.port}/${database.name}\n`;
      const migrated = await stockade(['migrate'], { env });
      assert.ok(migrated.stderr.startsWith(where), migrated.stderr);
      assert.equal(migrated.code, 0, migrated.stderr);
      assert.match(migrated.stdout, /nothing to apply/, 'the test database is already migrated');
      const created = await stockade(['create-admin', 'chief'], { env, input: `${PASSWORD}\n` });
      assert.equal(created.code, 0, created.stderr);
      const [twice, weak, empty, nobody] = await Promise.all([
        stockade(['create-admin', 'CHIEF'], { env, input: `${PASSWORD}\n` }),
        stockade(['create-admin', 'weakling'], { env, input: 'password\n' }),
        stockade(['create-admin', 'nopass'], { env, input: '' }),
        stockade(['revoke-user', 'nobody-here'], { env }),
      ]);
      assert.equal(twice.code, 1);
      assert.match(twice.stderr, /already exists/);
      assert.equal(weak.code, 1);
      assert.match(weak.stderr, /password/);
      assert.equal(empty.code, 1);
      assert.match(empty.stderr, /no password/);
      assert.equal(nobody.code, 1);
      assert.match(nobody.stderr, /no user named "nobody-here"/);
      for (const run of [created, twice, weak, nobody]) {
        assert.ok(run.stderr.startsWith(where), `every command says which database it uses: ${run.stderr}`);
        assert.ok(!`${run.stdout}${run.stderr}`.includes('never-Printed-7'), 'and never its password');
      }
      const admin = new TestClient(server.url);
      assert.equal((await admin.login('chief')).status, 200);
      assert.equal((await admin.get('/api/admin/users')).status, 200);

      const laptop = new TestClient(server.url);
      const { username } = await laptop.register();
      const phone = new TestClient(server.url);
      await phone.login(username);
      const revoked = await stockade(['revoke-user', username], { env });
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(revoked.stdout, new RegExp(`revoked 2 sessions of ${username}`));
      assert.equal((await laptop.get('/api/auth/session')).status, 401);
      assert.equal((await phone.get('/api/auth/session')).status, 401);
      assert.equal((await admin.get('/api/auth/session')).status, 200);
      const events = await db.query<{ type: string; details: { via?: string; count?: number } }>(
        `SELECT type, details FROM audit_events WHERE details->>'via' = 'cli' ORDER BY id`,
      );
      assert.deepEqual(
        events.rows.map((e) => [e.type, e.details.count ?? null]),
        [
          ['admin.created', null],
          ['session.revoked', 2],
        ],
      );
      await db.query(`UPDATE sessions SET idle_expires_at = now() - interval '1 second'`);
      const purged = await stockade(['purge'], { env });
      assert.equal(purged.code, 0, purged.stderr);
      assert.match(purged.stdout, /purged 1 expired sessions/, "the admin's session, made expired above");
    } finally {
      await server.close();
      await db.close();
      await database.drop();
    }
  });

  test('migrate on an empty database applies every migration, then has nothing to apply', async () => {
    const name = uniqueName('stockade_cli');
    const admin = new pg.Client({ connectionString: testDatabaseUrl() });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(testDatabaseUrl());
      url.pathname = `/${name}`;
      const env = { DATABASE_URL: url.toString() };
      const first = await stockade(['migrate'], { env });
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^applied 001_users_sessions, 002_inventory, 003_defences/);
      assert.match((await stockade(['migrate'], { env })).stdout, /nothing to apply/);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
