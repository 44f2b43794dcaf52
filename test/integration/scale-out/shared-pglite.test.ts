import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../../src/db/db.js';
import { startTestServer, type TestServer } from '../../support/app.js';
import { openTestPglite } from '../../support/pglite.js';
import { sameSessionOn, signedIn } from './support.js';

/**
 * Two app instances over one embedded database in one process share the in-process revocation bus:
 * each app wraps the database in its own metrics view (wiring/deps.ts), and the bus's hub must still be
 * the database itself, or a sign-out on one instance would leave the session alive in the other's
 * local cache.
 */
describe('two apps over one PGlite', () => {
  let db: Db;
  let servers: TestServer[] = [];
  before(async () => {
    db = await openTestPglite();
    servers = [
      await startTestServer({ db, env: { COOKIE_SECURE: 'false' } }),
      await startTestServer({ db, env: { COOKIE_SECURE: 'false' } }),
    ];
  });
  after(async () => {
    for (const s of servers) await s.close();
    await db?.close();
  });

  test("a sign-out on one app empties the other's local cache", async () => {
    const [s0, s1] = servers as [TestServer, TestServer];
    assert.ok(s1.deps.sessionStack?.cache, 'PGlite builds a local cache');
    const { client } = await signedIn(s0.url);
    const elsewhere = sameSessionOn(client, s1.url);
    // Twice: the second check is answered by s1's local cache.
    for (let i = 0; i < 2; i++) assert.equal((await elsewhere.get('/api/auth/session')).status, 200);
    assert.equal((await client.post('/api/auth/logout')).status, 204);
    assert.equal((await elsewhere.get('/api/auth/session')).status, 401, 'the revoked session is refused by the other app');
  });
});
