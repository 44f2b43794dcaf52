import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { startTestServer, type TestServer } from '../../support/app.js';
import { PASSWORD, TestClient, uniqueUsername } from '../../support/client.js';

/** Sign-up and sign-in rules (docs/api.md Auth; docs/security.md E), secrets at rest and in logs. */
describe('accounts', () => {
  let server: TestServer;
  const logLines: string[] = [];
  before(async () => {
    server = await startTestServer({ logLines });
  });
  after(() => server.close());
  const client = () => new TestClient(server.url);

  test('registration validates the username and password and answers with field errors', async () => {
    const cases: [unknown, string][] = [
      [{ username: 'ab', password: PASSWORD }, 'username'],
      [{ username: 'has space', password: PASSWORD }, 'username'],
      [{ username: 'аdmin', password: PASSWORD }, 'username'], // Cyrillic а
      [{ username: uniqueUsername(), password: 'short' }, 'password'],
      [{ username: uniqueUsername(), password: 'password123' }, 'password'],
      [{ username: uniqueUsername(), password: 'x'.repeat(257) }, 'password'],
      [{ username: 'inventoryfan', password: 'inventoryinventory' }, 'password'],
    ];
    for (const [body, path] of cases) {
      const res = await client().post('/api/auth/register', body);
      assert.equal(res.status, 400, JSON.stringify(body).slice(0, 60));
      assert.equal(res.body.code, 'validation');
      assert.ok(
        res.body.errors.some((e: { path: string }) => e.path === path),
        `error on ${path}`,
      );
      assert.equal(res.setCookies.length, 0, 'no session for a failed sign-up');
    }
  });

  test('a refused username is told the rules and an example (issue 18)', async () => {
    const res = await client().post('/api/auth/register', { username: 'Corner Coffee', password: PASSWORD });
    assert.equal(res.status, 400);
    const message = res.body.errors.find((e: { path: string }) => e.path === 'username')?.message;
    assert.equal(message, 'Use 3 to 64 characters: letters, digits, . _ - ; no spaces — try corner-coffee.');
  });

  test('usernames are unique case- and width-insensitively', async () => {
    const name = uniqueUsername('Case');
    assert.equal((await client().post('/api/auth/register', { username: name, password: PASSWORD })).status, 201);
    const upper = await client().post('/api/auth/register', { username: name.toUpperCase(), password: PASSWORD });
    assert.equal(upper.status, 409);
    assert.equal(upper.body.code, 'conflict');
    const wide = name.replace(/[a-z]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0));
    assert.equal((await client().post('/api/auth/register', { username: wide, password: PASSWORD })).status, 409);
    assert.equal((await client().login(name.toUpperCase())).status, 200, 'sign-in is case-insensitive too');
  });

  test('unknown user, wrong password and disabled account get the same answer', async () => {
    const { username, id } = await client().register();
    const disabled = await client().register();
    await server.db.query('UPDATE users SET disabled = true WHERE id = $1', [disabled.id]);
    const answers = await Promise.all([
      client().login(uniqueUsername('nobody')),
      client().login(username, 'wrong password entirely'),
      client().login(disabled.username),
    ]);
    const normal = (r: (typeof answers)[number]) => ({
      status: r.status,
      type: r.headers.get('content-type'),
      body: { ...r.body, instance: undefined },
      headers: [...r.headers.keys()].filter((h) => !['date', 'x-request-id', 'content-length'].includes(h)).sort(),
    });
    assert.equal(answers[0]!.status, 401);
    assert.deepEqual(normal(answers[1]!), normal(answers[0]!));
    assert.deepEqual(normal(answers[2]!), normal(answers[0]!));
    assert.ok(id);
  });

  test('passwords are checked exactly: no truncation, trimming or case folding; NFKC-equal forms match', async () => {
    const long = `${'k9$Lm2#pQ'.repeat(9)}tail`; // 85 chars
    const c = client();
    const { username } = await c.register(uniqueUsername(), long);
    assert.equal((await client().login(username, `${long.slice(0, 72)}DIFFERENT`)).status, 401);
    assert.equal((await client().login(username, `${long} `)).status, 401);
    assert.equal((await client().login(username, long.toUpperCase())).status, 401);
    assert.equal((await client().login(username, long)).status, 200);
    const { username: u2 } = await client().register(uniqueUsername(), 'café au lait every morning');
    assert.equal((await client().login(u2, 'cafe\u0301 au lait every morning')).status, 200);
  });

  test('a 100 KB password is refused quickly, without hashing', async () => {
    const start = Date.now();
    const res = await client().login('someone', 'x'.repeat(100_000));
    assert.equal(res.status, 400);
    assert.ok(Date.now() - start < 1000);
    const huge = await client().request('POST', '/api/auth/login', {
      raw: JSON.stringify({ username: 'a', password: 'x'.repeat(2_000_000) }),
      contentType: 'application/json',
    });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.code, 'payload_too_large');
  });

  test('a legacy bcrypt hash signs in and is upgraded to argon2id', async () => {
    const username = uniqueUsername('legacy');
    const legacy = await bcryptHash(PASSWORD, 10);
    await server.db.query(`INSERT INTO users (username, username_key, password_hash) VALUES ($1, $1, $2)`, [username, legacy]);
    assert.equal((await client().login(username, 'not the password at all')).status, 401);
    assert.equal((await client().login(username)).status, 200);
    const row = await server.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE username_key = $1', [username]);
    assert.match(row.rows[0]!.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal((await client().login(username)).status, 200, 'still signs in after the upgrade');
  });

  test('argon2id at OWASP parameters, salted: two users with one password have different hashes', async () => {
    const a = await client().register();
    const b = await client().register();
    const rows = await server.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id IN ($1, $2)', [a.id, b.id]);
    assert.equal(rows.rows.length, 2);
    for (const r of rows.rows) assert.match(r.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.notEqual(rows.rows[0]!.password_hash, rows.rows[1]!.password_hash);
  });

  test('neither the token, its CSRF token nor the password is in any table or any log line', async () => {
    const c = client();
    const password = `Canary-${uniqueUsername('pw')}-passphrase`;
    const { username } = await c.register(uniqueUsername(), password);
    await c.login(username, password);
    await c.get('/api/auth/session');
    await c.post('/api/auth/reauthenticate', { password });
    const token = c.token!;
    const csrf = c.csrfToken!;
    // A full dump of every table of ours, as text.
    const tables = await server.db.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
    let dump = '';
    for (const { tablename } of tables.rows) {
      const rows = await server.db.query(`SELECT t::text AS line FROM "${tablename}" t`);
      dump += rows.rows.map((r) => String(r.line)).join('\n');
    }
    assert.ok(dump.includes(username), 'the dump is real');
    for (const secret of [token, csrf, password, Buffer.from(token).toString('hex')]) {
      assert.ok(!dump.includes(secret), 'secret absent from the database');
      assert.ok(!logLines.some((l) => l.includes(secret)), 'secret absent from the logs');
    }
    assert.ok(logLines.length > 0, 'the logs are real');
    assert.ok(!logLines.some((l) => /set-cookie|"cookie"/i.test(l)));
  });
});
