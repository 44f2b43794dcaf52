import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, parseDuration } from '../../../src/config.js';

describe('config', () => {
  test('defaults follow docs/api.md', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.dataDir, './data');
    assert.equal(c.session.idleTimeout, 1800);
    assert.equal(c.session.absoluteTimeout, 43200);
    assert.equal(c.session.rememberTimeout, 30 * 86400);
    assert.equal(c.session.reauthWindow, 900);
    assert.equal(c.cookieSecure, true);
    assert.deepEqual(c.allowedOrigins, ['http://localhost:3000', 'http://127.0.0.1:3000']);
    assert.equal(c.trustProxy, false);
    assert.equal(c.databasePoolSize, 10);
    assert.equal(loadConfig({ DATABASE_POOL_SIZE: '40' }).databasePoolSize, 40);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.session));
  });

  test('sign-in limits: per (account, address), the account ceiling and per address (S-74)', () => {
    const c = loadConfig({});
    assert.equal(c.login.maxFailures, 5);
    assert.equal(c.login.accountMaxFailures, 50);
    assert.equal(c.login.addressMaxFailures, 30);
    assert.equal(loadConfig({ LOGIN_ACCOUNT_MAX_FAILURES: '80' }).login.accountMaxFailures, 80);
    // NIST 800-63B: no more than 100 consecutive failures on one account.
    assert.throws(
      () => loadConfig({ LOGIN_ACCOUNT_MAX_FAILURES: '101' }),
      /^ConfigError: LOGIN_ACCOUNT_MAX_FAILURES: 101 is outside 1\.\.100$/,
    );
    assert.throws(() => loadConfig({ LOGIN_ACCOUNT_MAX_FAILURES: 'many' }), /LOGIN_ACCOUNT_MAX_FAILURES/);
  });

  test("mail: SMTP_URL smtp:// or smtps://, else the outbox; MAIL_FROM one line, defaulting to PUBLIC_URL's host", () => {
    const c = loadConfig({});
    assert.equal(c.mail.smtpUrl, undefined);
    assert.equal(c.mail.from, 'Stockade <no-reply@localhost>');
    assert.equal(loadConfig({ PUBLIC_URL: 'https://shop.example' }).mail.from, 'Stockade <no-reply@shop.example>');
    assert.equal(c.passwordResetAddressMax, 20);
    for (const url of ['smtp://mail.example:587', 'smtps://u:p@mail.example:465', 'smtp://127.0.0.1:2525?requireTLS=true']) {
      assert.equal(loadConfig({ SMTP_URL: url }).mail.smtpUrl, url);
    }
    for (const bad of ['mail.example:25', 'http://mail.example', 'smtp://', 'sendmail:///usr/sbin/sendmail']) {
      assert.throws(
        () => loadConfig({ SMTP_URL: bad }),
        (e: Error) => e instanceof ConfigError && e.message.startsWith('SMTP_URL:'),
        bad,
      );
    }
    assert.throws(() => loadConfig({ MAIL_FROM: 'Stockade <a@b>\r\nBcc: x@evil.example' }), /^ConfigError: MAIL_FROM:|MAIL_FROM:/);
    assert.throws(() => loadConfig({ MAIL_FROM: 'nobody' }), /MAIL_FROM:/);
  });

  test('durations take s, m, h, d or plain seconds', () => {
    assert.equal(parseDuration('X', '45'), 45);
    assert.equal(parseDuration('X', '2m'), 120);
    assert.equal(parseDuration('X', '1h'), 3600);
    assert.equal(parseDuration('X', '7d'), 604800);
  });

  test('a bad value names its variable', () => {
    const cases: [Record<string, string>, string][] = [
      [{ PORT: 'eighty' }, 'PORT'],
      [{ SESSION_IDLE_TIMEOUT: '10 minutes' }, 'SESSION_IDLE_TIMEOUT'],
      [{ COOKIE_SECURE: 'maybe' }, 'COOKIE_SECURE'],
      [{ ALLOWED_ORIGINS: 'https://ok.example/path' }, 'ALLOWED_ORIGINS'],
      [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
      [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
      [{ BOOTSTRAP_ADMIN_USERNAME: 'root' }, 'BOOTSTRAP_ADMIN_PASSWORD'],
      [{ SESSION_IDLE_TIMEOUT: '13h' }, 'SESSION_IDLE_TIMEOUT'],
      [{ DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE'],
      [{ DATABASE_POOL_SIZE: 'ten' }, 'DATABASE_POOL_SIZE'],
      [{ DATABASE_POOL_SIZE: '100000' }, 'DATABASE_POOL_SIZE'],
    ];
    for (const [env, name] of cases) {
      assert.throws(
        () => loadConfig(env),
        (err: unknown) => err instanceof ConfigError && err.message.startsWith(`${name}:`),
        name,
      );
    }
  });

  test('TRUST_PROXY: a hop count or a list of proxy addresses/CIDRs; "true" is refused, naming the alternatives', () => {
    for (const off of ['', 'false', '0', 'no', 'off']) assert.equal(loadConfig({ TRUST_PROXY: off }).trustProxy, false, off);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '1' }).trustProxy, { hops: 1 });
    assert.deepEqual(loadConfig({ TRUST_PROXY: ' 2 ' }).trustProxy, { hops: 2 });
    assert.deepEqual(loadConfig({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1,fd00::/8,loopback' }).trustProxy, {
      addresses: ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback'],
    });
    for (const trusting of ['true', 'TRUE', 'yes', 'on']) {
      assert.throws(
        () => loadConfig({ TRUST_PROXY: trusting }),
        (err: unknown) =>
          err instanceof ConfigError &&
          /^TRUST_PROXY: /.test(err.message) &&
          /number of proxies/.test(err.message) &&
          /10\.0\.0\.0\/8/.test(err.message) &&
          !err.message.includes('\n'),
        trusting,
      );
    }
    for (const bad of [
      '11',
      '-1',
      '1.5',
      '10.0.0.0/33',
      '::1/129',
      '10.0.0',
      '127.0.0.1,',
      'proxy.example',
      '10.0.0.0/8/8',
      '*',
      '0.0.0.0/0',
      '::/0',
    ]) {
      assert.throws(
        () => loadConfig({ TRUST_PROXY: bad }),
        (err: unknown) => err instanceof ConfigError && err.message.startsWith('TRUST_PROXY:'),
        bad,
      );
    }
  });

  test('the server refuses TRUST_PROXY=true at start, with one line naming the alternatives', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, TRUST_PROXY: 'true' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(res.status, 2);
    const lines = res.stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /TRUST_PROXY: .*number of proxies in front \(e\.g\. 1\).*addresses \(e\.g\. 127\.0\.0\.1,10\.0\.0\.0\/8\)/);
  });

  test('METRICS_TOKEN_PREVIOUS: a second accepted token during a change, only beside METRICS_TOKEN', () => {
    const c = loadConfig({ METRICS_TOKEN: 'new-token-0123456789abcdef', METRICS_TOKEN_PREVIOUS: 'old-token-0123456789abcdef' });
    assert.deepEqual(c.metricsTokens, ['new-token-0123456789abcdef', 'old-token-0123456789abcdef']);
    assert.deepEqual(loadConfig({ METRICS_TOKEN: 'new-token-0123456789abcdef' }).metricsTokens, ['new-token-0123456789abcdef']);
    assert.deepEqual(loadConfig({}).metricsTokens, []);
    const refused: Record<string, string>[] = [
      { METRICS_TOKEN_PREVIOUS: 'old-token-0123456789abcdef' },
      { METRICS_TOKEN: 'new-token-0123456789abcdef', METRICS_TOKEN_PREVIOUS: 'short' },
      { METRICS_TOKEN: 'same-token-0123456789abcdef', METRICS_TOKEN_PREVIOUS: 'same-token-0123456789abcdef' },
    ];
    for (const env of refused) {
      assert.throws(
        () => loadConfig(env),
        (err: unknown) => err instanceof ConfigError && err.message.startsWith('METRICS_TOKEN_PREVIOUS:'),
        JSON.stringify(env),
      );
    }
  });

  test('the server refuses to start on a bad value, with one line naming the variable', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, SESSION_ABSOLUTE_TIMEOUT: 'forever' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(res.status, 2);
    const lines = res.stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /SESSION_ABSOLUTE_TIMEOUT/);
  });
});
