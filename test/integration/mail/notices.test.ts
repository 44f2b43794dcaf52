import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { PASSWORD, TestClient } from '../../support/client.js';
import { startSmtpServer, type TestSmtpServer } from '../../support/smtp-server.js';
import { count, signedInMerchant } from '../defences/helpers.js';
import { verifyAddress, waitUntil } from './helpers.js';

/**
 * Security notices (docs/security.md S-85): a sign-in from a device (device summary + network) the
 * account has not used before, a password change, a second factor removed — mailed to the verified
 * address, never to an unverified one, and never on the request's path.
 */
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0';
const NEW_DEVICE = 'New sign-in to your Stockade account';

for (const database of ['pglite', 'postgres'] as const) {
  describe(`notices on ${database}`, () => {
    let server: TestServer;
    let smtp: TestSmtpServer;
    before(async () => {
      smtp = await startSmtpServer();
      server = await startTestServer({ database, env: { SMTP_URL: smtp.url } });
    });
    after(async () => {
      await server.close();
      await smtp.stop();
    });
    const mailsTo = (email: string, subject: string) => smtp.received.filter((m) => m.to.includes(email) && m.subject === subject);

    test('a sign-in from a new device or network is mailed; from a known one it is not', async () => {
      const m = await signedInMerchant(server);
      const email = await verifyAddress(server, smtp, m.client);
      // The device it signed up with, again: known.
      assert.equal((await new TestClient(server.url).login(m.username)).status, 200);
      // Another browser on the same network: new.
      assert.equal((await new TestClient(server.url).login(m.username, PASSWORD, { headers: { 'user-agent': FIREFOX } })).status, 200);
      const notice = await smtp.waitFor((x) => x.to.includes(email) && x.subject === NEW_DEVICE);
      assert.match(notice.text, /Firefox on Linux, network 127\.0\.0\.0\/24/);
      // The same browser again: known now.
      assert.equal((await new TestClient(server.url).login(m.username, PASSWORD, { headers: { 'user-agent': FIREFOX } })).status, 200);
      // The first device from another network: new.
      assert.equal((await new TestClient(server.url).login(m.username, PASSWORD, { localAddress: '127.0.1.7' })).status, 200);
      await waitUntil('the second notice', () => mailsTo(email, NEW_DEVICE).length >= 2);
      await waitUntil('the queue is drained', async () => (await count(server, 'mail_queue')) === 0);
      assert.equal(mailsTo(email, NEW_DEVICE).length, 2, 'exactly the two new devices');
      assert.match(mailsTo(email, NEW_DEVICE)[1]!.text, /network 127\.0\.1\.0\/24/);
    });

    test('nothing is mailed to an account without a verified address', async () => {
      const m = await signedInMerchant(server);
      await m.client.request('PUT', '/api/me/email', { body: { email: `unverified-${m.username}@example.test` } });
      await waitUntil('the verification mail', () => smtp.received.some((x) => x.to.includes(`unverified-${m.username}@example.test`)));
      assert.equal((await new TestClient(server.url).login(m.username, PASSWORD, { headers: { 'user-agent': FIREFOX } })).status, 200);
      assert.equal(
        (await m.client.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'another long passphrase here' })).status,
        200,
      );
      assert.equal(await count(server, 'mail_queue WHERE user_id = $1', [m.id]), 0);
      assert.equal(smtp.received.filter((x) => x.to.includes(`unverified-${m.username}@example.test`)).length, 1, 'only the link');
    });

    test('a password change and a removed second factor are mailed', async () => {
      const m = await signedInMerchant(server);
      const email = await verifyAddress(server, smtp, m.client);
      assert.equal(
        (await m.client.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'another long passphrase here' })).status,
        200,
      );
      const changed = await smtp.waitFor((x) => x.to.includes(email) && x.subject === 'Your Stockade password was changed');
      assert.match(changed.text, /changed/);
      // The second-factor work calls this when a factor is removed (by its user or an admin).
      assert.equal(await server.deps.notices.secondFactorRemoved(m.id, 'reset'), true);
      const removed = await smtp.waitFor(
        (x) => x.to.includes(email) && x.subject === 'A second factor was removed from your Stockade account',
      );
      assert.match(removed.text, /an administrator removed/);
    });

    test('a username that looks like markup stays text in the HTML body', async () => {
      const m = await signedInMerchant(server);
      const email = await verifyAddress(server, smtp, m.client);
      // Usernames are [a-z0-9._-]; an address is the other user-supplied value in a mail. Stored as typed.
      await server.db.query('UPDATE users SET username = $2 WHERE id = $1', [m.id, '<img src=x onerror=alert(1)>']);
      await m.client.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'another long passphrase here' });
      const mail = await smtp.waitFor((x) => x.to.includes(email) && x.subject === 'Your Stockade password was changed');
      assert.ok(!mail.html.includes('<img'), 'escaped');
      assert.ok(mail.html.includes('&lt;img src=x onerror=alert(1)&gt;'));
    });
  });
}
