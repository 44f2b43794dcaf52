import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { migrate } from '../../../src/db/migrate.js';
import { openPostgres } from '../../../src/db/postgres.js';
import { startTestServer, type TestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';
import { type PgServer, pgBinDir, startPostgresServer } from '../../support/pg-server.js';
import { documentedProcedure, ROOT, runShell } from './documented.js';

/**
 * docs/operations.md "Back up and restore", run as written: a PostgreSQL 15 server of its own, set up as
 * the guide's "Deploy" section says (a non-superuser owner `stockade`, the role `stockade_app`), data
 * made through the HTTP API while a server runs, the backup role created by the guide's SQL, the backup
 * taken with the guide's command, restored into a fresh database with the guide's command, and a
 * server started on the copy. Users, items, movements and sessions must be equal, and a cookie issued
 * before the backup must still work on the restored server.
 *
 * The guide's procedures are read from the guide itself (documented.ts), so the tested commands are the
 * documented ones.
 */

// Characters a URL must percent-encode, so the script's decoding is exercised too.
const PASSWORDS: Record<string, string> = { stockade: 'owner-Secret-1', stockade_backup: 'backup/Se:cr@t%2' };

function roleUrl(server: PgServer, role: string, database: string): string {
  return `postgres://${role}:${encodeURIComponent(PASSWORDS[role] ?? '')}@127.0.0.1:${server.port}/${database}`;
}

/**
 * A directory of wrappers that note their arguments, then run the real PostgreSQL client: the backup
 * must not put its password on a command line (ps shows those to every local user).
 */
function recordingClients(dir: string, log: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const tool of ['psql', 'pg_dump', 'pg_restore']) {
    const file = join(bin, tool);
    writeFileSync(file, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${join(pgBinDir(), tool)}' "$@"\n`);
    chmodSync(file, 0o755);
  }
  return bin;
}

/** Runs a documented SQL block statement by statement (CREATE DATABASE refuses a multi-statement string). */
async function runSql(url: string, block: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    const sql = block
      .split('\n')
      .filter((line) => !/^\s*--/.test(line))
      .join('\n')
      // The guide writes passwords as '…': the test fills in its own.
      .replace(
        /CREATE ROLE (\w+)([^;]*)PASSWORD '…'/g,
        (_m, role: string, rest: string) => `CREATE ROLE ${role}${rest}PASSWORD '${(PASSWORDS[role] ?? 'x').replaceAll("'", "''")}'`,
      );
    for (const statement of sql
      .split(/;\s*(?:\n|$)/)
      .map((s) => s.trim())
      .filter(Boolean))
      await client.query(statement);
  } finally {
    await client.end().catch(() => {});
  }
}

