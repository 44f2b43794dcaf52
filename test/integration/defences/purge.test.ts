import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { purgeOnce, startPurgeJob } from '../../../src/jobs/purge.js';
import { startTestServer, type TestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';
import { count } from './helpers.js';

/**
 * Retention (S-68): expired sessions, audit rows past AUDIT_RETENTION and dead throttling records are
 * purged in batches by a background timer; live data stays. Expiry is set in the database (gray-box)
 * rather than waited for, so a busy machine cannot expire the "live" rows too.
 */
for (const database of ['pglite', 'postgres'] as const) {
  describe(`purge on ${database}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({
        database,
        env: { AUDIT_RETENTION: '30d' },
      });
    });
    after(() => server.close());

    test('purgeOnce removes expired sessions, old audit rows and expired throttling records, in batches', async () => {
      const stale = new TestClient(server.url);
      const user = await stale.register();
      for (let i = 0; i < 4; i++) await new TestClient(server.url).login(user.username);
      await new TestClient(server.url).login(user.username, 'a wrong password');
      await server.db.query(
        `INSERT INTO audit_events (type, at, details) SELECT 'login.failure', now() - interval '31 days', '{}' FROM generate_series(1, 7)`,
      );
      await server.db.query(`INSERT INTO audit_events (type, at, details) VALUES ('login.failure', now() - interval '29 days', '{}')`);
      assert.equal(
        await count(server, 'rate_limits'),
        4,
        "the address's sign-up count, and the failure's (account, address), account and address (the sign-ins' counts were taken back)",
      );
      await server.db.query(`UPDATE sessions SET idle_expires_at = now() - interval '1 second' WHERE user_id = $1`, [user.id]);
      await server.db.query(`UPDATE rate_limits SET expires_at = now() - interval '1 second'`);
      const fresh = new TestClient(server.url);
      await fresh.login(user.username);
      assert.equal(await count(server, 'rate_limits'), 1, 'the sign-in cleared its own records; the expired sign-up count is left');
      const auditBefore = await count(server, 'audit_events');

      const counts = await purgeOnce(server.deps, { auditRetention: server.config.auditRetention, batchSize: 2 });
      assert.deepEqual(counts, {
        sessions: 5,
        auditEvents: 7,
        rateLimits: 1,
        passwordResets: 0,
        pendingSignIns: 0,
        pseudonymKeys: 0,
        emailVerifications: 0,
        mailGivenUp: 0,
      });
      assert.equal(await count(server, 'sessions WHERE user_id = $1', [user.id]), 1, 'the live session stays');
      assert.equal((await fresh.get('/api/auth/session')).status, 200);
      assert.equal(await count(server, 'audit_events'), auditBefore - 7, 'the 29-day-old row and recent ones stay');
      assert.equal(await count(server, `audit_events WHERE at < now() - interval '30 days'`), 0);
      assert.deepEqual(await purgeOnce(server.deps, { auditRetention: server.config.auditRetention }), {
        sessions: 0,
        auditEvents: 0,
        rateLimits: 0,
        passwordResets: 0,
        pendingSignIns: 0,
        pseudonymKeys: 0,
        emailVerifications: 0,
        mailGivenUp: 0,
      });
    });

    test('the background job purges on its interval and stops with the server', async () => {
      const c = new TestClient(server.url);
      const user = await c.register();
      const lines: object[] = [];
      const log = { info: (o: object) => lines.push(o), error: (o: object) => lines.push(o) };
      server.deps.closers.push(startPurgeJob(server.deps, { intervalSeconds: 0.3, auditRetention: 3600, log }));
      await sleep(700);
      assert.equal(await count(server, 'sessions WHERE user_id = $1', [user.id]), 1, 'a live session stays');
      await server.db.query(`UPDATE sessions SET idle_expires_at = now() - interval '1 second' WHERE user_id = $1`, [user.id]);
      for (let i = 0; i < 50 && (await count(server, 'sessions WHERE user_id = $1', [user.id])) > 0; i++) await sleep(100);
      assert.equal(await count(server, 'sessions WHERE user_id = $1', [user.id]), 0, 'purged without anyone asking');
      assert.ok(
        lines.some((l) => (l as { event?: string }).event === 'purge'),
        'and logged',
      );
    });
  });
}
