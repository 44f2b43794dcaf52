import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Secret } from 'otpauth';
import { startTestServer, type TestServer } from '../../support/app.js';
import { type ApiResponse, PASSWORD, TestClient, uniqueUsername } from '../../support/client.js';
import { linkIn, startSmtpServer, type TestSmtpServer, tokenOf } from '../../support/smtp-server.js';
import { count, freshAddress, signedInMerchant } from '../defences/helpers.js';
import { testRedisUrl, uniqueName } from '../../support/test-databases.js';
import { uniqueAddress, verifyAddress, waitUntil } from './helpers.js';
import { TestClock } from '../mfa/helpers.js';

/**
 * "Forgot password?" end to end with a real SMTP server (docs/api.md "E-mail and account recovery",
 * docs/security.md S-82…S-86): one answer whether or not the account exists, the link from PUBLIC_URL
 * whatever the Host says, a GET never uses it, one POST does (racing: one wins), every session ends, the
 * lockout lifts, the owner is told; a dead mail server delays the mail, never the answer.
 */
export const NEW_PASSWORD = 'a fresh and rather long passphrase';
export const PUBLIC_URL = 'https://shop.example';

/** The reset-by-mail suite on one store: PGlite, a PostgreSQL server, or a server with Redis (the throttles then count in Redis). */
export function resetByMailSuite(database: 'pglite' | 'postgres', redis: boolean): void {
  describe(`password reset by mail on ${database}${redis ? ' with Redis' : ''}`, () => {
    let server: TestServer;
    let smtp: TestSmtpServer;
    const logLines: string[] = [];
    // Each TOTP code works once: the test moves the server's clock a step on for each one it needs.
    const clock = new TestClock();
    before(async () => {
      smtp = await startSmtpServer();
      server = await startTestServer({
        database,
        logLines,
        clock: clock.now,
        env: {
          PUBLIC_URL,
          SMTP_URL: smtp.url,
          PASSWORD_RESET_ADDRESS_MAX: '1000',
          ...(redis ? { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: `${uniqueName('mail')}:` } : {}),
        },
      });
    });
    after(async () => {
      await server.close();
      await smtp.stop();
    });
    const anon = () => new TestClient(server.url);
    const resetMailFor = (email: string, after = 0) =>
      smtp.waitFor((m) => m.to.includes(email) && m.subject === 'Reset your Stockade password' && smtp.received.indexOf(m) >= after);

    test('the whole flow, with a poisoned Host: the link is PUBLIC_URL’s, opened twice, used once; every session ends', async () => {
      const m = await signedInMerchant(server);
      const email = await verifyAddress(server, smtp, m.client);
      const elsewhere = new TestClient(server.url);
      assert.equal((await elsewhere.login(m.username)).status, 200);

      const asked = await anon().post(
        '/api/auth/password-reset',
        { login: m.username },
        { headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' } },
      );
      assert.equal(asked.status, 202, asked.text);
      assert.deepEqual(asked.body, {});
      const mail = await resetMailFor(email);
      const link = linkIn(mail, 'reset');
      assert.match(link, /^https:\/\/shop\.example\/#\/reset\/[A-Za-z0-9_-]{43}$/, 'built from PUBLIC_URL, never from Host');
      assert.ok(!mail.text.includes('evil.example') && !mail.html.includes('evil.example'));
      assert.ok(mail.html.includes(link));
      const token = tokenOf(link);

      // A mail scanner opens it, then the user does: nothing used up.
      for (let i = 0; i < 2; i++) {
        const peek = await anon().get(`/api/auth/password-reset/${token}`);
        assert.equal(peek.status, 200);
        assert.deepEqual(peek.body, { username: m.username, mfaRequired: false });
      }
      const weak = await anon().post(`/api/auth/password-reset/${token}`, { newPassword: 'password' });
      assert.equal(weak.status, 400);
      assert.equal(weak.body.errors[0].path, 'newPassword');

      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => anon().post(`/api/auth/password-reset/${token}`, { newPassword: `${NEW_PASSWORD} ${i}` })),
      );
      const won = answers.flatMap((a, i) => (a.status === 204 ? [i] : []));
      assert.equal(won.length, 1, `racing POSTs: ${answers.map((a) => a.status).join(',')}`);
      assert.ok(answers.every((a) => a.status === 204 || a.status === 404));
      assert.equal((await m.client.get('/api/items')).status, 401, 'the session that asked is gone');
      assert.equal((await elsewhere.get('/api/items')).status, 401, 'and every other');
      assert.equal((await anon().login(m.username)).status, 401, 'the old password is void');
      assert.equal((await anon().login(m.username, `${NEW_PASSWORD} ${won[0]}`)).status, 200);
      assert.equal((await anon().get(`/api/auth/password-reset/${token}`)).status, 404);

      const notice = await smtp.waitFor((x) => x.to.includes(email) && x.subject === 'Your Stockade password was changed');
      assert.ok(!notice.text.includes('/#/'), 'a notice carries no link');
      assert.equal(await count(server, 'mail_queue WHERE text_body LIKE $1', [`%${token}%`]), 0, 'the queue keeps no token once sent');
      assert.deepEqual(
        logLines.filter((l) => l.includes(token)),
        [],
        'the token never reaches a log line',
      );
      assert.equal(await count(server, "audit_events WHERE type = 'password.reset_requested' AND user_id = $1", [m.id]), 1);
    });

    test('by e-mail address too; nothing for an unknown login, an unverified address or a disabled account — and the same 202', async () => {
      const m = await signedInMerchant(server);
      const email = await verifyAddress(server, smtp, m.client);
      const unverified = await signedInMerchant(server);
      await unverified.client.request('PUT', '/api/me/email', { body: { email: uniqueAddress('unverified') } });
      const disabled = await signedInMerchant(server);
      const disabledEmail = await verifyAddress(server, smtp, disabled.client);
      await server.db.query('UPDATE users SET disabled = true WHERE id = $1', [disabled.id]);

      const queued = () => count(server, "mail_queue WHERE kind = 'password-reset'");
      const links = () => count(server, "password_resets WHERE issued_by = 'mail' AND used_at IS NULL");
      await waitUntil('the queue is drained', async () => (await queued()) === 0);
      const before = { links: await links(), smtp: smtp.received.length };
      const answers = [];
      for (const login of [uniqueUsername('nobody'), uniqueAddress('nobody'), unverified.username, disabled.username, disabledEmail]) {
        answers.push(await anon().post('/api/auth/password-reset', { login }));
      }
      for (const a of answers) {
        assert.equal(a.status, 202);
        assert.deepEqual(a.body, {});
        assert.deepEqual(
          [...a.headers.keys()].filter((h) => !['date', 'x-request-id'].includes(h)).sort(),
          [...answers[0]!.headers.keys()].filter((h) => !['date', 'x-request-id'].includes(h)).sort(),
        );
      }
      assert.equal(await links(), before.links, 'no link issued');
      assert.equal(await queued(), 0, 'no mail queued');

      const byAddress = await anon().post('/api/auth/password-reset', { login: ` ${email.toUpperCase()} ` });
      assert.equal(byAddress.status, 202);
      const mail = await resetMailFor(email, before.smtp);
      assert.ok(mail.text.includes(m.username));
      assert.equal(
        smtp.received.slice(before.smtp).filter((x) => x.subject === 'Reset your Stockade password').length,
        1,
        'only the real one',
      );
    });

    test('a newer request, a password change and an address change each void the older link', async () => {
      const m = await signedInMerchant(server);
      const email = await verifyAddress(server, smtp, m.client);
      const ask = async () => {
        const at = smtp.received.length;
        assert.equal((await anon().post('/api/auth/password-reset', { login: m.username }, { localAddress: freshAddress() })).status, 202);
        return tokenOf(linkIn(await resetMailFor(email, at), 'reset'));
      };
      const first = await ask();
      const second = await ask();
      assert.equal((await anon().get(`/api/auth/password-reset/${first}`)).status, 404, 'newer voids older');
      assert.equal((await anon().get(`/api/auth/password-reset/${second}`)).status, 200);
      assert.equal((await m.client.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).status, 200);
      assert.equal((await anon().get(`/api/auth/password-reset/${second}`)).status, 404, 'a password change voids it');
      await smtp.waitFor((x) => x.to.includes(email) && x.subject === 'Your Stockade password was changed');
      const third = await ask();
      await verifyAddress(server, smtp, m.client);
      assert.equal((await anon().get(`/api/auth/password-reset/${third}`)).status, 404, 'an address change voids it');
    });

    test('throttled per login string and per address: the same 429 for an account and for nobody', async () => {
      const m = await signedInMerchant(server);
      await verifyAddress(server, smtp, m.client);
      const nobody = uniqueUsername('nobody');
      const spellings = (name: string) => [name, name.toUpperCase(), ` ${name} `, name];
      const real: ApiResponse[] = [];
      const fake: ApiResponse[] = [];
      // Each from another address: only the login's own counter is at work.
      for (const login of spellings(m.username))
        real.push(await anon().post('/api/auth/password-reset', { login }, { localAddress: freshAddress() }));
      for (const login of spellings(nobody))
        fake.push(await anon().post('/api/auth/password-reset', { login }, { localAddress: freshAddress() }));
      assert.deepEqual(
        real.map((r) => r.status),
        [202, 202, 202, 429],
      );
      assert.deepEqual(
        fake.map((r) => r.status),
        [202, 202, 202, 429],
      );
      const last = (rs: typeof real) => ({ ...rs[3]!.body, instance: undefined });
      assert.deepEqual(last(real), last(fake), 'one 429, whoever it is about');
      assert.ok(Number(real[3]!.headers.get('retry-after')) > 0);
    });

    test('completing a reset lifts the account’s sign-in lockout', async () => {
      const m = await signedInMerchant(server);
      const email = await verifyAddress(server, smtp, m.client);
      const from = freshAddress();
      const statuses = [];
      for (let i = 0; i < 8; i++) statuses.push((await anon().login(m.username, `wrong ${i}`, { localAddress: from })).status);
      assert.ok(statuses.includes(429), `locked out: ${statuses.join(',')}`);
      assert.equal((await anon().login(m.username, PASSWORD, { localAddress: from })).status, 429, 'even the right password waits');
      const at = smtp.received.length;
      await anon().post('/api/auth/password-reset', { login: m.username }, { localAddress: from });
      const token = tokenOf(linkIn(await resetMailFor(email, at), 'reset'));
      assert.equal(
        (await anon().post(`/api/auth/password-reset/${token}`, { newPassword: NEW_PASSWORD }, { localAddress: from })).status,
        204,
      );
      assert.equal((await anon().login(m.username, NEW_PASSWORD, { localAddress: from })).status, 200, 'no lockout after the reset');
    });

    test('with a second factor enrolled: needed, counted, and the fifth failure kills the link', async () => {
      const m = await signedInMerchant(server);
      const email = await verifyAddress(server, smtp, m.client);
      const begun = await m.client.post('/api/me/mfa/totp');
      assert.equal(begun.status, 200, begun.text);
      const secret = Buffer.from(Secret.fromBase32(begun.body.secret).bytes);
      assert.equal((await m.client.post('/api/me/mfa/totp/confirm', { code: clock.nextCode(secret) })).status, 200);
      const ask = async () => {
        const at = smtp.received.length;
        await anon().post('/api/auth/password-reset', { login: m.username }, { localAddress: freshAddress() });
        return tokenOf(linkIn(await resetMailFor(email, at), 'reset'));
      };
      const token = await ask();
      assert.equal((await anon().get(`/api/auth/password-reset/${token}`)).body.mfaRequired, true);
      const missing = await anon().post(
        `/api/auth/password-reset/${token}`,
        { newPassword: NEW_PASSWORD },
        { localAddress: freshAddress() },
      );
      assert.equal(missing.status, 401);
      assert.equal(missing.body.code, 'unauthenticated');
      const wrong = await anon().post(
        `/api/auth/password-reset/${token}`,
        { newPassword: NEW_PASSWORD, code: '000000' },
        { localAddress: freshAddress() },
      );
      assert.equal(wrong.status, 401);
      assert.equal((await anon().get(`/api/auth/password-reset/${token}`)).status, 200, 'a wrong factor leaves the link usable');
      const right = await anon().post(
        `/api/auth/password-reset/${token}`,
        { newPassword: NEW_PASSWORD, code: clock.nextCode(secret) },
        { localAddress: freshAddress() },
      );
      assert.equal(right.status, 204, right.text);

      const doomed = await ask();
      for (let i = 0; i < 5; i++) {
        const r = await anon().post(
          `/api/auth/password-reset/${doomed}`,
          { newPassword: NEW_PASSWORD, code: `00000${i}` },
          { localAddress: freshAddress() },
        );
        assert.equal(r.status, 401);
      }
      assert.equal((await anon().get(`/api/auth/password-reset/${doomed}`)).status, 404, 'five failures kill the link');
      const late = await anon().post(
        `/api/auth/password-reset/${doomed}`,
        { newPassword: NEW_PASSWORD, code: clock.nextCode(secret) },
        { localAddress: freshAddress() },
      );
      assert.equal(late.status, 404);
      assert.equal(await count(server, "audit_events WHERE type = 'password.reset_factor_failure' AND user_id = $1", [m.id]), 7);
    });
  });
}
