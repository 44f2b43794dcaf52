import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';

/** Shipped next to this file (the build copies them), the same files for PGlite and a server. */
const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f.slice(0, -4), sql: readFileSync(dir + f, 'utf8') }));
  // Two files with one number (two branches each adding "005_…") would apply only the first: the
  // bookkeeping keys on the number, so the second would be skipped silently on every database.
  for (let i = 1; i < migrations.length; i++) {
    const [a, b] = [migrations[i - 1], migrations[i]];
    if (a && b && a.version === b.version) throw new Error(`migrations ${a.name} and ${b.name} share the number ${a.version}`);
  }
  return migrations;
}

/**
 * Applies every migration not yet recorded, each in its own transaction with its bookkeeping row.
 * A transaction-scoped advisory lock makes several servers starting at once on one database take
 * turns instead of racing the same DDL. Returns the names applied.
 */
export async function migrate(db: Db, migrations = loadMigrations()): Promise<string[]> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const applied: string[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(7317001)');
      const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (seen.rows.length > 0) return false;
      await tx.query(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      return true;
    });
    if (done) applied.push(m.name);
  }
  return applied;
}
