import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { purgeOnce } from '../../../src/jobs/purge.js';
import { type TestServer, startTestServer } from '../../support/app.js';
import { PASSWORD, parseSetCookie, TestClient } from '../../support/client.js';
import { count } from '../defences/helpers.js';
import { enrolledMerchant, passwordStep, secondStep, TestClock } from './helpers.js';

/**
 * TOTP and recovery codes over HTTP (docs/api.md "Second factor", S-79, S-81) on both databases:
 * enrolment, the two-step sign-in and its pending cookie, step-up, turning it off.
 */
for (const database of ['pglite', 'postgres'] as const) {
  describe(`second factor on ${database}`, () => {
    let server: TestServer;
    const clock = new TestClock();
    before(async () => {
      server = await startTestServer({ database, clock: clock.now });
    });
    after(() => server.close());

    test('enrol: fresh authentication, a pending key, confirmed by a code; recovery codes once', async () => {
      const m = await enrolledMerchant(server, clock);
      const status = await m.client.get('/api/me/mfa');
      assert.equal(status.body.totp.enabled, true);
      assert.equal(status.body.recoveryCodes.remaining, 10);
      assert.deepEqual(status.body.passkeys, []);
      // Already on: enrolling again is refused until it is turned off.
      assert.equal((await m.client.post('/api/me/mfa/totp')).status, 409);
      // The QR code is an SVG document (inlined by the web app; no image URL under the strict CSP).
      const fresh = new TestClient(server.url);
      await fresh.register();
      const begun = await fresh.post('/api/me/mfa/totp');
      assert.match(begun.body.qrSvg, /^<svg[\s\S]*<\/svg>\s*$/);
      assert.match(begun.body.otpauthUri, /^otpauth:\/\/totp\/Stockade:.*secret=[A-Z2-7]+/);
      assert.equal((await fresh.get('/api/me/mfa')).body.totp.enabled, false, 'pending until confirmed');
      const wrong = await fresh.post('/api/me/mfa/totp/confirm', { code: '000000' });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.errors[0].path, 'code');
      const audit = await server.db.query<{ type: string }>('SELECT type FROM audit_events WHERE user_id = $1 ORDER BY id', [m.id]);
      assert.deepEqual(
        audit.rows.map((r) => r.type).filter((t) => t.startsWith('mfa.')),
        ['mfa.totp_enrolled', 'mfa.totp_confirmed'],
      );
    });

    test('sign-in: the password yields only a pending cookie; the code yields a session with a fresh token', async () => {
      const m = await enrolledMerchant(server, clock);
      const { client, cookie, res } = await passwordStep(server, m.username, { remember: true });
      assert.equal(client.token, undefined, 'no session cookie after the password step');
      const line = res.setCookies.find((l) => l.startsWith('__Host-mfa='))!;
      const { attrs, value } = parseSetCookie(line);
      assert.equal(attrs.httponly, true);
      assert.equal(attrs.secure, true);
      assert.equal(attrs.samesite, 'Strict');
      assert.equal(attrs.path, '/');
      assert.equal(attrs['max-age'], '300');
      assert.equal(attrs.domain, undefined);
      // Only its hash is stored.
      assert.equal(await count(server, 'pending_sign_ins WHERE token_hash = $1', [createHash('sha256').update(value).digest()]), 1);
      assert.equal(await count(server, 'pending_sign_ins WHERE token_hash = $1', [Buffer.from(value)]), 0);

      assert.equal((await secondStep(client, cookie, { code: '123456' })).status, 401, 'a wrong code');
      const done = await secondStep(client, cookie, { code: clock.nextCode(m.secret) });
      assert.equal(done.status, 200, done.text);
      assert.equal(done.body.user.username, m.username);
      assert.ok(client.token, 'a session cookie');
      assert.ok(
        done.setCookies.some((l) => /^__Host-mfa=;/.test(l) && /max-age=0/i.test(l)),
        'the pending cookie is cleared',
      );
      const sid = parseSetCookie(done.setCookies.find((l) => l.startsWith('__Host-sid='))!);
      assert.ok(Number(sid.attrs['max-age']) > 86400, 'remember me, from the password step, carried over');
      assert.equal((await client.get('/api/auth/session')).status, 200);
      assert.equal((await secondStep(client, cookie, { code: clock.nextCode(m.secret) })).status, 401, 'the pending sign-in is used up');
    });

    test('a code works once: the confirming code, and a code already used to sign in, are refused', async () => {
      const m = await enrolledMerchant(server, clock);
      const a = await passwordStep(server, m.username);
      assert.equal((await secondStep(a.client, a.cookie, { code: m.confirmingCode })).status, 401, 'confirming code');
      const code = clock.nextCode(m.secret);
      assert.equal((await secondStep(a.client, a.cookie, { code })).status, 200);
      const b = await passwordStep(server, m.username);
      assert.equal((await secondStep(b.client, b.cookie, { code })).status, 401, 'replayed');
    });

    test('a recovery code signs in once; how many remain is audited', async () => {
      const m = await enrolledMerchant(server, clock);
      const a = await passwordStep(server, m.username);
      const code = m.recoveryCodes[3]!;
      const done = await secondStep(a.client, a.cookie, { recoveryCode: code.toUpperCase() });
      assert.equal(done.status, 200, done.text);
      const b = await passwordStep(server, m.username);
      assert.equal((await secondStep(b.client, b.cookie, { recoveryCode: code })).status, 401, 'used up');
      assert.equal((await m.client.get('/api/me/mfa')).body.recoveryCodes.remaining, 9);
      const used = await server.db.query<{ details: { remaining: number } }>(
        `SELECT details FROM audit_events WHERE user_id = $1 AND type = 'mfa.recovery_code_used'`,
        [m.id],
      );
      assert.deepEqual(
        used.rows.map((r) => (typeof r.details === 'string' ? JSON.parse(r.details) : r.details).remaining),
        [9],
      );
      // Stored hashed: no code appears in clear.
      const stored = await server.db.query<{ code_hash: Buffer }>('SELECT code_hash FROM recovery_codes WHERE user_id = $1', [m.id]);
      for (const r of stored.rows) for (const c of m.recoveryCodes) assert.equal(r.code_hash.includes(Buffer.from(c)), false);
    });

    test('the second step is bound to its sign-in: a password changed meanwhile, or 5 minutes, and it is gone', async () => {
      const m = await enrolledMerchant(server, clock);
      const a = await passwordStep(server, m.username);
      const changed = await m.client.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: `${PASSWORD} and more` });
      assert.equal(changed.status, 200, changed.text);
      assert.equal((await secondStep(a.client, a.cookie, { code: clock.nextCode(m.secret) })).status, 401, 'password changed since');
      assert.equal(a.client.token, undefined);
      assert.equal((await new TestClient(server.url).login(m.username)).status, 401, 'the old password no longer works');
      const d = new TestClient(server.url);
      const res = await d.login(m.username, `${PASSWORD} and more`);
      const cookie = res.setCookies.find((l) => l.startsWith('__Host-mfa='))!.split(';')[0]!;
      clock.offset += 301_000;
      assert.equal((await secondStep(d, cookie, { code: clock.nextCode(m.secret) })).status, 401, 'expired after 5 minutes');
      // Expired ones are purged with the rest of the expired data.
      const purged = await purgeOnce(server.deps, { auditRetention: server.config.auditRetention, clock: clock.now });
      assert.ok(purged.pendingSignIns >= 1, `purged ${purged.pendingSignIns}`);
      assert.equal(await count(server, 'pending_sign_ins WHERE user_id = $1', [m.id]), 0);
    });

    test('step-up with a second factor needs the password and a code (or a recovery code)', async () => {
      const m = await enrolledMerchant(server, clock);
      const passwordOnly = await m.client.post('/api/auth/reauthenticate', { password: PASSWORD });
      assert.equal(passwordOnly.status, 400);
      assert.equal(passwordOnly.body.errors[0].path, 'code');
      const wrong = await m.client.post('/api/auth/reauthenticate', { password: PASSWORD, code: '000000' });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.errors[0].path, 'code');
      const badPassword = await m.client.post('/api/auth/reauthenticate', { password: 'nope nope nope', recoveryCode: m.recoveryCodes[0] });
      assert.equal(badPassword.status, 400);
      assert.equal(badPassword.body.errors[0].path, 'password');
      assert.equal((await m.client.get('/api/me/mfa')).body.recoveryCodes.remaining, 10, 'no recovery code spent on a wrong password');
      const before = m.client.token;
      const ok = await m.client.post('/api/auth/reauthenticate', { password: PASSWORD, code: clock.nextCode(m.secret) });
      assert.equal(ok.status, 200, ok.text);
      assert.notEqual(m.client.token, before);
      const withRecovery = await m.client.post('/api/auth/reauthenticate', { password: PASSWORD, recoveryCode: m.recoveryCodes[0] });
      assert.equal(withRecovery.status, 200, withRecovery.text);
    });

    test('new recovery codes replace the old; turning TOTP off ends the other sessions and the second step', async () => {
      const m = await enrolledMerchant(server, clock);
      const regenerated = await m.client.post('/api/me/mfa/recovery-codes');
      assert.equal(regenerated.status, 200);
      assert.equal(regenerated.body.recoveryCodes.length, 10);
      const a = await passwordStep(server, m.username);
      assert.equal((await secondStep(a.client, a.cookie, { recoveryCode: m.recoveryCodes[0] })).status, 401, 'old codes die');
      assert.equal((await secondStep(a.client, a.cookie, { recoveryCode: regenerated.body.recoveryCodes[0] })).status, 200);
      assert.equal((await a.client.get('/api/auth/session')).status, 200);

      assert.equal((await m.client.delete('/api/me/mfa/totp')).status, 204);
      assert.equal((await a.client.get('/api/auth/session')).status, 401, 'the other session ended');
      assert.equal((await m.client.get('/api/auth/session')).status, 200, 'this one stays');
      assert.deepEqual((await m.client.get('/api/me/mfa')).body.recoveryCodes, { remaining: 0 }, 'codes go with the last factor');
      const plain = new TestClient(server.url);
      const res = await plain.login(m.username);
      assert.equal(res.status, 200);
      assert.ok(res.body.session, 'signed in with the password alone');
      assert.equal((await m.client.delete('/api/me/mfa/totp')).status, 404);
    });

    test('admin reset: fresh authentication, factors gone, sessions ended, audited', async () => {
      const m = await enrolledMerchant(server, clock);
      const { signedInAdmin } = await import('../defences/helpers.js');
      const admin = await signedInAdmin(server);
      const res = await admin.client.post(`/api/admin/users/${m.id}/reset-mfa`);
      assert.equal(res.status, 204, res.text);
      assert.equal((await m.client.get('/api/auth/session')).status, 401);
      assert.equal(await count(server, 'totp_factors WHERE user_id = $1', [m.id]), 0);
      assert.equal(await count(server, 'recovery_codes WHERE user_id = $1', [m.id]), 0);
      const signIn = await new TestClient(server.url).login(m.username);
      assert.ok(signIn.body.session, 'the password alone signs in again');
      const audit = await server.db.query<{ actor_id: string }>(
        `SELECT actor_id FROM audit_events WHERE user_id = $1 AND type = 'mfa.reset'`,
        [m.id],
      );
      assert.deepEqual(
        audit.rows.map((r) => r.actor_id),
        [admin.id],
      );
      assert.equal((await admin.client.post('/api/admin/users/00000000-0000-4000-8000-000000000000/reset-mfa')).status, 404);
      assert.equal((await m.client.post(`/api/admin/users/${m.id}/reset-mfa`)).status, 401);
    });
  });
}
