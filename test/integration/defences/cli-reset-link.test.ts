import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openPostgres } from '../../../src/db/postgres.js';
import { startTestServer } from '../../support/app.js';
import { PASSWORD, TestClient } from '../../support/client.js';
import { createServerDatabase } from '../../support/test-databases.js';
import { stockade } from './cli-helpers.js';

// The leaked-password playbook from the command line (docs/operations.md "Respond to an incident").
test('stockade reset-link --invalidate-password: the leaked password and its sessions die at once; the printed link sets a new one', async () => {
  const database = await createServerDatabase();
  const db = openPostgres(database.url);
  const server = await startTestServer({ db });
  try {
    const owner = new TestClient(server.url);
    const { username } = await owner.register();
    const attacker = new TestClient(server.url);
    assert.equal((await attacker.login(username)).status, 200);

    const env = { DATABASE_URL: database.url, PUBLIC_URL: 'https://shop.example' };
    const nobody = await stockade(['reset-link', 'nobody-here'], { env });
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /no user named "nobody-here"/);
    const run = await stockade(['reset-link', username, '--invalidate-password'], { env });
    assert.equal(run.code, 0, run.stderr);
    const link = run.stdout.trim();
    assert.match(link, /^https:\/\/shop\.example\/#\/reset\/[A-Za-z0-9_-]{43}$/);
    assert.match(run.stderr, /the old password no longer works and 2 sessions ended/);

    assert.equal((await attacker.get('/api/auth/session')).status, 401, 'the running server refuses the session at once');
    assert.equal((await new TestClient(server.url).login(username)).status, 401, 'the leaked password is void');
    const token = link.slice(link.lastIndexOf('/') + 1);
    const set = await new TestClient(server.url).post(`/api/auth/password-reset/${token}`, {
      newPassword: 'a fresh and private passphrase',
    });
    assert.equal(set.status, 204, set.text);
    assert.equal((await new TestClient(server.url).login(username, 'a fresh and private passphrase')).status, 200);
    assert.equal((await new TestClient(server.url).login(username, PASSWORD)).status, 401);
    const audited = await db.query<{ details: { via: string; invalidatePassword: boolean } }>(
      "SELECT details FROM audit_events WHERE type = 'password.reset_issued'",
    );
    assert.deepEqual(
      audited.rows.map((r) => [r.details.via, r.details.invalidatePassword]),
      [['cli', true]],
    );
  } finally {
    await server.close();
    await db.close();
    await database.drop();
  }
});
