import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { TestClient, uniqueUsername } from '../../support/client.js';
import { startSmtpServer, type TestSmtpServer } from '../../support/smtp-server.js';
import { uniqueAddress, waitUntil } from './helpers.js';
import { PUBLIC_URL } from './reset-by-mail.js';

/** docs/security.md S-82: the same time whether or not the account exists (the one timing assertion the issue asks for). */
describe('reset request timing', () => {
  let server: TestServer;
  let smtp: TestSmtpServer;
  before(async () => {
    smtp = await startSmtpServer();
    server = await startTestServer({ env: { PUBLIC_URL, SMTP_URL: smtp.url, PASSWORD_RESET_ADDRESS_MAX: '100000' } });
  });
  after(async () => {
    await server.close();
    await smtp.stop();
  });

  test('a known login and an unknown one answer within 1.5× of each other (median of many)', async () => {
    const N = 25;
    // Accounts with a verified address, made directly (the timing is of the request, not of sign-up).
    const known: string[] = [];
    for (let i = 0; i < N; i++) {
      const u = await server.deps.users.create(uniqueUsername('timing'), '$argon2id$v=19$m=19456,t=2,p=1$unused$unused');
      const email = uniqueAddress('timing');
      await server.db.query('UPDATE users SET email = $2, email_key = $2, email_verified_at = now() WHERE id = $1', [u.id, email]);
      known.push(u.username);
    }
    const time = async (login: string) => {
      const t0 = process.hrtime.bigint();
      const res = await new TestClient(server.url).post('/api/auth/password-reset', { login });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      assert.equal(res.status, 202);
      return ms;
    };
    const k: number[] = [];
    const u: number[] = [];
    // Interleaved, so a noisy stretch of the machine falls on both alike.
    for (let i = 0; i < N; i++) {
      k.push(await time(known[i] as string));
      u.push(await time(uniqueUsername('unknown')));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const [mk, mu] = [median(k), median(u)];
    console.log(
      `reset request timing: known median ${mk.toFixed(1)} ms, unknown median ${mu.toFixed(1)} ms, ratio ${(Math.max(mk, mu) / Math.min(mk, mu)).toFixed(3)}`,
    );
    assert.ok(Math.max(mk, mu) / Math.min(mk, mu) < 1.5, `known ${mk} ms vs unknown ${mu} ms`);
    await waitUntil(`${N} mails`, () => smtp.received.length >= N);
  });
});
