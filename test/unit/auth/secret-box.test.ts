import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SealError, SecretBox } from '../../../src/auth/second-factor/secret-box.js';
import { loadSecretKeys } from '../../../src/auth/second-factor/secret-keys.js';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { TEST_SECRET_KEY, TEST_SECRET_KEY_NEXT } from '../../support/secret-key.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const key = (b64: string) => Buffer.from(b64, 'base64');

describe('sealing (AES-256-GCM, key outside the database)', () => {
  test('a seal opens under its key and owner only, and holds no plain text', () => {
    const box = new SecretBox(() => ({ current: key(TEST_SECRET_KEY), previous: [] }));
    const secret = Buffer.from('a very secret totp key 1234');
    const sealed = box.seal(secret, 'totp\0user-a');
    assert.equal(sealed.includes(secret), false);
    assert.deepEqual(box.open(sealed, 'totp\0user-a'), { plain: secret, stale: false });
    assert.throws(() => box.open(sealed, 'totp\0user-b'), SealError, 'bound to its owner');
    const altered = Buffer.from(sealed);
    altered[altered.length - 1]! ^= 1;
    assert.throws(() => box.open(altered, 'totp\0user-a'), SealError, 'altered');
    assert.notDeepEqual(box.seal(secret, 'totp\0user-a'), sealed, 'a fresh nonce each time');
  });

  test('rotation: the previous key still opens (stale), a dropped key does not', () => {
    const old = new SecretBox(() => ({ current: key(TEST_SECRET_KEY), previous: [] }));
    const sealed = old.seal(Buffer.from('x'), 'aad');
    const rotated = new SecretBox(() => ({ current: key(TEST_SECRET_KEY_NEXT), previous: [key(TEST_SECRET_KEY)] }));
    assert.deepEqual(rotated.open(sealed, 'aad'), { plain: Buffer.from('x'), stale: true });
    assert.equal(rotated.isCurrent(sealed), false);
    assert.equal(rotated.isCurrent(rotated.seal(Buffer.from('x'), 'aad')), true);
    const dropped = new SecretBox(() => ({ current: key(TEST_SECRET_KEY_NEXT), previous: [] }));
    assert.throws(() => dropped.open(sealed, 'aad'), SealError);
  });
});

describe('where the key comes from', () => {
  test('embedded: DATA_DIR/secret.key is created at first use, mode 0600, and kept', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stockade-key-'));
    try {
      const config = loadConfig({ DATA_DIR: join(dir, 'data') });
      const first = loadSecretKeys(config);
      const path = join(dir, 'data', 'secret.key');
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(first.current.length, 32);
      assert.deepEqual(loadSecretKeys(config).current, first.current, 'the same key at the next start');
      assert.equal(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64').length, 32);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('SECRET_KEY, SECRET_KEY_FILE and SECRET_KEY_PREVIOUS; bad values are one line naming the variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stockade-key-'));
    try {
      assert.deepEqual(loadSecretKeys(loadConfig({ SECRET_KEY: TEST_SECRET_KEY })).current, key(TEST_SECRET_KEY));
      const withPrevious = loadSecretKeys(loadConfig({ SECRET_KEY: TEST_SECRET_KEY_NEXT, SECRET_KEY_PREVIOUS: TEST_SECRET_KEY }));
      assert.deepEqual(withPrevious.previous, [key(TEST_SECRET_KEY)]);
      const refused: [Record<string, string>, RegExp][] = [
        [{ SECRET_KEY: 'c2hvcnQ=' }, /^SECRET_KEY: must be 32 random bytes/],
        [{ SECRET_KEY: TEST_SECRET_KEY, SECRET_KEY_PREVIOUS: 'nope' }, /^SECRET_KEY_PREVIOUS: must be 32/],
        [{ SECRET_KEY_FILE: join(dir, 'missing') }, /^SECRET_KEY_FILE: cannot read .*missing \(ENOENT\)/],
        [{ DATABASE_URL: 'postgres://x/y' }, /^SECRET_KEY_FILE: required with DATABASE_URL/],
      ];
      for (const [env, message] of refused) {
        assert.throws(
          () => loadSecretKeys(loadConfig(env)),
          (err: unknown) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('\n'),
          JSON.stringify(env),
        );
      }
      assert.throws(() => loadConfig({ SECRET_KEY: TEST_SECRET_KEY, SECRET_KEY_FILE: '/x' }), ConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the server refuses to start with DATABASE_URL and no key, with one line', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: 'postgres://127.0.0.1:1/none', PORT: '0' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(res.status, 2, res.stderr);
    const lines = res.stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^stockade: configuration error: SECRET_KEY_FILE: required with DATABASE_URL/);
  });
});
