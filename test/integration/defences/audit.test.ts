import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../support/app.js';
import { PASSWORD, TestClient } from '../../support/client.js';
import { signedInAdmin } from './helpers.js';

/**
 * The audit trail (S-46, S-69, S-70): each security action leaves exactly one row and one structured
 * log line, with time, account, actor, truncated address and device; never a password, token or CSRF
 * token. Admins page through all of it.
 */
describe('audit trail', () => {
  let server: TestServer;
  const logLines: string[] = [];
  before(async () => {
    server = await startTestServer({ logLines, env: { LOGIN_MAX_FAILURES: '2', LOGIN_LOCKOUT_BASE: '1s' } });
  });
  after(() => server.close());

  test("every action of a session's life is recorded once, in the table and in the log, without secrets", async () => {
    const c = new TestClient(server.url);
    const canary = `Canary-${crypto.randomUUID()}`;
    const user = await c.register(undefined, canary);
    const other = new TestClient(server.url);
    await other.login(user.username, canary);
    const third = new TestClient(server.url);
    await third.login(user.username, canary);
    const tokens = [c.token!, c.csrfToken!, other.token!, other.csrfToken!];

    assert.equal((await c.post('/api/auth/reauthenticate', { password: 'wrong one' })).status, 400);
    assert.equal((await c.post('/api/auth/reauthenticate', { password: canary })).status, 200);
    tokens.push(c.token!, c.csrfToken!);
    const sessions = (await c.get('/api/sessions')).body.sessions as { id: string; current: boolean }[];
    const mine = sessions.filter((s) => !s.current);
    assert.equal((await c.delete(`/api/sessions/${mine[0]!.id}`)).status, 204);
    assert.equal((await c.post('/api/sessions/revoke-others')).status, 200);
    assert.equal((await c.post('/api/auth/password', { currentPassword: canary, newPassword: PASSWORD })).status, 200);
    tokens.push(c.token!, c.csrfToken!);
    assert.equal((await c.get('/api/admin/users')).status, 403, 'a merchant on an admin route');
    assert.equal((await c.post('/api/auth/logout', undefined, { headers: { origin: 'https://evil.example' } })).status, 403, 'csrf');
    assert.equal((await c.post('/api/auth/logout')).status, 204);
    for (let i = 0; i < 2; i++) await new TestClient(server.url).login(user.username, 'guessing wrong');

    const admin = await signedInAdmin(server);
    await admin.client.post(`/api/admin/users/${user.id}/revoke-sessions`);
    await admin.client.patch(`/api/admin/users/${user.id}`, { disabled: true });

    const res = await admin.client.get(`/api/admin/audit?userId=${user.id}&limit=100`);
    assert.equal(res.status, 200);
    const events = (
      res.body.events as { type: string; actorId: string | null; ip: string; userAgent: string; details: object }[]
    ).reverse();
    assert.deepEqual(
      events.map((e) => e.type),
      [
        'account.created',
        'login.success',
        'login.success',
        'reauth.failure',
        'reauth.success',
        'session.revoked',
        'sessions.revoked_others',
        'password.changed',
        'authz.denied',
        'csrf.failure',
        'logout',
        'login.failure',
        'login.failure',
        'login.lockout',
        'session.revoked',
        'admin.user_disabled',
      ],
    );
    for (const e of events) {
      assert.equal(e.ip, '127.0.0.0/24');
      assert.equal(e.userAgent, 'Node.js');
    }
    assert.equal(events.at(-1)!.actorId, admin.id, 'admin actions name the admin');
    assert.equal(events.at(-2)!.actorId, admin.id);
    assert.equal(events[0]!.actorId, null);

    // One log line per event, naming it; nothing secret in the whole log.
    const logged = logLines.map((l) => JSON.parse(l) as { event?: string; userId?: string });
    const forUser = logged.filter((l) => l.event && l.userId === user.id).map((l) => l.event);
    assert.deepEqual(
      forUser,
      events.map((e) => e.type),
    );
    const all = logLines.join('\n');
    for (const secret of [canary, PASSWORD, ...tokens]) assert.ok(!all.includes(secret), 'a secret reached the log');
    assert.ok(!/set-cookie|"cookie"/i.test(all));
  });

  test('the admin audit view pages newest first and filters by type', async () => {
    const admin = await signedInAdmin(server);
    const first = await admin.client.get('/api/admin/audit?limit=3');
    assert.equal(first.status, 200);
    assert.equal(first.body.events.length, 3);
    const second = await admin.client.get(`/api/admin/audit?limit=3&cursor=${first.body.nextCursor}`);
    const ids = [...first.body.events, ...second.body.events].map((e: { id: string }) => Number(e.id));
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
    );
    assert.equal(new Set(ids).size, ids.length);
    const failures = await admin.client.get('/api/admin/audit?type=login.failure');
    assert.ok(failures.body.events.length >= 2);
    assert.ok(failures.body.events.every((e: { type: string }) => e.type === 'login.failure'));
    assert.equal((await admin.client.get('/api/admin/audit?userId=nope')).status, 400);
  });
});
