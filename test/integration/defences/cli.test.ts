import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openPglite } from '../../../src/db/pglite.js';
import { openPostgres } from '../../../src/db/postgres.js';
import { startTestServer } from '../../support/app.js';
import { PASSWORD, TestClient } from '../../support/client.js';
import pg from 'pg';
import { createServerDatabase, testDatabaseUrl, uniqueName } from '../../support/test-databases.js';

/**
 * `stockade` on the command line, spawned as an operator would run it (tsx instead of the build):
 * against an embedded database in a temporary DATA_DIR, and against a PostgreSQL server database that
 * a running server shares.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function stockade(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    // A clean environment: nothing leaks in from the test runner's own configuration.
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...opts.env };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

describe('stockade CLI: usage', () => {
  test('the file is an executable node script and package.json points its bin at the build of it', () => {
    assert.match(readFileSync(join(ROOT, 'src/cli.ts'), 'utf8'), /^#!\/usr\/bin\/env node\n/);
    assert.equal(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).bin.stockade, 'dist/src/cli.js');
  });

  test('--help, no command, unknown command, a password on the command line, bad configuration', async () => {
    const [help, none, unknown, argvPassword, missing, badConfig] = await Promise.all([
      stockade(['--help']),
      stockade([]),
      stockade(['frobnicate']),
      stockade(['create-admin', 'boss', '--password', 'hunter2hunter2']),
      stockade(['revoke-user']),
      stockade(['purge'], { env: { LOG_LEVEL: 'loud' } }),
    ]);
    assert.equal(help.code, 0);
    for (const cmd of ['create-admin', 'revoke-user', 'purge', 'migrate']) assert.match(help.stdout, new RegExp(cmd));
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Usage: stockade/);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    assert.equal(argvPassword.code, 2);
    assert.match(argvPassword.stderr, /never taken from the command line/);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /exactly one username/);
    assert.equal(badConfig.code, 2);
    assert.match(badConfig.stderr, /configuration error: LOG_LEVEL/);
  });
});

describe('stockade CLI on an embedded database (DATA_DIR)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'stockade-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // Each command opens the embedded database afresh (5-20 s on a busy 2-core machine, the first one
  // creating it), so only two run here; the other commands and the refusals are tested on the server.
  test('create-admin on a new data directory (creates and migrates it), then purge', async () => {
    const env = { DATA_DIR: dir };
    const created = await stockade(['create-admin', 'Boss'], { env, input: `${PASSWORD}\n` });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /created administrator Boss/);
    const purged = await stockade(['purge'], { env });
    assert.equal(purged.code, 0, purged.stderr);
    assert.match(purged.stdout, /purged 0 expired sessions, 0 audit events, 0 throttling records/);

    const db = await openPglite(dir);
    try {
      const users = await db.query<{ username: string; role: string; password_hash: string }>('SELECT username, role, password_hash FROM users');
      assert.deepEqual(users.rows.map((u) => [u.username, u.role]), [['Boss', 'admin']]);
      assert.match(users.rows[0]!.password_hash, /^\$argon2id\$/);
      const events = await db.query<{ type: string }>('SELECT type FROM audit_events ORDER BY id');
      assert.deepEqual(events.rows.map((e) => e.type), ['admin.created']);
    } finally {
      await db.close();
    }
  });
});

describe('stockade CLI on a PostgreSQL server, next to a running server', () => {
  test('migrate; create-admin makes an admin who can sign in; revoke-user kills a live session; purge; clear refusals', async () => {
    const database = await createServerDatabase();
    const db = openPostgres(database.url);
    const server = await startTestServer({ db });
    try {
      const env = { DATABASE_URL: database.url };
      const migrated = await stockade(['migrate'], { env });
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
      assert.deepEqual(events.rows.map((e) => [e.type, e.details.count ?? null]), [['admin.created', null], ['session.revoked', 2]]);
      await db.query(`UPDATE sessions SET idle_expires_at = now() - interval '1 second'`);
      const purged = await stockade(['purge'], { env });
      assert.equal(purged.code, 0, purged.stderr);
      assert.match(purged.stdout, /purged 1 expired sessions/, 'the admin\'s session, made expired above');
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