async function rowsOf(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

describe('backup and restore as docs/operations.md says (PostgreSQL server, non-superuser owner)', () => {
  let server: PgServer;
  let backupDir: string;
  let hbaDir: string;
  before(async () => {
    backupDir = mkdtempSync(join(tmpdir(), 'stockade-backup-'));
    hbaDir = mkdtempSync(join(tmpdir(), 'stockade-backup-hba-'));
    chmodSync(hbaDir, 0o755); // read by the postgres system user
    const hba = join(hbaDir, 'pg_hba.conf');
    // Passwords count, as on a real server: only the test's superuser is trusted.
    writeFileSync(
      hba,
      ['local all all trust', 'host all postgres 127.0.0.1/32 trust', 'host all all 127.0.0.1/32 scram-sha-256', ''].join('\n'),
    );
    chmodSync(hba, 0o644);
    server = await startPostgresServer({ settings: { hba_file: hba, password_encryption: 'scram-sha-256' } });
    await runSql(superuser('postgres'), documentedProcedure('postgres-setup'));
    await runSql(superuser('stockade'), documentedProcedure('backup-role'));
  });
  const superuser = (db: string) => `postgres://postgres@127.0.0.1:${server.port}/${db}`;
  const pgPath = () => `${pgBinDir()}:${process.env.PATH ?? '/usr/bin:/bin'}`;
  after(async () => {
    rmSync(backupDir, { recursive: true, force: true });
    await server?.stop();
    rmSync(hbaDir, { recursive: true, force: true });
  });

  test('a backup taken under traffic restores users, items, movements and live sessions', { timeout: 240_000 }, async () => {
    // The live system: migrated by the owner, as the server does at start, and used over HTTP.
    const liveDb = openPostgres(roleUrl(server, 'stockade', 'stockade'));
    await migrate(liveDb);
    const live: TestServer = await startTestServer({ db: liveDb });
    const merchants: TestClient[] = [];
    let restored: TestServer | undefined;
    try {
      for (let m = 0; m < 3; m++) {
        const c = new TestClient(live.url);
        await c.register();
        for (let i = 0; i < 4; i++) {
          const created = await c.post('/api/items', { sku: `SKU-${m}-${i}`, name: `Item ${m}.${i}`, quantity: 10 + i });
          assert.equal(created.status, 201, created.text);
          const adjusted = await c.post(`/api/items/${created.body.item.id}/adjustments`, { delta: -(i + 1), reason: 'sold' });
          assert.equal(adjusted.status, 201, adjusted.text);
        }
        merchants.push(c);
      }
      // Traffic while the backup runs: reads, so the expected state is fixed before the dump starts.
      let reading = true;
      const readers = merchants.map(async (c) => {
        while (reading) assert.equal((await c.get('/api/items')).status, 200);
      });
      const argvLog = join(hbaDir, 'argv.log');
      const backup = await runShell(
        documentedProcedure('backup'),
        {
          PATH: `${recordingClients(hbaDir, argvLog)}:${pgPath()}`,
          STOCKADE_DIR: ROOT,
          BACKUP_DIR: backupDir,
          DATABASE_URL: roleUrl(server, 'stockade', 'stockade'),
          BACKUP_DATABASE_URL: roleUrl(server, 'stockade_backup', 'stockade'),
        },
        backupDir,
      );
      reading = false;
      await Promise.all(readers);
      assert.equal(backup.code, 0, `the documented backup failed:\n${backup.stderr}${backup.stdout}`);
      const files = readdirSync(backupDir);
      const dumps = files.filter((f) => f.endsWith('.dump'));
      assert.equal(dumps.length, 1, `one finished dump and nothing else in the backup directory: ${files.join(', ')}`);
      assert.deepEqual(files, dumps, 'no partial file is left next to it');
      const argv = readFileSync(argvLog, 'utf8');
      assert.match(argv, /pg_dump|--format=custom/, 'the wrappers saw the clients run');
      for (const secret of [PASSWORDS.stockade_backup ?? '', encodeURIComponent(PASSWORDS.stockade_backup ?? '')]) {
        assert.ok(!argv.includes(secret), `the backup password is on no command line:\n${argv}`);
      }

      // A fresh, empty database owned by the owner (the guide: "as a superuser, CREATE DATABASE … OWNER stockade").
      await runSql(superuser('postgres'), 'CREATE DATABASE stockade_restored OWNER stockade');
      const restore = await runShell(
        documentedProcedure('restore'),
        {
          PATH: pgPath(),
          DATABASE_URL: roleUrl(server, 'stockade', 'stockade_restored'),
          BACKUP_FILE: join(backupDir, dumps[0] ?? ''),
        },
        backupDir,
      );
      assert.equal(restore.code, 0, `the documented restore failed:\n${restore.stderr}${restore.stdout}`);

      for (const table of ['users', 'sessions', 'items', 'movements', 'install_secrets', 'schema_migrations']) {
        const sql = `SELECT * FROM ${table} ORDER BY 1`;
        const [before, after] = [await rowsOf(superuser('stockade'), sql), await rowsOf(superuser('stockade_restored'), sql)];
        assert.ok(before.length > 0, `${table} has rows to compare`);
        assert.deepEqual(after, before, `${table} restored equal`);
      }
      const counts = await rowsOf(
        superuser('stockade_restored'),
        'SELECT (SELECT count(*) FROM items)::int AS items, (SELECT count(*) FROM movements)::int AS movements',
      );
      assert.deepEqual(counts, [{ items: 12, movements: 24 }], 'every item with its creation and its adjustment');

      // A server on the copy, connecting as the owner: row-level security still holds, and the cookies
      // issued before the backup still work.
      const restoredDb = openPostgres(roleUrl(server, 'stockade', 'stockade_restored'));
      assert.deepEqual(await migrate(restoredDb), [], 'the copy is already migrated');
      const copy = await startTestServer({ db: restoredDb });
      restored = copy;
      for (const c of merchants) {
        const there = new TestClient(copy.url);
        there.token = c.token;
        there.csrfToken = c.csrfToken;
        const [mine, theirs] = [await c.get('/api/items'), await there.get('/api/items')];
        assert.equal(theirs.status, 200, theirs.text);
        assert.deepEqual(theirs.body.items, mine.body.items, "the same items, and only this merchant's");
        assert.equal(theirs.body.items.length, 4);
        const wrote = await there.post(`/api/items/${theirs.body.items[0].id}/adjustments`, { delta: 1, reason: 'received' });
        assert.equal(wrote.status, 201, wrote.text);
      }
    } finally {
      await restored?.close();
      await restored?.db.close();
      await live.close();
      await liveDb.close();
    }
  });

  test("the incident playbook's ledger query, run as the owner, shows that merchant's movements (a plain SELECT shows none)", {
    timeout: 120_000,
  }, async () => {
    await runSql(superuser('postgres'), 'CREATE DATABASE stockade_incident OWNER stockade');
    const ownerUrl = roleUrl(server, 'stockade', 'stockade_incident');
    const db = openPostgres(ownerUrl);
    await migrate(db);
    const live = await startTestServer({ db });
    try {
      const ids: string[] = [];
      for (let m = 0; m < 2; m++) {
        const c = new TestClient(live.url);
        ids.push((await c.register()).id);
        const created = await c.post('/api/items', { sku: `INC-${m}`, name: `Incident ${m}`, quantity: 5 });
        assert.equal(created.status, 201, created.text);
        assert.equal((await c.post(`/api/items/${created.body.item.id}/adjustments`, { delta: -2, reason: 'sold' })).status, 201);
      }
      assert.deepEqual(
        await rowsOf(ownerUrl, 'SELECT count(*)::int AS n FROM movements'),
        [{ n: 0 }],
        'row-level security hides the ledger from a plain owner query',
      );
      const shops = await rowsOf(ownerUrl, `SELECT shop_id FROM memberships WHERE user_id = '${ids[0]}'`);
      assert.equal(shops.length, 1);
      const sql = documentedProcedure('incident-ledger')
        .replace("'<shop id>'", `'${(shops[0] as { shop_id: string }).shop_id}'`)
        .replace("'<user id>'", `'${ids[0]}'`)
        .replace("'<first bad sign-in>'", "'1970-01-01T00:00:00Z'");
      const run = await runShell(`psql -X -v ON_ERROR_STOP=1 -At -F '|' "$URL" <<'SQL'\n${sql}\nSQL`, {
        PATH: pgPath(),
        URL: ownerUrl,
      });
      assert.equal(run.code, 0, run.stderr);
      const rows = run.stdout.split('\n').filter((l) => l.includes('|INC-'));
      assert.equal(rows.length, 2, run.stdout);
      assert.ok(
        rows.every((r) => r.includes('|INC-0|')),
        "only the named merchant's movements",
      );
    } finally {
      await live.close();
      await db.close();
    }
  });

  test('deploy/backup.sh refuses a role that row-level security filters, and a failed dump leaves nothing', {
    timeout: 120_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stockade-backup-fail-'));
    try {
      const script = join(ROOT, 'deploy/backup.sh');
      const asOwner = await runShell(`"${script}" "${dir}"`, {
        PATH: pgPath(),
        BACKUP_DATABASE_URL: roleUrl(server, 'stockade', 'stockade'),
      });
      assert.equal(asOwner.code, 1, asOwner.stderr);
      assert.match(asOwner.stderr, /must bypass row-level security/);
      const noDatabase = await runShell(`"${script}" "${dir}"`, {
        PATH: pgPath(),
        BACKUP_DATABASE_URL: roleUrl(server, 'stockade_backup', 'no_such_database'),
      });
      assert.equal(noDatabase.code, 1, noDatabase.stderr);
      assert.match(noDatabase.stderr, /cannot connect/);
      const usage = await runShell(`"${script}"`, { PATH: pgPath() });
      assert.equal(usage.code, 2);
      assert.deepEqual(readdirSync(dir), [], 'nothing written by a failed backup');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
