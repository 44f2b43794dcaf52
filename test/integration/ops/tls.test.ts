import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Agent, fetch as undiciFetch } from 'undici';
import { startServerProcess } from '../../fault/support/server-process.js';
import { TEST_SECRET_KEY } from '../../support/secret-key.js';
import { selfSignedCertificate } from '../../support/certificates.js';
import { PASSWORD, parseSetCookie, uniqueUsername } from '../../support/client.js';
import { createServerDatabase, type ServerDatabase } from '../../support/test-databases.js';

/**
 * TLS_CERT_FILE / TLS_KEY_FILE: the server process speaks HTTPS itself, with HSTS, and the session cookie
 * is `__Host-sid; Secure`. The certificate is a throwaway self-signed one made by openssl for 127.0.0.1.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('serving HTTPS directly', () => {
  let dir: string;
  let cert: string;
  let key: string;
  let database: ServerDatabase;
  let agent: Agent;
  const httpsFetch = ((url: string, init?: object) => undiciFetch(url, { ...init, dispatcher: agent })) as unknown as typeof fetch;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stockade-tls-'));
    ({ certFile: cert, keyFile: key } = selfSignedCertificate(dir));
    agent = new Agent({ connect: { ca: readFileSync(cert) } });
    database = await createServerDatabase();
  });
  after(async () => {
    await agent.close();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('HTTPS with HSTS, a Secure __Host- cookie, and no plain HTTP on that port', async () => {
    const server = await startServerProcess({
      https: true,
      fetch: httpsFetch,
      env: { DATABASE_URL: database.url, TLS_CERT_FILE: cert, TLS_KEY_FILE: key, COOKIE_SECURE: 'true' },
    });
    try {
      assert.match(server.url, /^https:/);
      const health = await httpsFetch(`${server.url}/healthz`);
      assert.equal(health.status, 200);
      assert.match(health.headers.get('strict-transport-security') ?? '', /max-age=\d{8,}; includeSubDomains/);

      const reg = await httpsFetch(`${server.url}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: uniqueUsername('tls'), password: PASSWORD }),
      });
      assert.equal(reg.status, 201, await reg.clone().text());
      const cookie = parseSetCookie(reg.headers.getSetCookie()[0] ?? '');
      assert.equal(cookie.name, '__Host-sid');
      assert.equal(cookie.attrs.secure, true);
      assert.equal(cookie.attrs.httponly, true);

      // The same port does not answer plain HTTP: no accidental cleartext.
      const plain = await fetch(`http://127.0.0.1:${server.port}/healthz`).then(
        (r) => r.status,
        () => 'failed',
      );
      assert.notEqual(plain, 200);
      // And an untrusting client refuses the self-signed certificate (it really is TLS, verified).
      await assert.rejects(fetch(`${server.url}/healthz`));
    } finally {
      await server.stop();
    }
  });

  test('HSTS follows TLS even when cookies are configured for plain HTTP', async () => {
    const server = await startServerProcess({
      https: true,
      fetch: httpsFetch,
      env: { DATABASE_URL: database.url, TLS_CERT_FILE: cert, TLS_KEY_FILE: key, COOKIE_SECURE: 'false' },
    });
    try {
      const res = await httpsFetch(`${server.url}/healthz`);
      assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=/);
    } finally {
      await server.stop();
    }
  });

  test('a missing or half TLS configuration stops the start with one line naming the variable', () => {
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          DATABASE_URL: database.url,
          SECRET_KEY: TEST_SECRET_KEY,
          PORT: '0',
          ...env,
        },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const half = run({ TLS_CERT_FILE: cert });
    assert.equal(half.status, 2);
    assert.match(half.stderr, /configuration error: TLS_KEY_FILE: set both/);
    const missing = run({ TLS_CERT_FILE: cert, TLS_KEY_FILE: join(dir, 'nope.pem') });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /failed to start: TLS_KEY_FILE: cannot read .*nope\.pem \(ENOENT\)/);
    assert.doesNotMatch(missing.stderr, /\n\s+at /, 'no stack trace');
  });
});
