import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { openTestPglite, templatePath } from '../../support/pglite.js';

test('openTestPglite gives migrated, independent in-memory databases', async () => {
  let t0 = performance.now();
  const first = await openTestPglite();
  console.log(`first openTestPglite (may build the template): ${Math.round(performance.now() - t0)} ms`);
  t0 = performance.now();
  const second = await openTestPglite();
  console.log(`next openTestPglite (template loaded): ${Math.round(performance.now() - t0)} ms`);
  try {
    assert.ok(existsSync(templatePath()), 'the template is cached in .tmp/');
    const tables = await first.query<{ t: string }>(
      `SELECT table_name AS t FROM information_schema.tables
       WHERE table_schema = 'public' AND table_name IN ('users', 'sessions') ORDER BY 1`,
    );
    assert.deepEqual(
      tables.rows.map((r) => r.t),
      ['sessions', 'users'],
    );
    const applied = await first.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
    assert.ok((applied.rows[0]?.n ?? 0) >= 1);

    await first.query(`INSERT INTO users (username, username_key, password_hash) VALUES ('a', 'a', 'x')`);
    const inSecond = await second.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    assert.equal(inSecond.rows[0]?.n, 0, 'databases do not share rows');
  } finally {
    await first.close();
    await second.close();
  }
});
