import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { PASSWORD, TestClient } from '../../support/client.js';
import { linkIn, startSmtpServer, type TestSmtpServer, tokenOf } from '../../support/smtp-server.js';
import { count, signedInMerchant } from '../defences/helpers.js';
import { uniqueAddress, verifyAddress, waitUntil } from './helpers.js';

/**
 * A user's e-mail address (docs/api.md "E-mail and account recovery"): verified by a link built from
 * PUBLIC_URL that works signed in or not, one account per verified address (no enumeration), the old
 * address told of a change, in the export, gone with the account.
 */
test('setting an address needs a fresh authentication', async () => {
  // 3 s: the PUT right after re-authenticating must land inside it even on a loaded machine.
  const server = await startTestServer({ env: { SESSION_REAUTH_WINDOW: '3s' } });
  try {
    const m = await signedInMerchant(server);
    await new Promise((r) => setTimeout(r, 3200));
    const stale = await m.client.request('PUT', '/api/me/email', { body: { email: uniqueAddress('stale') } });
    assert.equal(stale.status, 403);
    assert.equal(stale.body.code, 'reauth_required');
    assert.equal(await count(server, 'email_verifications WHERE user_id = $1', [m.id]), 0, 'nothing changed');
    assert.equal((await m.client.post('/api/auth/reauthenticate', { password: PASSWORD })).status, 200);
    assert.equal((await m.client.request('PUT', '/api/me/email', { body: { email: uniqueAddress('fresh') } })).status, 202);
  } finally {
    await server.close();
  }
});

