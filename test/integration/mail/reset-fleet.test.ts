import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { linkIn, startSmtpServer, type TestSmtpServer, tokenOf } from '../../support/smtp-server.js';
import { testRedisUrl } from '../../support/test-databases.js';
import { type Fleet, redisPrefix, sameSessionOn, signedIn, startFleet, waitFor } from '../scale-out/support.js';
import { TestClient } from '../../support/client.js';
import { uniqueAddress } from './helpers.js';

/**
 * A password reset by mail on three servers over one database (docs/security.md S-84): the request on
 * one, the link used on another, and the user's sessions — one signed in through each server — refused
 * by every server. With Redis (shared tier and bus) and without (PostgreSQL alone).
 */
for (const withRedis of [true, false]) {
  describe(`reset by mail across three servers${withRedis ? ' with Redis' : ', PostgreSQL only'}`, () => {
    let fleet: Fleet;
    let smtp: TestSmtpServer;
    before(async () => {
      smtp = await startSmtpServer();
      fleet = await startFleet(3, {
        SMTP_URL: smtp.url,
        PUBLIC_URL: 'https://shop.example',
        ...(withRedis ? { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: redisPrefix() } : {}),
      });
    });
    after(async () => {
      await fleet.close();
      await smtp.stop();
    });

    test('the sessions on all three servers are dead after the reset', async () => {
      const [a, b, c] = fleet.servers.map((s) => s.url) as [string, string, string];
      const user = await signedIn(a);
      const email = uniqueAddress('fleet');
      assert.equal((await user.client.request('PUT', '/api/me/email', { body: { email } })).status, 202);
      const verify = await smtp.waitFor((m) => m.to.includes(email));
      const onC = new TestClient(c, { secureCookie: false });
      assert.equal((await onC.post('/api/auth/verify-email', { token: tokenOf(linkIn(verify, 'verify-email')) })).status, 200);

      const sessions = [user.client];
      for (const url of [b, c]) {
        const other = new TestClient(url, { secureCookie: false });
        assert.equal((await other.login(user.username)).status, 200);
        sessions.push(other);
      }
      // Each session, asked through every server: all alive before.
      for (const s of sessions) for (const url of [a, b, c]) assert.equal((await sameSessionOn(s, url).get('/api/items')).status, 200);

      assert.equal(
        (await new TestClient(b, { secureCookie: false }).post('/api/auth/password-reset', { login: user.username })).status,
        202,
      );
      const mail = await smtp.waitFor((m) => m.to.includes(email) && m.subject === 'Reset your Stockade password');
      const token = tokenOf(linkIn(mail, 'reset'));
      const done = await new TestClient(c, { secureCookie: false }).post(`/api/auth/password-reset/${token}`, {
        newPassword: 'a fleet-wide brand new passphrase',
      });
      assert.equal(done.status, 204, done.text);
      for (const s of sessions)
        assert.equal((await sameSessionOn(s, c).get('/api/items')).status, 401, 'refused by the server that handled it');
      for (const s of sessions) {
        for (const url of [a, b]) {
          await waitFor(`session refused by ${url}`, async () => (await sameSessionOn(s, url).get('/api/items')).status === 401);
        }
      }
      const fresh = new TestClient(a, { secureCookie: false });
      assert.equal((await fresh.login(user.username, 'a fleet-wide brand new passphrase')).status, 200);
    });
  });
}
