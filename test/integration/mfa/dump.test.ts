import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { base32 } from '../../../src/auth/second-factor/totp.js';
import { openPglite } from '../../../src/db/pglite.js';
import { openPostgres } from '../../../src/db/postgres.js';
import { migrate } from '../../../src/db/migrate.js';
import { startTestServer } from '../../support/app.js';
import { createServerDatabase } from '../../support/test-databases.js';
import { enrolledMerchant, TestClock } from './helpers.js';

/**
 * No TOTP secret in plain form at rest (S-79): neither `pg_dump` of a PostgreSQL server's database nor
 * the files of an embedded (PGlite) data directory — what its backup copies — hold the key of an
 * enrolled user, raw, in base32 or as the hex a plain dump writes bytea in; nor a recovery code. The
 * username, stored in clear, is found in the same bytes: the search itself works.
 */
function assertNoSecrets(dump: Buffer, m: { username: string; secret: Buffer; recoveryCodes: string[] }) {
  assert.ok(dump.includes(Buffer.from(m.username)), 'the search sees plain values (the username)');
  assert.equal(dump.includes(m.secret), false, 'raw secret');
  assert.equal(dump.includes(Buffer.from(base32(m.secret))), false, 'base32 secret');
  assert.equal(dump.includes(Buffer.from(m.secret.toString('hex'))), false, 'hex secret');
  for (const c of m.recoveryCodes) {
    assert.equal(dump.includes(Buffer.from(c)), false, 'recovery code');
    assert.equal(dump.includes(Buffer.from(c.replace(/-/g, ''))), false, 'recovery code without dashes');
  }
}

function filesUnder(dir: string): Buffer[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name)));
}

describe('TOTP secrets at rest', () => {
  test('pg_dump of the server database holds none in plain form', async () => {
    const database = await createServerDatabase();
    const db = openPostgres(database.url);
    try {
      const server = await startTestServer({ db });
      const m = await enrolledMerchant(server, new TestClock());
      await server.close();
      const dump = spawnSync('pg_dump', ['--format=plain', '--no-owner', database.url], { maxBuffer: 256 * 1024 * 1024 });
      assert.equal(dump.status, 0, dump.stderr?.toString());
      assert.match(dump.stdout.toString(), /COPY public\.totp_factors/);
      assertNoSecrets(dump.stdout, m);
    } finally {
      await db.close();
      await database.drop();
    }
  });

  test('the embedded data directory holds none in plain form', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stockade-pglite-dump-'));
    try {
      const db = await openPglite(dir);
      await migrate(db);
      const server = await startTestServer({ db });
      const m = await enrolledMerchant(server, new TestClock());
      await server.close();
      // A checkpoint, so the pages are in the table files and not only in the WAL (both are searched).
      await db.query('CHECKPOINT');
      await db.close();
      assertNoSecrets(Buffer.concat(filesUnder(dir)), m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
