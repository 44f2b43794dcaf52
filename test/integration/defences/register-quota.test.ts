import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { PASSWORD, TestClient, uniqueUsername } from '../../support/client.js';
import { freshAddress } from './helpers.js';

/**
 * The sign-up quota: REGISTER_ADDRESS_MAX sign-ups from one address (IPv4, or IPv6 /64), then that
 * address waits an hour (429 rate_limited with Retry-After) before the next; nothing is created by a
 * refused sign-up, other addresses are not affected, and signing in is not limited by it.
 * Here the limit is 3 (the suite's other servers lift it: all their clients share 127.0.0.1).
 */
describe('sign-up quota per address (REGISTER_ADDRESS_MAX=3)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { REGISTER_ADDRESS_MAX: '3' } });
  });
  after(() => server.close());

  const signUp = (username: string, from: string) =>
    new TestClient(server.url).post('/api/auth/register', { username, password: PASSWORD }, { localAddress: from });

  test('three sign-ups, then 429 with an hour to wait; nothing created; other addresses and sign-in unaffected', async () => {
    const from = freshAddress();
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      const name = uniqueUsername('quota');
      assert.equal((await signUp(name, from)).status, 201);
      made.push(name);
    }
    const refusedName = uniqueUsername('quota');
    const refused = await signUp(refusedName, from);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.code, 'rate_limited');
    const wait = Number(refused.headers.get('retry-after'));
    assert.ok(wait > 3500 && wait <= 3600, `Retry-After ${wait}`);
    assert.equal(await server.deps.users.findByUsername(refusedName), null, 'the refused sign-up created nothing');

    // Another address signs up; the refused name was never taken.
    assert.equal((await signUp(refusedName, freshAddress())).status, 201);
    // Signing in from the paused address is not a sign-up.
    const login = await new TestClient(server.url).login(made[0]!, PASSWORD, { localAddress: from });
    assert.equal(login.status, 200);
  });

  test('racing sign-ups from one address cannot overshoot the quota', async () => {
    const from = freshAddress();
    const statuses = await Promise.all(Array.from({ length: 8 }, () => signUp(uniqueUsername('race'), from).then((r) => r.status)));
    assert.equal(statuses.filter((s) => s === 201).length, 3, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 429).length, 5, statuses.join(' '));
  });
});
