import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadMigrations } from '../../../src/db/migrate.js';

const SHIPPED = fileURLToPath(new URL('../../../src/db/migrations/', import.meta.url));

test('shipped migrations have one number each, in order', () => {
  const versions = loadMigrations().map((m) => m.version);
  assert.ok(versions.length >= 5);
  assert.deepEqual(
    versions,
    [...new Set(versions)].sort((a, b) => a - b),
  );
});

test('two migration files sharing a number are refused, not half-applied', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stockade-migrations-'));
  try {
    for (const f of readdirSync(SHIPPED)) copyFileSync(join(SHIPPED, f), join(dir, f));
    const first = readdirSync(SHIPPED)
      .filter((f) => f.endsWith('.sql'))
      .sort()[0] as string;
    copyFileSync(join(SHIPPED, first), join(dir, `${first.slice(0, 3)}_another_branch.sql`));
    assert.throws(() => loadMigrations(`${dir}/`), /share the number/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
