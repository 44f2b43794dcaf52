import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, type TestServer } from '../../support/app.js';
import { PASSWORD, TestClient, uniqueUsername } from '../../support/client.js';
import { count, freshAddress, normalised } from './helpers.js';

/**
 * Sign-in throttling over HTTP (S-39 as rewritten, S-40, S-73, S-74): per (account, address), per
 * account across all addresses (a ceiling), per address; exponential lockout, 429 with Retry-After, the
 * right password refused while locked, X-Forwarded-For only behind a trusted proxy; every guess counted
 * before it is checked; no address can lock the owner out elsewhere or block a live session's step-up.
 * Knobs are ordinary configuration: 3 failures per (account, address), 7 per account, 6 per address,
 * lockouts of 2 s doubling to 4 s.
 */
const ENV = {
  LOGIN_MAX_FAILURES: '3',
  LOGIN_ACCOUNT_MAX_FAILURES: '7',
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
    const loginFrom = (from: string) => (username: string, password: string) => client().login(username, password, { localAddress: from });

    test('3 failures from one address lock that (account, address): 429 + Retry-After, the right password refused there until it ends, then the lockout doubles', async () => {
      const { username } = await client().register();
      const login = loginFrom(freshAddress());
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
      // Same account and address, history kept: three more failures lock it again, for twice as long.
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
      const real = loginFrom(freshAddress());
      const unknown = loginFrom(freshAddress());
      for (let i = 0; i < 3; i++) {
        await real(username, `wrong ${i}`);
        await unknown(ghost, `wrong ${i}`);
      }
      const realAnswer = await real(username, PASSWORD);
      const unknownAnswer = await unknown(ghost, PASSWORD);
      assert.equal(realAnswer.status, 429);
      assert.deepEqual(normalised(unknownAnswer), normalised(realAnswer));
    });

    test('S-74: failures from address A do not lock the owner out from address B', async () => {
      const { username } = await client().register();
      const attacker = loginFrom(freshAddress());
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await attacker(username, `guess ${i}`)).status);
      assert.deepEqual(statuses, [401, 401, 429, 429, 429], 'A is locked for this account');
      assert.equal((await loginFrom(freshAddress())(username, PASSWORD)).status, 200, 'the owner signs in from B');
    });

    test('S-74: the account-wide ceiling stops a distributed guesser (the owner waits it out too)', async () => {
      const { username } = await client().register();
      const statuses: number[] = [];
      // Two guesses per address: never the per-(account, address) limit, but 7 in all reach the ceiling.
      for (let i = 0; i < 4; i++) {
        const from = loginFrom(freshAddress());
        for (let j = 0; j < 2; j++) statuses.push((await from(username, `guess ${i}.${j}`)).status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 429, 429], 'the 7th failure across addresses locks the account');
      assert.equal(
        (await loginFrom(freshAddress())(username, PASSWORD)).status,
        429,
        'even the owner, from a fresh address, until it ends',
      );
      const ghost = uniqueUsername('ghost');
      const unknown: number[] = [];
      for (let i = 0; i < 4; i++) {
        const from = loginFrom(freshAddress());
        for (let j = 0; j < 2; j++) unknown.push((await from(ghost, `guess ${i}.${j}`)).status);
      }
      assert.deepEqual(unknown, statuses, 'an unknown username reaches its ceiling the same way');
    });

    test("S-74: the victim's live session re-authenticates and changes the password after failures from elsewhere", async () => {
      const victim = client();
      const { id, username } = await victim.register();
      // One address locks its (account, address); others push the account to its ceiling.
      for (let i = 0; i < 3; i++) await loginFrom(freshAddress())(username, `guess ${i}`);
      for (let i = 0; i < 4; i++) {
        const from = loginFrom(freshAddress());
        for (let j = 0; j < 2; j++) await from(username, `guess ${i}.${j}`);
      }
      assert.equal((await loginFrom(freshAddress())(username, PASSWORD)).status, 429, 'sign-in is locked everywhere');
      const reauth = await victim.post('/api/auth/reauthenticate', { password: PASSWORD });
      assert.equal(reauth.status, 200, 'step-up in the live session still works');
      const change = await victim.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' });
      assert.equal(change.status, 200, 'and so does changing the password');
      assert.equal((await victim.get('/api/auth/session')).body.user.id, id);
    });

    test('re-authentication and password-change failures count with sign-in failures from the same address', async () => {
      const c = client();
      const { username } = await c.register();
      const from = freshAddress();
      const reauth = await c.post('/api/auth/reauthenticate', { password: 'not my password' }, { localAddress: from });
      assert.equal(reauth.status, 400);
      assert.equal(reauth.body.code, 'validation');
      const change = await c.post(
        '/api/auth/password',
        { currentPassword: 'still not it', newPassword: 'a brand new passphrase' },
        { localAddress: from },
      );
      assert.equal(change.status, 400);
      assert.equal((await loginFrom(from)(username, 'third wrong one')).status, 429, 'the third failure, at sign-in, locks');
      assert.equal(
        (await c.post('/api/auth/reauthenticate', { password: PASSWORD }, { localAddress: from })).status,
        429,
        'step-up from there is refused too',
      );
      assert.equal((await loginFrom(from)(username, PASSWORD)).status, 429);
      assert.equal((await loginFrom(freshAddress())(username, PASSWORD)).status, 200, 'the account is fine from elsewhere');
    });
  });
}

