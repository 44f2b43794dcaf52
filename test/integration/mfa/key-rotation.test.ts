import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openPostgres } from '../../../src/db/postgres.js';
import type { Db } from '../../../src/db/db.js';
import { type TestServer, startTestServer } from '../../support/app.js';
import { TEST_SECRET_KEY, TEST_SECRET_KEY_NEXT } from '../../support/secret-key.js';
import { createServerDatabase, type ServerDatabase } from '../../support/test-databases.js';
import { documentedProcedure, ROOT, runShell } from '../ops/documented.js';
import { type Enrolled, enrolledMerchant, passwordStep, secondStep, TestClock } from './helpers.js';

/**
 * Rotating the key that seals TOTP secrets (docs/operations.md, "Rotate the secret key"), on one
 * PostgreSQL database shared by servers configured as the steps say: a server with the new key and
 * SECRET_KEY_PREVIOUS opens what the old key sealed and re-seals it when used; the documented block
 * (`stockade reseal-secrets`) re-seals the rest; afterwards the new key alone opens everything and the
 * old key alone opens nothing.
 */
describe('secret key rotation', () => {
  let database: ServerDatabase;
  let db: Db;
  const servers: TestServer[] = [];
  const clock = new TestClock();
  let dir: string;
  before(async () => {
    database = await createServerDatabase();
    db = openPostgres(database.url);
    dir = mkdtempSync(join(tmpdir(), 'stockade-rotate-'));
  });
  after(async () => {
    for (const s of servers) await s.close();
    await db.close();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const server = async (env: Record<string, string>) => {
    const s = await startTestServer({ db, clock: clock.now, env: { SECRET_KEY: '', DATABASE_URL: database.url, ...env } });
    servers.push(s);
    return s;
  };
  const signIn = async (s: TestServer, m: Enrolled) => {
    const a = await passwordStep(s, m.username);
    return (await secondStep(a.client, a.cookie, { code: clock.nextCode(m.secret) })).status;
  };
  const sealsUnder = async (userId: string) =>
    (await db.query<{ secret: Buffer }>('SELECT secret FROM totp_factors WHERE user_id = $1', [userId])).rows[0]!.secret;

  test('during the change: the new key seals, the previous key still opens, and a secret is re-sealed when used', async () => {
    const old = await server({ SECRET_KEY: TEST_SECRET_KEY });
    const used = await enrolledMerchant(old, clock);
    const idle = await enrolledMerchant(old, clock);
    const idleSeal = await sealsUnder(idle.id);
    const during = await server({ SECRET_KEY: TEST_SECRET_KEY_NEXT, SECRET_KEY_PREVIOUS: TEST_SECRET_KEY });
    const before = await sealsUnder(used.id);
    assert.equal(await signIn(during, used), 200);
    const deadline = Date.now() + 20_000;
    while ((await sealsUnder(used.id)).equals(before)) {
      assert.ok(Date.now() < deadline, 're-sealed on use');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok((await sealsUnder(idle.id)).equals(idleSeal), 'an unused secret is still under the old key');
    // Without the previous key: the re-sealed secret opens, the other does not (hence reseal-secrets).
    const next = await server({ SECRET_KEY: TEST_SECRET_KEY_NEXT });
    assert.equal(await signIn(next, used), 200);
    assert.equal(await signIn(next, idle), 401);
    await db.query('DELETE FROM totp_factors');
  });

  test('the documented rotation: reseal-secrets, then the new key alone opens everything', async () => {
    const keyDir = join(dir, 'etc');
    mkdirSync(keyDir, { mode: 0o700 });
    writeFileSync(join(keyDir, 'secret.key'), `${TEST_SECRET_KEY}\n`, { mode: 0o600 });
    const old = await server({ SECRET_KEY_FILE: join(keyDir, 'secret.key') });
    const first = await enrolledMerchant(old, clock);
    const second = await enrolledMerchant(old, clock);

    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'stockade'),
      `#!/bin/sh\nexec '${process.execPath}' --import '${import.meta.resolve('tsx')}' '${join(ROOT, 'src/cli.ts')}' "$@"\n`,
    );
    chmodSync(join(bin, 'stockade'), 0o755);
    const run = await runShell(documentedProcedure('rotate-secret-key'), {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      KEY_DIR: keyDir,
      DATABASE_URL: database.url,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^re-sealed 2 second-factor secrets under the current key$/m);
    assert.equal(statSync(join(keyDir, 'secret.key')).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(keyDir, 'secret.key.old'), 'utf8').trim(), TEST_SECRET_KEY);

    const after = await server({ SECRET_KEY_FILE: join(keyDir, 'secret.key') });
    assert.equal(await signIn(after, first), 200);
    assert.equal(await signIn(after, second), 200);
    const stale = await server({ SECRET_KEY_FILE: join(keyDir, 'secret.key.old') });
    assert.equal(await signIn(stale, second), 401);
  });
});
