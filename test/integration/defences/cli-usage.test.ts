import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ROOT, stockade } from './cli-helpers.js';

describe('stockade CLI: usage', () => {
  test('the file is an executable node script and package.json points its bin at the build of it', () => {
    assert.match(readFileSync(join(ROOT, 'src/cli.ts'), 'utf8'), /^#!\/usr\/bin\/env node\n/);
    assert.equal(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).bin.stockade, 'dist/src/cli.js');
  });

  test('--help, no command, unknown command, a password on the command line, bad configuration', async () => {
    const [help, none, unknown, argvPassword, missing, badConfig, leadingCreate] = await Promise.all([
      stockade(['--help']),
      stockade([]),
      stockade(['frobnicate']),
      stockade(['create-admin', 'boss', '--password', 'hunter2hunter2']),
      stockade(['revoke-user']),
      stockade(['purge'], { env: { LOG_LEVEL: 'loud' } }),
      stockade(['--create', 'frobnicate']),
    ]);
    assert.equal(help.code, 0);
    for (const cmd of ['create-admin', 'revoke-user', 'purge', 'migrate']) assert.match(help.stdout, new RegExp(cmd));
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Usage: stockade/);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    assert.equal(argvPassword.code, 2);
    assert.match(argvPassword.stderr, /never taken from the command line/);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /exactly one username/);
    assert.equal(badConfig.code, 2);
    assert.match(badConfig.stderr, /configuration error: LOG_LEVEL/);
    assert.equal(leadingCreate.code, 2);
    assert.match(leadingCreate.stderr, /unknown command "frobnicate"/, '--create is a flag anywhere on the line, never the command');
  });
});
