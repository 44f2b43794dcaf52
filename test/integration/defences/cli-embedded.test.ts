import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openPglite } from '../../../src/db/pglite.js';
import { PASSWORD } from '../../support/client.js';
import { stockade } from './cli-helpers.js';

describe('stockade CLI on an embedded database (DATA_DIR)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'stockade-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // Each command opens the embedded database afresh (5-20 s on a busy 2-core machine, the first one
  // creating it), so only two run here; the other commands and the refusals are tested on the server.
  test('without DATABASE_URL, a missing embedded database is refused (nothing created) unless --create', async () => {
    const elsewhere = join(dir, 'not-a-checkout');
    const target = join(dir, 'new-data');
    const [defaultDir, named, noCreateFlag] = await Promise.all([
      // The operator's slip: no DATABASE_URL, run from some directory: DATA_DIR defaults to ./data.
      stockade(['stats'], { cwd: dir }),
      stockade(['revoke-user', 'alice'], { env: { DATA_DIR: target } }),
      stockade(['migrate'], { env: { DATA_DIR: elsewhere } }),
    ]);
    for (const [run, path] of [
      [defaultDir, join(dir, 'data')],
      [named, target],
      [noCreateFlag, elsewhere],
    ] as const) {
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stdout, '', 'no result is reported');
      assert.ok(run.stderr.includes(`no embedded database at ${path}`), run.stderr);
      assert.match(run.stderr, /DATABASE_URL/, 'says how to point it at a server');
      assert.match(run.stderr, /--create/, 'says how to create one on purpose');
      assert.equal(existsSync(path), false, `${path} was not created`);
    }
  });

  test('create-admin --create on a new data directory (creates and migrates it), then purge; both say where', async () => {
    const env = { DATA_DIR: dir };
    const created = await stockade(['create-admin', 'Boss', '--create'], { env, input: `${PASSWORD}\n` });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /created administrator Boss/);
    assert.ok(created.stderr.includes(`using embedded database at ${dir}\n`), created.stderr);
    const purged = await stockade(['purge'], { env }); // an existing database needs no --create
    assert.equal(purged.code, 0, purged.stderr);
    assert.match(purged.stdout, /purged 0 expired sessions, 0 audit events, 0 throttling records/);
    assert.ok(purged.stderr.includes(`using embedded database at ${dir}\n`), purged.stderr);

    const db = await openPglite(dir);
    try {
      const users = await db.query<{ username: string; role: string; password_hash: string }>(
        'SELECT username, role, password_hash FROM users',
      );
      assert.deepEqual(
        users.rows.map((u) => [u.username, u.role]),
        [['Boss', 'admin']],
      );
      assert.match(users.rows[0]!.password_hash, /^\$argon2id\$/);
      const events = await db.query<{ type: string }>('SELECT type FROM audit_events ORDER BY id');
      assert.deepEqual(
        events.rows.map((e) => e.type),
        ['admin.created'],
      );
    } finally {
      await db.close();
    }
  });
});
