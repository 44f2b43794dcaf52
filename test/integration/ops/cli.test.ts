import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openPostgres } from '../../../src/db/postgres.js';
import { startTestServer, type TestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';
import { freePort } from '../../support/ports.js';
import pg from 'pg';
import { migrate } from '../../../src/db/migrate.js';
import { createServerDatabase, type ServerDatabase, testDatabaseUrl, uniqueName } from '../../support/test-databases.js';

/**
 * `stockade stats`, and what every command owes an operator: `<command> --help` (exit 0), clear one-line
 * errors without a stack when the database is unreachable (exit 1). The other commands' behaviour is
 * tested in test/integration/defences/cli.test.ts.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function stockade(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: 'pipe',
    });
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
    child.stdin.end('');
  });
}

describe('stockade stats and the shape of every command', () => {
  let database: ServerDatabase;
  let server: TestServer;
  before(async () => {
    database = await createServerDatabase();
    server = await startTestServer({ db: openPostgres(database.url) });
  });
  after(async () => {
    await server.close();
    await server.db.close();
    await database.drop();
  });

  test('stats counts users, live sessions, items, movements and the last day’s sign-ins', async () => {
    const c = new TestClient(server.url);
    const user = await c.register();
    for (const sku of ['A-1', 'A-2', 'A-3']) assert.equal((await c.post('/api/items', { sku, name: sku, quantity: 5 })).status, 201);
    const items = (await c.get('/api/items')).body.items as { id: string }[];
    assert.equal((await c.post(`/api/items/${items[0]!.id}/adjustments`, { delta: -2, reason: 'sold' })).status, 201);
    assert.equal((await new TestClient(server.url).login(user.username, 'not the password')).status, 401);
    assert.equal((await new TestClient(server.url).login(user.username)).status, 200);

    const env = { DATABASE_URL: database.url };
    const json = await stockade(['stats', '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    const stats = JSON.parse(json.stdout);
    assert.deepEqual(
      { ...stats, databaseBytes: undefined },
      {
        users: 1,
        admins: 0,
        disabledUsers: 0,
        liveSessions: 2,
        items: 3,
        movements: 4, // three opening quantities and one sale
        signIns24h: 1,
        signInFailures24h: 1,
        lockouts24h: 0,
        databaseBytes: undefined,
        database: 'postgres',
      },
    );
    assert.ok(stats.databaseBytes > 1_000_000);

    const text = await stockade(['stats'], env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^users +1 \(admins 0, disabled 0\)$/m);
    assert.match(text.stdout, /^items +3$/m);
    assert.match(text.stdout, /^last 24 h +1 sign-ins, 1 failures, 0 lockouts$/m);
    assert.doesNotMatch(text.stdout, new RegExp(user.username), 'no usernames in stats');
  });

  test('--help on every command; stats refuses arguments; an unreachable database is one line and exit 1', async () => {
    const helps = await Promise.all(['migrate', 'create-admin', 'revoke-user', 'purge', 'stats'].map((cmd) => stockade([cmd, '--help'])));
    for (const h of helps) {
      assert.equal(h.code, 0);
      assert.match(h.stdout, /stats \[--json\]/);
    }
    const extra = await stockade(['stats', 'everything'], { DATABASE_URL: database.url });
    assert.equal(extra.code, 2);
    assert.match(extra.stderr, /stats takes no arguments but --json/);

    const port = await freePort();
    const down = await stockade(['stats'], { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/none` });
    assert.equal(down.code, 1);
    // Which database it tried, then why it failed: one line each.
    const [where, why, ...more] = down.stderr.trim().split('\n');
    assert.equal(where, `using PostgreSQL at 127.0.0.1:${port}/none`);
    assert.match(why ?? '', /^stockade stats: .*ECONNREFUSED/);
    assert.deepEqual(more, [], down.stderr);
    assert.equal(down.stdout, '');
  });

  test('stats with a database owner that does not bypass row-level security: counted tenant by tenant', async () => {
    const admin = new pg.Client({ connectionString: testDatabaseUrl() });
    await admin.connect();
    const role = uniqueName('stockade_owner');
    const name = uniqueName();
    // The deployment of docs/operations.md: an ordinary owner, a member of stockade_app.
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    await admin.query(`GRANT stockade_app TO ${role}`);
    await admin.query(`CREATE DATABASE ${name} OWNER ${role}`);
    const url = new URL(testDatabaseUrl());
    url.username = role;
    url.pathname = `/${name}`;
    const db = openPostgres(url.toString());
    try {
      await migrate(db);
      const own = await startTestServer({ db });
      try {
        for (let m = 0; m < 2; m++) {
          const c = new TestClient(own.url);
          await c.register();
          for (const sku of ['X-1', 'X-2']) assert.equal((await c.post('/api/items', { sku, name: sku, quantity: 1 })).status, 201);
        }
      } finally {
        await own.close();
      }
      const run = await stockade(['stats', '--json'], { DATABASE_URL: url.toString() });
      assert.equal(run.code, 0, run.stderr);
      const stats = JSON.parse(run.stdout);
      assert.equal(stats.users, 2);
      assert.equal(stats.items, 4);
      assert.equal(stats.movements, 4);
    } finally {
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });
});
