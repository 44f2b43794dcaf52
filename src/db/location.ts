import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Where a configuration points: one line an operator can check before a command acts ("am I on the
 * production server or on an empty local database?"). Never the password: the line goes to terminals,
 * logs and CI output.
 */
export function describeDatabase(config: { databaseUrl: string | undefined; dataDir: string }): string {
  if (!config.databaseUrl) return `embedded database at ${resolve(config.dataDir)}`;
  const url = parsePostgresUrl(config.databaseUrl);
  if (!url) return 'PostgreSQL (DATABASE_URL is not a URL)';
  // A Unix socket is given as ?host=/run/postgresql (which wins over the URL's host, as in libpq).
  const host = url.searchParams.get('host') || url.hostname || 'localhost';
  const port = url.port || url.searchParams.get('port') || '5432';
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || decodeURIComponent(url.username) || 'postgres';
  return `PostgreSQL at ${host}:${port}/${database}`;
}

/**
 * WHATWG URL refuses an empty host after credentials (`postgres://user@/db?host=/run/postgresql`),
 * which libpq and node-postgres accept: give it a placeholder host then.
 */
function parsePostgresUrl(raw: string): URL | undefined {
  for (const candidate of [raw, raw.replace(/^(postgres(?:ql)?:\/\/(?:[^@/?]*@)?)(?=[/?]|$)/, '$1localhost')]) {
    try {
      return new URL(candidate);
    } catch {
      // try the next form
    }
  }
  return undefined;
}

/**
 * Whether DATA_DIR already holds an embedded database (PostgreSQL's PG_VERSION file, which PGlite's
 * initdb writes first). Opening a directory that does not is what silently creates a new, empty database.
 */
export function embeddedDatabaseExists(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}
