import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, startTestServer } from '../../support/app.js';
import { TestClient } from '../../support/client.js';
import { SoftAuthenticator } from '../../support/soft-authenticator.js';
import { count, normalised, signedInAdmin } from '../defences/helpers.js';
import { enrolledMerchant, secondStep, TestClock } from './helpers.js';
import { PASSKEY_ENV, PASSKEY_ORIGIN, passkeyMerchant, passkeyPasswordStep, passwordlessOptions } from './passkey-helpers.js';

/**
 * Passkeys over HTTP with a software authenticator (docs/api.md "Second factor", docs/security.md S-80),
 * on both databases: registration and the list, the second step, step-up, passwordless sign-in, and
 * every rule an assertion must pass — its challenge once, within 5 minutes, for its own ceremony; the
 * origin and RP ID of PUBLIC_URL; the sign counter only forward; the user's own credential; user
 * verification where the passkey is both factors. Run once per database (passkeys-pglite.test.ts,
 * passkeys-postgres.test.ts: one file each keeps each within the runner's per-file limit on a loaded machine).
 */
export function passkeySuite(database: 'pglite' | 'postgres') {
  describe(`passkeys on ${database}`, () => {
    let server: TestServer;
    const clock = new TestClock();
    before(async () => {
      server = await startTestServer({ database, clock: clock.now, env: PASSKEY_ENV });
    });
    after(() => server.close());

    test('register: options need a fresh authentication; the first passkey brings recovery codes, a second does not; listed, renamed', async () => {
      const m = await passkeyMerchant(server);
      const options = await m.client.post('/api/me/passkeys/options');
      assert.equal(options.body.rp.id, 'stockade.test', 'the RP ID is PUBLIC_URL’s host name');
      assert.equal(options.body.authenticatorSelection.residentKey, 'required');
      assert.equal(options.body.excludeCredentials.length, 1, 'the passkey already held is excluded');
      const second = await m.client.post('/api/me/passkeys', { response: m.authenticator.create(options.body).response });
      assert.equal(second.status, 201, second.text);
      assert.equal(second.body.recoveryCodes, undefined, 'codes only with the first second factor');
      assert.equal(second.body.passkey.name, 'Passkey', 'a default name');
      const status = await m.client.get('/api/me/mfa');
      assert.deepEqual(
        status.body.passkeys.map((p: { name: string }) => p.name),
        ['Laptop', 'Passkey'],
      );
      assert.equal(status.body.recoveryCodes.remaining, 10);
      const renamed = await m.client.patch(`/api/me/passkeys/${second.body.passkey.id}`, { name: 'Phone' });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal(renamed.body.passkey.name, 'Phone');
      assert.equal((await m.client.patch('/api/me/passkeys/not-a-uuid', { name: 'x' })).status, 404);
      // Another user cannot rename or delete it.
      const other = new TestClient(server.url);
      await other.register();
      assert.equal((await other.patch(`/api/me/passkeys/${second.body.passkey.id}`, { name: 'Mine' })).status, 404);
      assert.equal((await other.delete(`/api/me/passkeys/${second.body.passkey.id}`)).status, 404);
      // The password step now names the passkey.
      const login = await new TestClient(server.url).login(m.username);
      assert.deepEqual(login.body, { mfaRequired: true, methods: ['passkey', 'recoveryCode'] });
    });

    test('a credential id is unique across users: the same authenticator for a second account is refused', async () => {
      const m = await passkeyMerchant(server);
      const other = new TestClient(server.url);
      await other.register();
      const options = await other.post('/api/me/passkeys/options');
      const again = await other.post('/api/me/passkeys', {
        response: m.authenticator.attest(m.authenticator.credentials[0]!, options.body),
      });
      assert.equal(again.status, 409, again.text);
      assert.equal(await count(server, 'passkeys WHERE credential_id = $1', [m.authenticator.credentials[0]!.id]), 1);
    });

    test('registration: a replayed, expired or foreign challenge, a wrong origin or RP ID are refused (400 on response)', async () => {
      const m = await passkeyMerchant(server);
      const a = m.authenticator;
      // Replay: the same response again (its challenge is used).
      const options = await m.client.post('/api/me/passkeys/options');
      const { response } = a.create(options.body);
      assert.equal((await m.client.post('/api/me/passkeys', { response })).status, 201);
      const replay = await m.client.post('/api/me/passkeys', { response: a.create(options.body).response });
      assert.equal(replay.status, 400, replay.text);
      assert.equal(replay.body.errors[0].path, 'response');
      // Another session's challenge.
      const elsewhere = new TestClient(server.url);
      await elsewhere.register();
      const theirs = await elsewhere.post('/api/me/passkeys/options');
      const foreign = await m.client.post('/api/me/passkeys', { response: a.create(theirs.body).response });
      assert.equal(foreign.status, 400, foreign.text);
      // Wrong origin, wrong RP ID.
      for (const c of [{ origin: 'https://evil.test' }, { rpId: 'evil.test' }]) {
        const o = await m.client.post('/api/me/passkeys/options');
        const res = await m.client.post('/api/me/passkeys', { response: a.create(o.body, c).response });
        assert.equal(res.status, 400, `${JSON.stringify(c)}: ${res.text}`);
      }
      // Expired: issued, then more than 5 minutes pass.
      const o = await m.client.post('/api/me/passkeys/options');
      clock.offset += 301_000;
      const expired = await m.client.post('/api/me/passkeys', { response: a.create(o.body).response });
      assert.equal(expired.status, 400, expired.text);
      assert.equal((await m.client.get('/api/me/mfa')).body.passkeys.length, 2, 'only the two that verified');
    });

    test('second step: a passkey finishes the sign-in; replayed, expired, wrong origin, wrong RP ID and passwordless challenges are refused', async () => {
      const m = await passkeyMerchant(server);
      const a = m.authenticator;
      const step = await passkeyPasswordStep(server, m.username);
      assert.deepEqual(
        step.options.allowCredentials.map((c: { id: string }) => c.id),
        [a.credentials[0]!.id.toString('base64url')],
      );
      for (const c of [{ origin: 'https://evil.test' }, { rpId: 'evil.test' }]) {
        const s = await passkeyPasswordStep(server, m.username);
        const res = await secondStep(s.client, s.cookie, { passkey: a.get(s.options, c) });
        assert.equal(res.status, 401, `${JSON.stringify(c)}: ${res.text}`);
      }
      // A passwordless challenge is no good at a second step.
      const foreign = await secondStep(step.client, step.cookie, { passkey: a.get(await passwordlessOptions(server)) });
      assert.equal(foreign.status, 401);
      // Expired.
      const late = await passkeyPasswordStep(server, m.username);
      const lateAssertion = a.get(late.options);
      clock.offset += 301_000;
      const fresh = await passkeyPasswordStep(server, m.username);
      assert.equal((await secondStep(fresh.client, fresh.cookie, { passkey: lateAssertion })).status, 401, 'expired');
      // The right one.
      const assertion = a.get(fresh.options);
      const done = await secondStep(fresh.client, fresh.cookie, { passkey: assertion });
      assert.equal(done.status, 200, done.text);
      assert.equal(done.body.user.username, m.username);
      // Replayed on another pending sign-in (its own challenge differs; this one is used).
      const again = await passkeyPasswordStep(server, m.username);
      assert.equal((await secondStep(again.client, again.cookie, { passkey: assertion })).status, 401, 'replayed');
      const audit = await server.db.query<{ details: { secondFactor?: string } }>(
        `SELECT details FROM audit_events WHERE user_id = $1 AND type = 'login.success' ORDER BY id DESC LIMIT 1`,
        [m.id],
      );
      assert.equal(audit.rows[0]?.details.secondFactor, 'passkey');
      assert.ok((await m.client.get('/api/me/mfa')).body.passkeys[0].lastUsedAt, 'last use recorded');
    });

    test('a credential of another user is refused at the second step and at step-up', async () => {
      const m = await passkeyMerchant(server);
      const thief = await passkeyMerchant(server);
      const step = await passkeyPasswordStep(server, m.username);
      const res = await secondStep(step.client, step.cookie, { passkey: thief.authenticator.get(step.options) });
      assert.equal(res.status, 401, res.text);
      const options = await m.client.post('/api/auth/reauthenticate/options');
      assert.equal(options.status, 200, options.text);
      const stepUp = await m.client.post('/api/auth/reauthenticate', { passkey: thief.authenticator.get(options.body) });
      assert.equal(stepUp.status, 400, stepUp.text);
      assert.equal(stepUp.body.errors[0].path, 'passkey');
    });

    test('sign counter: a regression is refused and audited; the same counter again too', async () => {
      const m = await passkeyMerchant(server);
      const a = m.authenticator;
      const first = await passkeyPasswordStep(server, m.username);
      assert.equal((await secondStep(first.client, first.cookie, { passkey: a.get(first.options, { counter: 7 }) })).status, 200);
      for (const counter of [3, 7]) {
        const s = await passkeyPasswordStep(server, m.username);
        const res = await secondStep(s.client, s.cookie, { passkey: a.get(s.options, { counter }) });
        assert.equal(res.status, 401, `counter ${counter}: ${res.text}`);
      }
      const audited = await server.db.query<{ details: { passkeyId: string } }>(
        `SELECT details FROM audit_events WHERE user_id = $1 AND type = 'passkey.counter_regression'`,
        [m.id],
      );
      assert.equal(audited.rows.length, 2);
      assert.equal(audited.rows[0]?.details.passkeyId, m.passkeyId);
      assert.equal(
        Number((await server.db.query<{ counter: string }>('SELECT counter FROM passkeys WHERE id = $1', [m.passkeyId])).rows[0]?.counter),
        7,
      );
      const onward = await passkeyPasswordStep(server, m.username);
      assert.equal((await secondStep(onward.client, onward.cookie, { passkey: a.get(onward.options, { counter: 8 }) })).status, 200);
    });

    test('step-up with a user-verified passkey alone; without user verification it is refused', async () => {
      const m = await passkeyMerchant(server);
      const options = await m.client.post('/api/auth/reauthenticate/options');
      assert.equal(options.body.userVerification, 'required');
      const noUv = await m.client.post('/api/auth/reauthenticate', { passkey: m.authenticator.get(options.body, { uv: false }) });
      assert.equal(noUv.status, 400, noUv.text);
      const again = await m.client.post('/api/auth/reauthenticate/options');
      const ok = await m.client.post('/api/auth/reauthenticate', { passkey: m.authenticator.get(again.body) });
      assert.equal(ok.status, 200, ok.text);
      // Another session's step-up challenge is no good here.
      const tab = m.client.clone();
      const theirs = await (await passkeyMerchant(server)).client.post('/api/auth/reauthenticate/options');
      assert.equal(
        (
          await tab.post('/api/auth/reauthenticate', {
            passkey: m.authenticator.get(theirs.body, { credential: m.authenticator.credentials[0] }),
          })
        ).status,
        400,
      );
      // A TOTP user without a passkey: no options.
      const t = await enrolledMerchant(server, clock);
      assert.equal((await t.client.post('/api/auth/reauthenticate/options')).status, 409);
    });

    test('passwordless: a user-verified discoverable credential signs in; no UV, unknown credential, disabled user: the one 401', async () => {
      const m = await passkeyMerchant(server);
      const a = m.authenticator;
      const options = await passwordlessOptions(server);
      assert.equal(options.userVerification, 'required');
      assert.equal(options.allowCredentials, undefined, 'any discoverable credential');
      const client = new TestClient(server.url);
      const noUv = await client.post('/api/auth/passkey', { response: a.get(options, { uv: false }) });
      assert.equal(noUv.status, 401, noUv.text);
      const stranger = new SoftAuthenticator(PASSKEY_ORIGIN);
      stranger.create({ challenge: 'AAAA', rp: {}, user: { id: 'AAAAAAAAAAAAAAAAAAAAAA' } });
      const unknown = await client.post('/api/auth/passkey', { response: stranger.get(await passwordlessOptions(server)) });
      assert.equal(unknown.status, 401);
      assert.deepEqual(normalised(unknown), normalised(noUv), 'the same refusal');
      const ok = await client.post('/api/auth/passkey', { response: a.get(await passwordlessOptions(server)) });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.user.id, m.id);
      assert.equal((await client.get('/api/auth/session')).status, 200);
      // Disabled: the same 401.
      const admin = await signedInAdmin(server);
      assert.equal((await admin.client.patch(`/api/admin/users/${m.id}`, { disabled: true })).status, 200);
      const disabled = await new TestClient(server.url).post('/api/auth/passkey', { response: a.get(await passwordlessOptions(server)) });
      assert.equal(disabled.status, 401);
      assert.deepEqual(normalised(disabled), normalised(noUv));
    });

    test('passwordless attempts count on the sign-in throttle like password guesses', async () => {
      const limited = await startTestServer({ database, env: { ...PASSKEY_ENV, LOGIN_MAX_FAILURES: '3' } });
      try {
        const m = await passkeyMerchant(limited);
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++) {
          const options = (await new TestClient(limited.url).post('/api/auth/passkey/options')).body;
          statuses.push(
            (await new TestClient(limited.url).post('/api/auth/passkey', { response: m.authenticator.get(options, { uv: false }) })).status,
          );
        }
        assert.deepEqual(statuses, [401, 401, 429, 429]);
        const options = (await new TestClient(limited.url).post('/api/auth/passkey/options')).body;
        const locked = await new TestClient(limited.url).post('/api/auth/passkey', { response: m.authenticator.get(options) });
        assert.equal(locked.status, 429, 'the right passkey after the limit is refused like the right password');
      } finally {
        await limited.close();
      }
    });

    test('password reset: options under the link; its passkey completes the reset, another challenge does not', async () => {
      const m = await passkeyMerchant(server);
      const admin = await signedInAdmin(server);
      const issue = async () => {
        const res = await admin.client.post(`/api/admin/users/${m.id}/password-reset`, {});
        assert.equal(res.status, 201, res.text);
        return String(res.body.link).split('/').pop() as string;
      };
      const token = await issue();
      const anonymous = new TestClient(server.url);
      const peek = await anonymous.get(`/api/auth/password-reset/${token}`);
      assert.deepEqual(peek.body, { username: m.username, mfaRequired: true });
      const newPassword = 'a new passphrase for the passkey reset';
      assert.equal((await anonymous.post(`/api/auth/password-reset/${token}`, { newPassword })).status, 401, 'the factor is needed');
      // A passwordless challenge, or wrong origin, is no good here.
      const foreign = m.authenticator.get(await passwordlessOptions(server));
      assert.equal((await anonymous.post(`/api/auth/password-reset/${token}`, { newPassword, passkey: foreign })).status, 401);
      const options = await anonymous.post(`/api/auth/password-reset/${token}/options`);
      assert.equal(options.status, 200, options.text);
      const wrongOrigin = m.authenticator.get(options.body, { origin: 'https://evil.test' });
      assert.equal((await anonymous.post(`/api/auth/password-reset/${token}`, { newPassword, passkey: wrongOrigin })).status, 401);
      const fresh = await anonymous.post(`/api/auth/password-reset/${token}/options`);
      const done = await anonymous.post(`/api/auth/password-reset/${token}`, { newPassword, passkey: m.authenticator.get(fresh.body) });
      assert.equal(done.status, 204, done.text);
      assert.equal(
        (await new TestClient(server.url).login(m.username, newPassword)).body.mfaRequired,
        true,
        'the new password, then the factor',
      );
      assert.equal((await anonymous.post(`/api/auth/password-reset/${token}/options`)).status, 404, 'the link is used up');
      // A TOTP-only account: no passkey options under its link.
      const t = await enrolledMerchant(server, clock);
      const tLink = await admin.client.post(`/api/admin/users/${t.id}/password-reset`, {});
      const tToken = String(tLink.body.link).split('/').pop() as string;
      assert.equal((await anonymous.post(`/api/auth/password-reset/${tToken}/options`)).status, 409);
    });

    test('delete: needs a fresh authentication; the last factor ends the other sessions and takes the codes; admin reset removes passkeys', async () => {
      const m = await passkeyMerchant(server);
      const other = new TestClient(server.url);
      assert.equal(
        (await other.post('/api/auth/passkey', { response: m.authenticator.get(await passwordlessOptions(server)) })).status,
        200,
      );
      const del = await m.client.delete(`/api/me/passkeys/${m.passkeyId}`);
      assert.equal(del.status, 204, del.text);
      assert.equal((await other.get('/api/auth/session')).status, 401, 'the other session ended');
      assert.equal((await m.client.get('/api/auth/session')).status, 200, 'this one stays');
      const status = (await m.client.get('/api/me/mfa')).body;
      assert.deepEqual(status.passkeys, []);
      assert.deepEqual(status.recoveryCodes, { remaining: 0 });
      assert.equal((await m.client.delete(`/api/me/passkeys/${m.passkeyId}`)).status, 404);
      const audited = await server.db.query<{ details: { lastFactor: boolean } }>(
        `SELECT details FROM audit_events WHERE user_id = $1 AND type = 'passkey.removed'`,
        [m.id],
      );
      assert.equal(audited.rows[0]?.details.lastFactor, true);

      const r = await passkeyMerchant(server);
      const admin = await signedInAdmin(server);
      assert.equal((await admin.client.post(`/api/admin/users/${r.id}/reset-mfa`)).status, 204);
      assert.equal(await count(server, 'passkeys WHERE user_id = $1', [r.id]), 0);
      const signIn = await new TestClient(server.url).login(r.username);
      assert.ok(signIn.body.session, 'the password alone signs in after the reset');
    });
  });
}
