import { Secret } from 'otpauth';
import { codeAt } from '../../../src/auth/second-factor/totp.js';
import { pendingCookie } from '../mfa/helpers.js';
import { SoftAuthenticator } from '../../support/soft-authenticator.js';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ensureAdmin } from '../../../src/auth/bootstrap-admin.js';
import { startTestServer, type TestServer } from '../../support/app.js';
import { operationKeys } from '../../support/operations.js';
import { type ApiResponse, PASSWORD, type RequestOptions, TestClient, uniqueUsername } from '../../support/client.js';

/**
 * The JSON log, at trace level, after driving every route of the API: not one session token, CSRF
 * token, password or metrics token that went over the wire appears in it; every line carries the request
 * id, and lines of signed-in requests carry the user id and the session's public id. Hostile text (CR/LF
 * in a username, ESC in a user agent) cannot make a line that is not one JSON object.
 */

const NEW_PASSWORD = 'a brand new passphrase for the log test';
const ADMIN_PASSWORD = 'admin passphrase that must not be logged';
const METRICS_TOKEN = 'metrics-token-never-in-logs-0123456789';

describe('logs', () => {
  const lines: string[] = [];
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ logLines: lines, env: { LOG_LEVEL: 'trace', METRICS_TOKEN } });
  });
  after(() => server.close());

  test('every route driven: no token, CSRF token or password in any line; user and session ids bound', async () => {
    const secrets = new Set<string>([PASSWORD, NEW_PASSWORD, ADMIN_PASSWORD, METRICS_TOKEN]);
    const covered = new Set<string>();
    const clients: TestClient[] = [];
    /** One call through a client; remembers the route it covers and every token the client then holds. */
    const call = async (c: TestClient, op: string, path: string, opts: RequestOptions = {}, expect?: number): Promise<ApiResponse> => {
      const [method] = op.split(' ');
      if (c.token) secrets.add(c.token);
      const res = await c.request(method!, path, opts);
      if (expect !== undefined) assert.equal(res.status, expect, `${op}: ${res.text.slice(0, 200)}`);
      for (const k of clients) {
        if (k.token) secrets.add(k.token);
        if (k.csrfToken) secrets.add(k.csrfToken);
      }
      covered.add(op);
      return res;
    };
    const client = () => {
      const c = new TestClient(server.url);
      clients.push(c);
      return c;
    };

    const ops = client();
    await call(ops, 'GET /healthz', '/healthz', {}, 200);
    await call(ops, 'GET /readyz', '/readyz', {}, 200);
    await call(ops, 'GET /metrics', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }, 200);

    const m = client();
    const username = uniqueUsername('logs');
    await call(m, 'POST /api/auth/register', '/api/auth/register', { body: { username, password: PASSWORD } }, 201);
    const other = client();
    await call(other, 'POST /api/auth/login', '/api/auth/login', { body: { username, password: PASSWORD } }, 200);
    await call(m, 'GET /api/auth/session', '/api/auth/session', {}, 200);
    await call(m, 'POST /api/auth/reauthenticate', '/api/auth/reauthenticate', { body: { password: PASSWORD } }, 200);
    const sessions = await call(m, 'GET /api/sessions', '/api/sessions', {}, 200);
    const otherId = (sessions.body.sessions as { id: string; current: boolean }[]).find((s) => !s.current)!.id;
    await call(m, 'DELETE /api/sessions/:id', `/api/sessions/${otherId}`, {}, 204);
    await call(m, 'POST /api/sessions/revoke-others', '/api/sessions/revoke-others', {}, 200);
    const opened = await call(m, 'POST /api/shops', '/api/shops', { body: { name: 'Second shop' } }, 201);
    await call(m, 'POST /api/auth/shop', '/api/auth/shop', { body: { shopId: opened.body.shop.id } }, 200);
    // An invitation's token is in the preview's and the accept's path: logged as the route pattern only.
    // (Another owner's shop: `m` deletes their account at the end, which a shop with other members refuses.)
    const inviter = client();
    await inviter.register();
    const invited = await call(inviter, 'POST /api/shop/invitations', '/api/shop/invitations', { body: { role: 'clerk' } }, 201);
    secrets.add(invited.body.token);
    await call(inviter, 'GET /api/shop/invitations', '/api/shop/invitations', {}, 200);
    await call(client(), 'GET /api/invitations/:token', `/api/invitations/${invited.body.token}`, {}, 200);
    const invitee = client();
    await invitee.register();
    await call(invitee, 'POST /api/invitations/:token/accept', `/api/invitations/${invited.body.token}/accept`, {}, 200);
    const withdrawn = await call(inviter, 'POST /api/shop/invitations', '/api/shop/invitations', { body: { role: 'viewer' } }, 201);
    secrets.add(withdrawn.body.token);
    await call(inviter, 'DELETE /api/shop/invitations/:id', `/api/shop/invitations/${withdrawn.body.invitation.id}`, {}, 204);

    const created = await call(
      m,
      'POST /api/items',
      '/api/items',
      { body: { sku: 'LOG-1', name: 'Log item', quantity: 3 }, headers: { 'idempotency-key': randomUUID() } },
      201,
    );
    const id = created.body.item.id as string;
    await call(m, 'GET /api/items', '/api/items?q=log&limit=5', {}, 200);
    await call(m, 'GET /api/items/:id', `/api/items/${id}`, {}, 200);
    await call(m, 'GET /api/items/lookup', '/api/items/lookup?code=LOG-1', {}, 200);
    await call(m, 'PATCH /api/items/:id', `/api/items/${id}`, { body: { name: 'Renamed', version: created.body.item.version } }, 200);
    await call(
      m,
      'POST /api/items/:id/adjustments',
      `/api/items/${id}/adjustments`,
      { body: { delta: 2, reason: 'received' }, headers: { 'idempotency-key': randomUUID() } },
      201,
    );
    await call(m, 'GET /api/items/:id/movements', `/api/items/${id}/movements`, {}, 200);
    await call(
      m,
      'GET /api/movements',
      `/api/movements?limit=5&reason=received&itemId=${id}&by=${m.token ? (await m.get('/api/auth/session')).body.user.id : ''}`,
      {},
      200,
    );
    await call(m, 'GET /api/items/export.csv', '/api/items/export.csv', {}, 200);
    await call(m, 'GET /api/items/labels', `/api/items/labels?ids=${id}&format=html`, {}, 200);
    await call(m, 'GET /api/items/import/template', '/api/items/import/template', {}, 200);
    const imported = await call(
      m,
      'POST /api/items/import',
      `/api/items/import?mapping=${encodeURIComponent('{"Shelf": "location"}')}`,
      { raw: 'sku,name,quantity,Shelf\nLOG-2,Two,1,A1\n', contentType: 'text/csv' },
      200,
    );
    await call(m, 'POST /api/imports/:id/undo', `/api/imports/${imported.body.importId}/undo`, {}, 200);
    await call(m, 'GET /api/inventory/summary', '/api/inventory/summary', {}, 200);
    await call(m, 'GET /api/inventory/movements/daily', '/api/inventory/movements/daily?days=7', {}, 200);
    await call(m, 'DELETE /api/items/:id', `/api/items/${id}`, {}, 204);
    await call(m, 'POST /api/items/:id/restore', `/api/items/${id}/restore`, {}, 200);
    const started = await call(m, 'POST /api/counts', '/api/counts', { body: { name: 'Log count' } }, 201);
    const countId = started.body.count.id as string;
    await call(m, 'GET /api/counts', '/api/counts', {}, 200);
    await call(m, 'GET /api/counts/:id', `/api/counts/${countId}`, {}, 200);
    await call(m, 'PUT /api/counts/:id/lines/:itemId', `/api/counts/${countId}/lines/${id}`, { body: { counted: 4 } }, 200);
    await call(m, 'POST /api/counts/:id/commit', `/api/counts/${countId}/commit`, {}, 200);
    const abandoned = await call(m, 'POST /api/counts', '/api/counts', { body: {} }, 201);
    await call(m, 'DELETE /api/counts/:id', `/api/counts/${abandoned.body.count.id}`, {}, 204);
    // The shop itself: settings, a member (put in by hand: invitations are another route's), its deletion.
    await call(m, 'GET /api/shop', '/api/shop', {}, 200);
    await call(m, 'PATCH /api/shop', '/api/shop', { body: { name: 'Renamed shop', timezone: 'Europe/Paris' } }, 200);
    const staff = await client().register();
    await server.db.query(`INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $2, 'clerk')`, [opened.body.shop.id, staff.id]);
    await call(m, 'GET /api/shop/members', '/api/shop/members', {}, 200);
    await call(m, 'PATCH /api/shop/members/:userId', `/api/shop/members/${staff.id}`, { body: { role: 'viewer' } }, 200);
    await call(m, 'DELETE /api/shop/members/:userId', `/api/shop/members/${staff.id}`, {}, 204);
    await call(m, 'POST /api/shops', '/api/shops', { body: { name: 'Shop to close' } }, 201);
    await call(m, 'DELETE /api/shop', '/api/shop', { body: { password: PASSWORD } }, 204);
    await call(m, 'GET /api/me/activity', '/api/me/activity', {}, 200);
    await call(m, 'POST /api/me/export', '/api/me/export', {}, 200);
    await call(m, 'GET /api/me/email', '/api/me/email', {}, 200);
    await call(m, 'PUT /api/me/email', '/api/me/email', { body: { email: `${username}@example.test` } }, 202);
    // The link went to the outbox; an unknown one is enough to drive the route (a token in a body is not logged).
    await call(client(), 'POST /api/auth/verify-email', '/api/auth/verify-email', { body: { token: 'A'.repeat(43) } }, 404);
    await call(client(), 'POST /api/auth/password-reset', '/api/auth/password-reset', { body: { login: username } }, 202);
    await call(m, 'POST /api/auth/password', '/api/auth/password', { body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } }, 200);
    // Second factor: the key, the recovery codes and the pending cookie never reach the log. (The
    // six-digit codes are not searched for: any six digits may appear in a timestamp.)
    const f = client();
    const fName = uniqueUsername('mfa');
    await call(f, 'POST /api/auth/register', '/api/auth/register', { body: { username: fName, password: PASSWORD } }, 201);
    const enrolment = await call(f, 'POST /api/me/mfa/totp', '/api/me/mfa/totp', {}, 200);
    secrets.add(enrolment.body.secret);
    const totpKey = Buffer.from(Secret.fromBase32(enrolment.body.secret).bytes);
    const at = Date.now();
    const confirmed = await call(
      f,
      'POST /api/me/mfa/totp/confirm',
      '/api/me/mfa/totp/confirm',
      { body: { code: codeAt(totpKey, at) } },
      200,
    );
    for (const c of confirmed.body.recoveryCodes) secrets.add(c);
    await call(f, 'GET /api/me/mfa', '/api/me/mfa', {}, 200);
    const regenerated = await call(f, 'POST /api/me/mfa/recovery-codes', '/api/me/mfa/recovery-codes', {}, 200);
    for (const c of regenerated.body.recoveryCodes) secrets.add(c);
    const second = client();
    const pending = await call(second, 'POST /api/auth/login', '/api/auth/login', { body: { username: fName, password: PASSWORD } }, 200);
    const cookie = pendingCookie(pending);
    secrets.add(cookie.slice(cookie.indexOf('=') + 1));
    await call(
      second,
      'POST /api/auth/login/mfa',
      '/api/auth/login/mfa',
      { body: { code: codeAt(totpKey, at + 30_000) }, headers: { cookie } },
      200,
    );
    await call(f, 'DELETE /api/me/mfa/totp', '/api/me/mfa/totp', {}, 204);
    // Passkeys: registered, renamed, used at step-up, at a second step and without a password, deleted.
    const p = client();
    const pName = uniqueUsername('pk');
    await call(p, 'POST /api/auth/register', '/api/auth/register', { body: { username: pName, password: PASSWORD } }, 201);
    const authenticator = new SoftAuthenticator(server.config.publicUrl);
    const creation = await call(p, 'POST /api/me/passkeys/options', '/api/me/passkeys/options', {}, 200);
    const registered = await call(
      p,
      'POST /api/me/passkeys',
      '/api/me/passkeys',
      { body: { response: authenticator.create(creation.body).response, name: 'Log key' } },
      201,
    );
    for (const c of registered.body.recoveryCodes) secrets.add(c);
    const passkeyPath = `/api/me/passkeys/${registered.body.passkey.id}`;
    await call(p, 'PATCH /api/me/passkeys/:id', passkeyPath, { body: { name: 'Renamed key' } }, 200);
    const stepUp = await call(p, 'POST /api/auth/reauthenticate/options', '/api/auth/reauthenticate/options', {}, 200);
    await call(p, 'POST /api/auth/reauthenticate', '/api/auth/reauthenticate', { body: { passkey: authenticator.get(stepUp.body) } }, 200);
    const third = client();
    const pkPending = await call(third, 'POST /api/auth/login', '/api/auth/login', { body: { username: pName, password: PASSWORD } }, 200);
    const pkCookie = pendingCookie(pkPending);
    secrets.add(pkCookie.slice(pkCookie.indexOf('=') + 1));
    const stepOptions = await call(
      third,
      'POST /api/auth/login/mfa/options',
      '/api/auth/login/mfa/options',
      { headers: { cookie: pkCookie } },
      200,
    );
    await call(
      third,
      'POST /api/auth/login/mfa',
      '/api/auth/login/mfa',
      { body: { passkey: authenticator.get(stepOptions.body) }, headers: { cookie: pkCookie } },
      200,
    );
    const passwordless = client();
    const plOptions = await call(passwordless, 'POST /api/auth/passkey/options', '/api/auth/passkey/options', {}, 200);
    await call(passwordless, 'POST /api/auth/passkey', '/api/auth/passkey', { body: { response: authenticator.get(plOptions.body) } }, 200);
    await call(p, 'DELETE /api/me/passkeys/:id', passkeyPath, {}, 204);

    // A refused CSRF token and a wrong password are logged as events, never as values.
    const wrongCsrf = `forged-${randomUUID()}`;
    secrets.add(wrongCsrf);
    await call(m, 'POST /api/sessions/revoke-others', '/api/sessions/revoke-others', { headers: { 'x-csrf-token': wrongCsrf } }, 403);
    const wrongPassword = `wrong password ${randomUUID()}`;
    secrets.add(wrongPassword);
    await call(client(), 'POST /api/auth/login', '/api/auth/login', { body: { username, password: wrongPassword } }, 401);

    const adminName = uniqueUsername('admin');
    await ensureAdmin(server.deps.users, server.deps.authenticator, adminName, ADMIN_PASSWORD);
    const admin = client();
    await call(admin, 'POST /api/auth/login', '/api/auth/login', { body: { username: adminName, password: ADMIN_PASSWORD } }, 200);
    await call(admin, 'GET /api/admin/users', '/api/admin/users?limit=10', {}, 200);
    await call(admin, 'GET /api/admin/audit', '/api/admin/audit?limit=10', {}, 200);
    await call(admin, 'GET /api/admin/shops', '/api/admin/shops?limit=10', {}, 200);
    const victim = client();
    const victimUser = await victim.register();
    // A reset link's token is in its path: logged as the route pattern, never as the value.
    const resetIssued = await call(
      admin,
      'POST /api/admin/users/:id/password-reset',
      `/api/admin/users/${victimUser.id}/password-reset`,
      { body: {} },
      201,
    );
    const resetToken = String(resetIssued.body.link).split('/').pop() as string;
    secrets.add(resetToken);
    await call(client(), 'GET /api/auth/password-reset/:token', `/api/auth/password-reset/${resetToken}`, {}, 200);
    // The victim has no passkey: the options under the link answer 409 (the token, in the path, is not logged).
    await call(client(), 'POST /api/auth/password-reset/:token/options', `/api/auth/password-reset/${resetToken}/options`, {}, 409);
    const resetPassword = 'reset passphrase that must not be logged';
    secrets.add(resetPassword);
    await call(
      client(),
      'POST /api/auth/password-reset/:token',
      `/api/auth/password-reset/${resetToken}`,
      { body: { newPassword: resetPassword } },
      204,
    );
    await call(admin, 'POST /api/admin/users/:id/reset-mfa', `/api/admin/users/${victimUser.id}/reset-mfa`, {}, 204);
    await call(admin, 'POST /api/admin/users/:id/revoke-sessions', `/api/admin/users/${victimUser.id}/revoke-sessions`, {}, 200);
    await call(admin, 'PATCH /api/admin/users/:id', `/api/admin/users/${victimUser.id}`, { body: { disabled: true } }, 200);

    // The event stream answers once its session ends: here, with the account.
    const streamed = call(m, 'GET /api/events', '/api/events', {}, 200);
    const end = Date.now() + 10_000;
    while (server.deps.events.size === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await call(m, 'DELETE /api/me', '/api/me', { body: { password: NEW_PASSWORD } }, 204);
    assert.match((await streamed).text, /event: session\.ended/);
    await call(admin, 'POST /api/auth/logout', '/api/auth/logout', {}, 204);

    assert.deepEqual(
      operationKeys(server.app).filter((op) => !covered.has(op)),
      [],
      'every route driven',
    );
    assert.ok(lines.length > 40, `${lines.length} log lines`);
    const all = lines.join('');
    for (const secret of secrets) assert.ok(!all.includes(secret), `a secret (${secret.slice(0, 6)}…) is in the log`);

    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const completed = parsed.filter((l) => l.msg === 'request completed');
    assert.ok(
      completed.every((l) => typeof l.requestId === 'string'),
      'every request line has its request id',
    );
    // One access line per request, at completion (http/access-log.ts): it says what the request was,
    // which route answered, how and how fast. At info (the default) no "incoming request" line (it is at
    // debug, and this log is at trace), and no "not found" line at any level.
    assert.deepEqual(
      parsed.filter((l) => (l.msg === 'incoming request' && Number(l.level) >= 30) || String(l.msg).startsWith('Route ')).map((l) => l.msg),
      [],
      'no line but the access line per request',
    );
    assert.ok(
      parsed.filter((l) => l.msg === 'incoming request').every((l) => l.level === 20),
      'the arrival line at debug',
    );
    const perRequest = new Map<unknown, number>();
    for (const l of completed) perRequest.set(l.requestId, (perRequest.get(l.requestId) ?? 0) + 1);
    assert.deepEqual(
      [...perRequest].filter(([, n]) => n !== 1),
      [],
      'exactly one access line per request id',
    );
    for (const l of completed) {
      const req = l.req as { method?: unknown; url?: unknown } | undefined;
      const res = l.res as { statusCode?: unknown } | undefined;
      assert.ok(typeof req?.method === 'string' && typeof req.url === 'string', `method and path: ${JSON.stringify(l)}`);
      assert.ok(typeof l.route === 'string', `the route pattern: ${JSON.stringify(l)}`);
      assert.ok(typeof res?.statusCode === 'number' && typeof l.responseTime === 'number', `status and time: ${JSON.stringify(l)}`);
    }
    assert.ok(
      completed.some((l) => l.route === '/api/items/:id' && (l.req as { url: string }).url.startsWith('/api/items/')),
      'the route is the pattern, the url the path',
    );
    // Signed-in requests: who, under `auth` (the audit's own userId/sessionId name the subject).
    const withAuth = completed.filter((l) => l.auth);
    assert.ok(withAuth.length >= 20, `${withAuth.length} completed requests name their user`);
    for (const l of withAuth) {
      const auth = l.auth as { userId?: string; sessionId?: string };
      assert.match(String(auth.userId), /^[0-9a-f-]{36}$/);
      assert.match(String(auth.sessionId), /^[A-Za-z0-9_-]{10,}$/, 'the session public id, next to the user id');
    }
    // An admin acting on another user: the line says both, without a duplicate key.
    const disabled = lines.find((l) => l.includes('"admin.user_disabled"'));
    assert.ok(disabled);
    assert.equal(disabled.match(/"userId"/g)?.length, 2, 'auth.userId (the admin) and userId (the subject)');
    const d = JSON.parse(disabled) as { userId: string; auth: { userId: string } };
    assert.notEqual(d.userId, d.auth.userId);
  });

  test('CR/LF in a username and ESC in a user agent cannot forge or split a log line', async () => {
    const before = lines.length;
    const hostile = `evil\r\n{"level":50,"msg":"forged"}\u001b[2J`;
    const c = new TestClient(server.url);
    const res = await c.post('/api/auth/login', { username: hostile, password: 'whatever it is' });
    assert.equal(res.status, 401);
    const reg = await c.post('/api/auth/register', { username: hostile, password: PASSWORD });
    assert.equal(reg.status, 400);

    // A raw ESC in a header is refused by Node's HTTP parser before anything runs or logs.
    const port = Number(new URL(server.url).port);
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = connect({ host: '127.0.0.1', port }, () => {
        sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\nUser-Agent: Mozilla\u001b[31mred\r\nConnection: close\r\n\r\n');
      });
      let out = '';
      sock.on('data', (d) => {
        out += d;
      });
      sock.on('error', reject);
      sock.on('close', () => resolve(out));
    });
    assert.match(answer, /^HTTP\/1\.1 400 /);

    const fresh = lines.slice(before);
    assert.ok(fresh.length >= 4, 'the two requests were logged');
    for (const line of fresh) {
      assert.equal(line.indexOf('\n'), line.length - 1, 'one line, one newline at its end');
      assert.ok(!line.includes('\r') && !line.includes('\u001b'), 'no raw CR or ESC');
      const obj = JSON.parse(line) as { msg?: string };
      assert.notEqual(obj.msg, 'forged');
    }
    assert.ok(!fresh.some((l) => l.includes('whatever it is')));
  });
});
