import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, startTestServer } from '../../support/app.js';
import { redisPrefix } from '../scale-out/support.js';
import { testRedisUrl } from '../../support/test-databases.js';
import { freshAddress } from '../defences/helpers.js';
import { enrolledMerchant, passwordStep, secondStep, TestClock } from './helpers.js';

/**
 * Each TOTP code once, each recovery code once — under concurrency (S-79), on every store: PGlite, a
 * PostgreSQL server, and a PostgreSQL server with Redis holding the throttle and the session tier (the
 * once-only rules live in PostgreSQL whatever else is configured). The throttle is set wide here so
 * that it is the code rules, not a lockout, that refuse the losers.
 */
const STORES = [
  { name: 'pglite', database: 'pglite' as const, env: () => ({}) },
  { name: 'postgres', database: 'postgres' as const, env: () => ({}) },
  { name: 'postgres + redis', database: 'postgres' as const, env: () => ({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: redisPrefix() }) },
];
const IN_FLIGHT = 20;

for (const store of STORES) {
  describe(`each code once under concurrency on ${store.name}`, () => {
    let server: TestServer;
    const clock = new TestClock();
    before(async () => {
      server = await startTestServer({
        database: store.database,
        clock: clock.now,
        env: { LOGIN_MAX_FAILURES: '100', LOGIN_ACCOUNT_MAX_FAILURES: '100', LOGIN_ADDRESS_MAX_FAILURES: '100000', ...store.env() },
      });
    });
    after(() => server.close());

    /** IN_FLIGHT second steps with the same body, over 5 pending sign-ins (4 each), all sent at once. */
    async function race(username: string, body: unknown): Promise<number[]> {
      const pendings = await Promise.all(Array.from({ length: 5 }, () => passwordStep(server, username)));
      return (
        await Promise.all(
          Array.from({ length: IN_FLIGHT }, (_, i) => secondStep(pendings[i % 5]!.client, pendings[i % 5]!.cookie, body, freshAddress())),
        )
      ).map((r) => r.status);
    }

    test(`one TOTP code, ${IN_FLIGHT} second steps in flight: exactly one signs in`, async () => {
      const m = await enrolledMerchant(server, clock);
      const statuses = await race(m.username, { code: clock.nextCode(m.secret) });
      assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
      assert.equal(statuses.filter((s) => s === 401).length, IN_FLIGHT - 1, JSON.stringify(statuses));
    });

    test(`one recovery code, ${IN_FLIGHT} second steps in flight: exactly one signs in, nine remain`, async () => {
      const m = await enrolledMerchant(server, clock);
      const statuses = await race(m.username, { recoveryCode: m.recoveryCodes[5] });
      assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
      assert.equal(statuses.filter((s) => s === 401).length, IN_FLIGHT - 1, JSON.stringify(statuses));
      assert.equal((await m.client.get('/api/me/mfa')).body.recoveryCodes.remaining, 9);
      const audited = await server.db.query(`SELECT 1 FROM audit_events WHERE user_id = $1 AND type = 'mfa.recovery_code_used'`, [m.id]);
      assert.equal(audited.rows.length, 1);
    });

    test(`one recovery code at step-up, ${IN_FLIGHT} in flight: exactly one succeeds`, async () => {
      const m = await enrolledMerchant(server, clock);
      const clients = Array.from({ length: IN_FLIGHT }, () => m.client.clone());
      const statuses = (
        await Promise.all(
          clients.map((c) =>
            c.post('/api/auth/reauthenticate', { password: 'correct horse battery staple', recoveryCode: m.recoveryCodes[1] }),
          ),
        )
      ).map((r) => r.status);
      // The winner rotates the token; the others fail on the code (400) or find their token rotated (401).
      assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
      assert.equal((await m.client.get('/api/me/mfa').catch(() => null))?.status !== 500, true);
      assert.equal(
        Number(
          (await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM recovery_codes WHERE user_id = $1', [m.id])).rows[0]?.n,
        ),
        9,
      );
    });
  });
}