for (const database of ['pglite', 'postgres'] as const) {
  describe(`e-mail addresses on ${database}`, () => {
    let server: TestServer;
    let smtp: TestSmtpServer;
    before(async () => {
      smtp = await startSmtpServer();
      server = await startTestServer({ database, env: { PUBLIC_URL: 'https://shop.example', SMTP_URL: smtp.url } });
    });
    after(async () => {
      await server.close();
      await smtp.stop();
    });

    test('set, confirm by the link from another device, then change: the old address is told', async () => {
      const m = await signedInMerchant(server);
      const email = uniqueAddress('first');
      assert.deepEqual((await m.client.get('/api/me/email')).body, { email: null, emailVerified: false, pendingEmail: null });
      const put = await m.client.request('PUT', '/api/me/email', {
        body: { email: `  ${email.toUpperCase()} ` },
        headers: { 'x-forwarded-host': 'evil.example' },
      });
      assert.equal(put.status, 202, put.text);
      assert.deepEqual(put.body, {});
      const mail = await smtp.waitFor((x) => x.to.includes(email));
      const link = linkIn(mail, 'verify-email');
      assert.match(link, /^https:\/\/shop\.example\/#\/verify-email\/[A-Za-z0-9_-]{43}$/);
      assert.ok(mail.html.includes(link), 'the HTML body carries the same link');
      assert.ok(mail.text.includes(m.username));
      assert.deepEqual((await m.client.get('/api/me/email')).body, {
        email: null,
        emailVerified: false,
        pendingEmail: email.toUpperCase(),
      });

      // Opened signed out (a phone): it works.
      const verified = await new TestClient(server.url).post('/api/auth/verify-email', { token: tokenOf(link) });
      assert.equal(verified.status, 200, verified.text);
      assert.equal(verified.body.user.id, m.id);
      assert.equal(verified.body.user.email, email.toUpperCase());
      assert.equal(verified.body.user.emailVerified, true);
      assert.deepEqual((await m.client.get('/api/me/email')).body, { email: email.toUpperCase(), emailVerified: true, pendingEmail: null });
      const again = await new TestClient(server.url).post('/api/auth/verify-email', { token: tokenOf(link) });
      assert.equal(again.status, 404, 'used once');
      assert.equal(again.body.code, 'not_found');

      const second = uniqueAddress('second');
      assert.equal((await m.client.request('PUT', '/api/me/email', { body: { email: second } })).status, 202);
      const notice = await smtp.waitFor((x) => x.to.includes(email) && x.subject.startsWith('A new e-mail address'));
      assert.ok(!notice.text.includes('/#/'), 'the notice carries no link');
      const link2 = linkIn(await smtp.waitFor((x) => x.to.includes(second)), 'verify-email');
      assert.equal((await m.client.post('/api/auth/verify-email', { token: tokenOf(link2) })).status, 200);
      assert.equal((await m.client.get('/api/me/email')).body.email, second);
      assert.equal(await count(server, "audit_events WHERE type = 'email.verified' AND user_id = $1", [m.id]), 2);
    });

    test('an address another account verified: the same 202, no link, and its owner is told', async () => {
      const owner = await signedInMerchant(server);
      const email = await verifyAddress(server, smtp, owner.client);
      const other = await signedInMerchant(server);
      const before = smtp.received.length;
      const taken = await other.client.request('PUT', '/api/me/email', { body: { email } });
      const fresh = await other.client.request('PUT', '/api/me/email', { body: { email: uniqueAddress('free') } });
      assert.equal(taken.status, 202);
      assert.deepEqual(taken.body, fresh.body, 'one answer whether or not the address is taken');
      const told = await smtp.waitFor((x) => x.to.includes(email) && x.subject.startsWith('Someone tried'));
      assert.ok(!told.text.includes('/#/verify-email/'), 'no link goes to a taken address');
      await waitUntil('both mails', () => smtp.received.length >= before + 2);
      assert.equal(smtp.received.slice(before).filter((x) => x.to.includes(email) && x.text.includes('/#/verify-email/')).length, 0);
      assert.equal((await owner.client.get('/api/me/email')).body.email, email, 'the owner keeps it');
    });

    test('two accounts confirming one address at once: one wins, the other is 409', async () => {
      const email = uniqueAddress('race');
      const a = await signedInMerchant(server);
      const b = await signedInMerchant(server);
      assert.equal((await a.client.request('PUT', '/api/me/email', { body: { email } })).status, 202);
      assert.equal((await b.client.request('PUT', '/api/me/email', { body: { email } })).status, 202);
      await waitUntil('two links', () => smtp.received.filter((x) => x.to.includes(email)).length >= 2);
      const tokens = smtp.received.filter((x) => x.to.includes(email)).map((x) => tokenOf(linkIn(x, 'verify-email')));
      const answers = await Promise.all(tokens.map((token) => new TestClient(server.url).post('/api/auth/verify-email', { token })));
      assert.deepEqual(answers.map((r) => r.status).sort(), [200, 409]);
      assert.equal(await count(server, 'users WHERE email = $1', [email]), 1);
    });

    test('bad input is a 400 that changes nothing; junk tokens are 404', async () => {
      const m = await signedInMerchant(server);
      for (const email of ['no-at-sign', 'a@b', 'two@@example.test', 'line\nbreak@example.test', `${'x'.repeat(250)}@example.test`]) {
        const res = await m.client.request('PUT', '/api/me/email', { body: { email } });
        assert.equal(res.status, 400, email);
        assert.equal(res.body.errors[0].path, 'email');
      }
      assert.equal(await count(server, 'email_verifications WHERE user_id = $1', [m.id]), 0);
      for (const token of ['x', 'A'.repeat(43)]) {
        assert.equal((await new TestClient(server.url).post('/api/auth/verify-email', { token })).status, 404);
      }
      assert.equal((await new TestClient(server.url).request('PUT', '/api/me/email', { body: { email: 'a@example.test' } })).status, 401);
    });

    test('the export includes the address; erasure removes it and everything mail kept of the user', async () => {
      const m = await signedInMerchant(server);
      const email = await verifyAddress(server, smtp, m.client);
      await m.client.request('PUT', '/api/me/email', { body: { email: uniqueAddress('pending') } });
      const exported = await m.client.post('/api/me/export', {});
      assert.equal(exported.status, 200, exported.text);
      assert.equal(exported.body.user.email, email);
      assert.ok(exported.body.user.emailVerifiedAt);
      assert.match(exported.body.user.pendingEmail, /^pending-/);
      const deleted = await m.client.delete('/api/me', { password: PASSWORD });
      assert.equal(deleted.status, 204, deleted.text);
      assert.equal(await count(server, 'users WHERE email_key = $1', [email]), 0);
      assert.equal(await count(server, 'email_verifications WHERE user_id = $1', [m.id]), 0);
      assert.equal(await count(server, 'mail_queue WHERE user_id = $1', [m.id]), 0);
      assert.equal(await count(server, 'known_devices WHERE user_id = $1', [m.id]), 0);
    });
  });
}
