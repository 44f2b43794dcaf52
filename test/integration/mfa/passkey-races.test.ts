import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, startTestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';
import { testRedisUrl } from '../../support/test-databases.js';
import { freshAddress } from '../defences/helpers.js';
import { redisPrefix } from '../scale-out/support.js';
import { secondStep } from './helpers.js';
import { PASSKEY_ENV, passkeyMerchant, passkeyPasswordStep, passwordlessOptions } from './passkey-helpers.js';

/**
 * Each WebAuthn challenge once under concurrency (S-80), on every store: PGlite, a PostgreSQL server,
 * and a PostgreSQL server with Redis (the challenge lives in PostgreSQL whatever else is configured).
 * One assertion sent IN_FLIGHT times at once: the challenge's DELETE … RETURNING lets exactly one
 * through. The throttle is set wide so that it is the challenge, not a lockout, that refuses the losers.
 */
const STORES = [
  { name: 'pglite', database: 'pglite' as const, env: () => ({}) },
  { name: 'postgres', database: 'postgres' as const, env: () => ({}) },
  { name: 'postgres + redis', database: 'postgres' as const, env: () => ({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: redisPrefix() }) },
];
const IN_FLIGHT = 20;

for (const store of STORES) {
  describe(`each passkey challenge once under concurrency on ${store.name}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({
        database: store.database,
        env: {
          ...PASSKEY_ENV,
          LOGIN_MAX_FAILURES: '100',
          LOGIN_ACCOUNT_MAX_FAILURES: '100',
          LOGIN_ADDRESS_MAX_FAILURES: '100000',
          ...store.env(),
        },
      });
    });
    after(() => server.close());

    test(`one passwordless assertion, ${IN_FLIGHT} sign-ins in flight: exactly one signs in`, async () => {
      const m = await passkeyMerchant(server);
      const response = m.authenticator.get(await passwordlessOptions(server));
      const statuses = (
        await Promise.all(
          Array.from({ length: IN_FLIGHT }, () =>
            new TestClient(server.url).post('/api/auth/passkey', { response }, { localAddress: freshAddress() }),
          ),
        )
      ).map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
      assert.equal(statuses.filter((s) => s === 401).length, IN_FLIGHT - 1, JSON.stringify(statuses));
    });

    test(`one second-step assertion, ${IN_FLIGHT} in flight on its pending sign-in: exactly one signs in`, async () => {
      const m = await passkeyMerchant(server);
      const step = await passkeyPasswordStep(server, m.username);
      const passkey = m.authenticator.get(step.options);
      const statuses = (
        await Promise.all(
          Array.from({ length: IN_FLIGHT }, () => secondStep(step.client.clone(), step.cookie, { passkey }, freshAddress())),
        )
      ).map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
      assert.equal(statuses.filter((s) => s === 401).length, IN_FLIGHT - 1, JSON.stringify(statuses));
    });

    test(`one step-up assertion, ${IN_FLIGHT} in flight: exactly one succeeds`, async () => {
      const m = await passkeyMerchant(server);
      const options = await m.client.post('/api/auth/reauthenticate/options');
      const passkey = m.authenticator.get(options.body);
      const statuses = (
        await Promise.all(Array.from({ length: IN_FLIGHT }, () => m.client.clone().post('/api/auth/reauthenticate', { passkey })))
      ).map((r) => r.status);
      // The winner rotates the token; the others fail on the challenge (400) or find their token rotated (401).
      assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
      assert.equal(statuses.filter((s) => s === 400 || s === 401).length, IN_FLIGHT - 1, JSON.stringify(statuses));
    });
  });
}
