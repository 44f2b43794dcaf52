import type { TestServer } from '../../support/app.js';
import type { TestClient } from '../../support/client.js';
import { linkIn, type TestSmtpServer, tokenOf } from '../../support/smtp-server.js';

/** Shared by the mail tests: unique addresses, and an account with a verified address the way a user gets one. */

let n = 0;
export function uniqueAddress(prefix = 'u'): string {
  n += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${n}@example.test`;
}

/** PUT /api/me/email, the link from the mail that arrives, POST /api/auth/verify-email. Returns the address. */
export async function verifyAddress(
  server: TestServer,
  smtp: TestSmtpServer,
  client: TestClient,
  email = uniqueAddress(),
): Promise<string> {
  const put = await client.request('PUT', '/api/me/email', { body: { email } });
  if (put.status !== 202) throw new Error(`PUT /api/me/email: ${put.status} ${put.text}`);
  const mail = await smtp.waitFor((m) => m.to.includes(email) && m.subject.startsWith('Confirm'));
  const verified = await client.post('/api/auth/verify-email', { token: tokenOf(linkIn(mail, 'verify-email')) });
  if (verified.status !== 200) throw new Error(`verify-email: ${verified.status} ${verified.text}`);
  void server;
  return email;
}

export async function waitUntil(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