/**
 * S-73 with lockouts long enough (10 minutes) that none can end while the guesses are still being
 * answered: on a slow machine that takes seconds, and an expired lockout would rightly let more through.
 */
for (const database of ['pglite', 'postgres'] as const) {
  describe(`counted before checked on ${database}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database, env: { ...ENV, LOGIN_LOCKOUT_BASE: '10m', LOGIN_LOCKOUT_MAX: '10m' } });
    });
    after(() => server.close());
    const client = () => new TestClient(server.url);
    const loginFrom = (from: string) => (username: string, password: string) => client().login(username, password, { localAddress: from });
    const failures = (type: string, userId: string) => count(server, 'audit_events WHERE type = $1 AND user_id = $2', [type, userId]);

    test('S-73: 29 wrong guesses in flight, then the right one: it is refused, and at most the limit were checked', async () => {
      const { id, username } = await client().register();
      const from = freshAddress();
      const guesses: Promise<number>[] = [];
      for (let i = 0; i < 29; i++) {
        guesses.push(loginFrom(from)(username, `wrong guess ${i}`).then((r) => r.status));
        await sleep(1);
      }
      // 1 ms after the 29th, each on its own socket: most of the guesses are still waiting for their hash.
      const right = await loginFrom(from)(username, PASSWORD);
      const statuses = await Promise.all(guesses);
      const checked = await failures('login.failure', id);
      assert.equal(right.status, 429, `the right password after 29 guesses in flight (guesses: ${statuses}; ${checked} checked)`);
      assert.ok(checked <= 3, `${checked} guesses were checked; the limit is 3`);
      assert.ok(
        statuses.every((s) => s === 401 || s === 429),
        `statuses: ${statuses}`,
      );
    });

    test('S-73: step-up and password change guesses in flight are counted before they are checked', async () => {
      const c = client();
      const { id } = await c.register();
      const from = freshAddress();
      const wrong = Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0
          ? c.post('/api/auth/reauthenticate', { password: `wrong ${i}` }, { localAddress: from })
          : c.post('/api/auth/password', { currentPassword: `wrong ${i}`, newPassword: 'a brand new passphrase' }, { localAddress: from }),
      );
      const statuses = (await Promise.all(wrong)).map((r) => r.status);
      assert.ok(
        statuses.every((s) => s === 400 || s === 429),
        `statuses: ${statuses}`,
      );
      const checked = (await failures('reauth.failure', id)) + (await failures('password.change_failure', id));
      assert.ok(checked <= 3, `${checked} step-up guesses were checked; the limit is 3`);
      assert.equal((await c.post('/api/auth/reauthenticate', { password: PASSWORD }, { localAddress: from })).status, 429);
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
