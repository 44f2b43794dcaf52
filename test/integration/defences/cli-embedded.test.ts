import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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
