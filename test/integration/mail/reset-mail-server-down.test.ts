import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startTestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';
import { linkIn, startSmtpServer, tokenOf } from '../../support/smtp-server.js';
import { count, signedInMerchant } from '../defences/helpers.js';
import { verifyAddress, waitUntil } from './helpers.js';
import { PUBLIC_URL } from './reset-by-mail.js';

/** A dead mail server delays the reset mail, never the answer (docs/security.md S-86). */
describe('password reset while the mail server is down', () => {
  test('202 at once; the mail arrives after the mail server is back', async () => {
    const smtp = await startSmtpServer();
    const server = await startTestServer({ env: { PUBLIC_URL, SMTP_URL: smtp.url }, mailWorker: { backoff: () => 1 } });
    try {
      const m = await signedInMerchant(server);
      const email = await verifyAddress(server, smtp, m.client);
      await smtp.stop();
      const asked = await new TestClient(server.url).post('/api/auth/password-reset', { login: m.username });
      assert.equal(asked.status, 202, 'answered without the mail server');
      await waitUntil(
        'a failed attempt',
        async () => (await count(server, 'mail_queue WHERE attempts >= 1 AND last_error IS NOT NULL')) >= 1,
      );
      await smtp.start();
      const mail = await smtp.waitFor((x) => x.to.includes(email) && x.subject === 'Reset your Stockade password');
      const token = tokenOf(linkIn(mail, 'reset'));
      assert.equal((await new TestClient(server.url).get(`/api/auth/password-reset/${token}`)).status, 200);
    } finally {
      await server.close();
      await smtp.stop();
    }
  });
});
