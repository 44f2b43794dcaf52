import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, type TestServer } from '../../support/app.js';
import { PASSWORD, TestClient, uniqueUsername } from '../../support/client.js';
import { freshAddress, normalised } from './helpers.js';

/**
 * Sign-in throttling over HTTP (S-39, S-40): per account, per address, exponential lockout, 429 with
 * Retry-After, the right password refused while locked, X-Forwarded-For only behind a trusted proxy.
 * Knobs are ordinary configuration: 3 failures per account, 6 per address, lockouts of 2 s doubling to 4 s.
 */
const ENV = {
  LOGIN_MAX_FAILURES: '3',
  LOGIN_ADDRESS_MAX_FAILURES: '6',
  LOGIN_LOCKOUT_BASE: '2s',
  LOGIN_LOCKOUT_MAX: '4s',
  LOGIN_FAILURE_WINDOW: '1m',
};

for (const database of ['pglite', 'postgres'] as const) {
  describe(`sign-in throttling on ${database}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database, env: ENV });
    });
    after(() => server.close());
    const client = () => new TestClient(server.url);
    /** A sign-in from a new source address each time, so only the account counter is in play. */
    const login = (username: string, password: string) => client().login(username, password, { localAddress: freshAddress() });

    test('3 failures lock the account: 429 + Retry-After, the right password refused until it ends, then the lockout doubles', async () => {
      const { username } = await client().register();
      assert.equal((await login(username, 'wrong password one')).status, 401);
      assert.equal((await login(username, 'wrong password two')).status, 401);
      const third = await login(username, 'wrong password three');
      assert.equal(third.status, 429);
      assert.equal(third.body.code, 'rate_limited');
      assert.equal(third.headers.get('retry-after'), '2');
      assert.equal(third.setCookies.filter((c) => c.includes('sid=') && !/max-age=0/i.test(c)).length, 0, 'no session');

      const right = await login(username, PASSWORD);
      assert.equal(right.status, 429, 'the right password is refused while locked');
      assert.deepEqual({ ...normalised(right), headers: undefined }, { ...normalised(third), headers: undefined });
      assert.ok(Number(right.headers.get('retry-after')) >= 1);

      await sleep(2100);
      // Same account, history kept: three more failures lock it again, for twice as long.
      assert.equal((await login(username, 'wrong password four')).status, 401);
      assert.equal((await login(username, 'wrong password five')).status, 401);
      const again = await login(username, 'wrong password six');
      assert.equal(again.status, 429);
      assert.equal(again.headers.get('retry-after'), '4', 'the second lockout doubles');
      assert.equal((await login(username, PASSWORD)).status, 429);

      await sleep(4100);
      assert.equal((await login(username, PASSWORD)).status, 200, 'accepted once the lockout is over');
      // Success cleared the counter: two failures are not a lockout.
      assert.equal((await login(username, 'wrong again')).status, 401);
      assert.equal((await login(username, 'wrong again')).status, 401);
      assert.equal((await login(username, PASSWORD)).status, 200);
    });

    test('an unknown username locks exactly like a real one (no enumeration through the lockout)', async () => {
      const { username } = await client().register();
      const ghost = uniqueUsername('ghost');
      for (let i = 0; i < 3; i++) {
        await login(username, `wrong ${i}`);
        await login(ghost, `wrong ${i}`);
      }
      const real = await login(username, PASSWORD);
      const unknown = await login(ghost, PASSWORD);
      assert.equal(real.status, 429);
      assert.deepEqual(normalised(unknown), normalised(real));
    });

    test('re-authentication and password-change failures count toward the same account limit', async () => {
      const c = client();
      const { username } = await c.register();
      const reauth = await c.post('/api/auth/reauthenticate', { password: 'not my password' });
      assert.equal(reauth.status, 400);
      assert.equal(reauth.body.code, 'validation');
      const change = await c.post('/api/auth/password', { currentPassword: 'still not it', newPassword: 'a brand new passphrase' });
      assert.equal(change.status, 400);
      assert.equal((await login(username, 'third wrong one')).status, 429, 'the third failure, at sign-in, locks');
      assert.equal((await c.post('/api/auth/reauthenticate', { password: PASSWORD })).status, 429, 'step-up is refused too');
      assert.equal((await login(username, PASSWORD)).status, 429);
    });
  });
}

describe('per-address throttling', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: ENV });
  });
  after(() => server.close());
  const client = () => new TestClient(server.url);

  test('6 failures from one address with different usernames lock the address, not the accounts', async () => {
    const { username } = await client().register();
    const from = freshAddress();
    for (let i = 1; i <= 5; i++) {
      assert.equal((await client().login(uniqueUsername('spray'), 'Winter2024!', { localAddress: from })).status, 401);
    }
    const sixth = await client().login(uniqueUsername('spray'), 'Winter2024!', { localAddress: from });
    assert.equal(sixth.status, 429);
    assert.ok(sixth.headers.get('retry-after'));
    assert.equal((await client().login(username, PASSWORD, { localAddress: from })).status, 429, 'even a right password from there');
    assert.equal((await client().login(username, PASSWORD, { localAddress: freshAddress() })).status, 200, 'the account is fine elsewhere');
  });

  test('X-Forwarded-For is ignored without TRUST_PROXY: a forged address per request does not escape the limit', async () => {
    const from = freshAddress();
    const forged = (i: number) => ({ 'x-forwarded-for': `198.51.100.${i}` });
    const statuses: number[] = [];
    for (let i = 1; i <= 7; i++) {
      statuses.push((await client().login(uniqueUsername('xff'), 'guess', { localAddress: from, headers: forged(i) })).status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429]);
  });
});

describe('behind a trusted proxy (TRUST_PROXY=1: one hop)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { ...ENV, TRUST_PROXY: '1' } });
  });
  after(() => server.close());

  test('the forwarded client address is what is limited; IPv6 clients are grouped by /64', async () => {
    const c = () => new TestClient(server.url);
    const via = (xff: string) => ({ headers: { 'x-forwarded-for': xff } });
    for (let i = 1; i <= 6; i++) await c().login(uniqueUsername('p'), 'guess', via('203.0.113.7'));
    assert.equal((await c().login(uniqueUsername('p'), 'guess', via('203.0.113.7'))).status, 429);
    assert.equal((await c().login(uniqueUsername('p'), 'guess', via('203.0.113.8'))).status, 401, 'another client behind the proxy');

    for (let i = 1; i <= 6; i++) await c().login(uniqueUsername('p'), 'guess', via(`2001:db8:aa:bb::${i}`));
    assert.equal((await c().login(uniqueUsername('p'), 'guess', via('2001:db8:aa:bb:ffff::1'))).status, 429, 'same /64');
    assert.equal((await c().login(uniqueUsername('p'), 'guess', via('2001:db8:aa:cc::1'))).status, 401, 'another /64');
  });
});
