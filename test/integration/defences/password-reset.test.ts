import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { PASSWORD, TestClient } from '../../support/client.js';
import { count, signedInAdmin, signedInMerchant } from './helpers.js';

/**
 * Password-reset links issued by an administrator (docs/api.md "E-mail and account recovery"; the
 * leaked-password playbook in docs/operations.md): the account never opens with the leaked password,
 * the link works once (also under a race), never from a GET, and is never written to a log.
 */
const NEW_PASSWORD = 'a different horse, battery and staple';

for (const database of ['pglite', 'postgres'] as const) {
  describe(`password-reset links on ${database}`, () => {
    let server: TestServer;
    const logLines: string[] = [];
    before(async () => {
      server = await startTestServer({ database, logLines, env: { PUBLIC_URL: 'https://shop.example' } });
    });
    after(() => server.close());
    const client = () => new TestClient(server.url);
    const tokenOf = (link: string) => link.slice(link.lastIndexOf('/') + 1);

    test('the leaked-password playbook: the old password and its sessions die before anyone gets back in', async () => {
      const admin = await signedInAdmin(server);
      const victim = await signedInMerchant(server);
      const attacker = client();
      assert.equal((await attacker.login(victim.username)).status, 200, 'the attacker signs in with the leaked password');

      const issued = await admin.client.post(
        `/api/admin/users/${victim.id}/password-reset`,
        { invalidatePassword: true },
        {
          headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' },
        },
      );
      assert.equal(issued.status, 201, issued.text);
      assert.match(issued.body.link, /^https:\/\/shop\.example\/#\/reset\/[A-Za-z0-9_-]{43}$/, 'built from PUBLIC_URL, never from Host');
      assert.ok(Date.parse(issued.body.expiresAt) > Date.now());
      const token = tokenOf(issued.body.link);

      assert.equal((await attacker.get('/api/items')).status, 401, "the attacker's session is gone");
      assert.equal((await victim.client.get('/api/items')).status, 401);
      const leaked = await client().login(victim.username);
      assert.equal(leaked.status, 401, 'the leaked password no longer opens the account');
      assert.equal(leaked.body.code, 'unauthenticated');

      // Opening the link (a mail scanner would) consumes nothing.
      for (let i = 0; i < 3; i++)
        assert.deepEqual((await client().get(`/api/auth/password-reset/${token}`)).body, { username: victim.username, mfaRequired: false });

      const weak = await client().post(`/api/auth/password-reset/${token}`, { newPassword: 'password' });
      assert.equal(weak.status, 400);
      assert.equal(weak.body.errors[0].path, 'newPassword');
      assert.equal((await client().get(`/api/auth/password-reset/${token}`)).status, 200, 'a weak password leaves the link usable');

      const set = await client().post(`/api/auth/password-reset/${token}`, { newPassword: NEW_PASSWORD });
      assert.equal(set.status, 204, set.text);
      assert.equal((await client().login(victim.username)).status, 401, 'the leaked password still fails');
      assert.equal((await client().login(victim.username, NEW_PASSWORD)).status, 200);
      const reused = await client().post(`/api/auth/password-reset/${token}`, { newPassword: `${NEW_PASSWORD}!` });
      assert.equal(reused.status, 404);
      assert.equal(reused.body.code, 'not_found');
      assert.equal((await client().get(`/api/auth/password-reset/${token}`)).status, 404);

      assert.equal(await count(server, "audit_events WHERE type = 'password.reset_issued' AND user_id = $1", [victim.id]), 1);
      assert.equal(await count(server, "audit_events WHERE type = 'password.reset' AND user_id = $1", [victim.id]), 1);
      const leakedLines = logLines.filter((l) => l.includes(token));
      assert.deepEqual(leakedLines, [], 'the token never reaches a log line');
      assert.ok(
        logLines.some((l) => l.includes('/api/auth/password-reset/:token')),
        'requests are logged by route pattern',
      );
    });

    test('racing uses of one link: exactly one sets the password', async () => {
      const admin = await signedInAdmin(server);
      const m = await signedInMerchant(server);
      const issued = await admin.client.post(`/api/admin/users/${m.id}/password-reset`, {});
      assert.equal(issued.status, 201);
      const token = tokenOf(issued.body.link);
      assert.equal((await m.client.get('/api/items')).status, 200, 'without invalidatePassword the sessions live on');
      const candidates = Array.from({ length: 12 }, (_, i) => `${NEW_PASSWORD} number ${i}`);
      const answers = await Promise.all(
        candidates.map((newPassword) => client().post(`/api/auth/password-reset/${token}`, { newPassword })),
      );
      const won = answers.flatMap((a, i) => (a.status === 204 ? [candidates[i] as string] : []));
      assert.equal(won.length, 1, `statuses: ${answers.map((a) => a.status).join(',')}`);
      assert.ok(answers.every((a) => a.status === 204 || a.status === 404));
      assert.equal((await client().login(m.username, won[0])).status, 200, 'the winner’s password is the one set');
      assert.equal((await m.client.get('/api/items')).status, 401, 'completing a reset ends every session');
    });

    test('a newer link voids older ones, and so does a password change', async () => {
      const admin = await signedInAdmin(server);
      const m = await signedInMerchant(server);
      const first = tokenOf((await admin.client.post(`/api/admin/users/${m.id}/password-reset`, {})).body.link);
      const second = tokenOf((await admin.client.post(`/api/admin/users/${m.id}/password-reset`, {})).body.link);
      assert.equal((await client().get(`/api/auth/password-reset/${first}`)).status, 404);
      assert.equal((await client().get(`/api/auth/password-reset/${second}`)).status, 200);
      const changed = await m.client.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
      assert.equal(changed.status, 200, changed.text);
      assert.equal((await client().get(`/api/auth/password-reset/${second}`)).status, 404);
    });

    test('only a freshly authenticated admin issues links; junk and unknown tokens are one 404', async () => {
      const m = await signedInMerchant(server);
      const other = await signedInMerchant(server);
      assert.equal((await m.client.post(`/api/admin/users/${other.id}/password-reset`, {})).status, 403);
      assert.equal((await client().post(`/api/admin/users/${other.id}/password-reset`, {})).status, 401);
      const admin = await signedInAdmin(server);
      assert.equal((await admin.client.post('/api/admin/users/00000000-0000-4000-8000-000000000000/password-reset', {})).status, 404);
      for (const junk of ['x', 'A'.repeat(43), '%2e%2e']) {
        const res = await client().get(`/api/auth/password-reset/${junk}`);
        assert.equal(res.status, 404, junk);
        assert.equal(res.body.code, 'not_found');
      }
      assert.equal(await count(server, 'users WHERE id = $1 AND password_hash LIKE $2', [other.id, '$argon2%']), 1);
    });
  });
}
