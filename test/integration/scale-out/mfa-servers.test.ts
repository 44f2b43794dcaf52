import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Secret } from 'otpauth';
import { codeAt } from '../../../src/auth/second-factor/totp.js';
import { TestClient } from '../../support/client.js';
import { type Haproxy, startHaproxy } from '../../support/haproxy.js';
import { testRedisUrl } from '../../support/test-databases.js';
import { pendingCookie } from '../mfa/helpers.js';
import { type Fleet, redisPrefix, signedIn, startFleet } from './support.js';

/**
 * Each TOTP code once across servers (S-79): three servers on one PostgreSQL database and one Redis,
 * behind HAProxy. The last accepted time step lives in PostgreSQL and moves by a conditional UPDATE, so
 * a code used through one server is refused by the others, and the same code sent to all three at once
 * signs in exactly once.
 */
describe('second factor on three servers behind HAProxy', () => {
  let fleet: Fleet;
  let lb: Haproxy;
  before(async () => {
    fleet = await startFleet(3, { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: redisPrefix() });
    lb = await startHaproxy(fleet.servers.map((s) => ({ host: '127.0.0.1', port: Number(new URL(s.url).port) })));
  });
  after(async () => {
    await lb?.stop();
    await fleet?.close();
  });

  /** A user enrolled through the balancer, the code of the confirming step used. */
  async function enrolled() {
    const { client, username } = await signedIn(lb.url);
    const begun = await client.post('/api/me/mfa/totp');
    assert.equal(begun.status, 200, begun.text);
    const secret = Buffer.from(Secret.fromBase32(begun.body.secret).bytes);
    const at = Date.now();
    assert.equal((await client.post('/api/me/mfa/totp/confirm', { code: codeAt(secret, at) })).status, 200);
    // The next step's code: accepted while every server's clock is within one step of it.
    return { username, next: codeAt(secret, at + 30_000) };
  }

  /** A password step straight to one server: its client and pending cookie. */
  async function pendingOn(url: string, username: string) {
    const client = new TestClient(url, { secureCookie: false });
    const res = await client.login(username);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.mfaRequired, true);
    return { client, cookie: pendingCookie(res) };
  }

  test('a code used through one server is refused by the others', async () => {
    const { username, next } = await enrolled();
    const [a, b, c] = fleet.servers.map((s) => s.url) as [string, string, string];
    const first = await pendingOn(a, username);
    const ok = await first.client.post('/api/auth/login/mfa', { code: next }, { headers: { cookie: first.cookie } });
    assert.equal(ok.status, 200, ok.text);
    for (const url of [b, c, a]) {
      const again = await pendingOn(url, username);
      const replay = await again.client.post('/api/auth/login/mfa', { code: next }, { headers: { cookie: again.cookie } });
      assert.equal(replay.status, 401, `replayed on ${url}`);
    }
  });

  test('one code sent to all three servers at once: exactly one signs in', async () => {
    const { username, next } = await enrolled();
    // One password step per server, one after another (sign-ins in flight at once count on the throttle
    // before they are checked: more than LOGIN_MAX_FAILURES at once would refuse the last).
    const pendings = [];
    for (const s of fleet.servers) pendings.push(await pendingOn(s.url, username));
    const statuses = (
      await Promise.all(pendings.map((p) => p.client.post('/api/auth/login/mfa', { code: next }, { headers: { cookie: p.cookie } })))
    ).map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
    assert.equal(statuses.filter((s) => s === 401).length, statuses.length - 1, JSON.stringify(statuses));
  });
});
