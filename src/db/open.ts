import type { Db } from './db.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

export interface DbConfig {
  databaseUrl: string | undefined;
  dataDir: string;
}

/** A PostgreSQL server when DATABASE_URL is set, otherwise embedded PGlite files in DATA_DIR. */
export async function openDb(config: DbConfig): Promise<Db> {
  return config.databaseUrl ? openPostgres(config.databaseUrl) : openPglite(config.dataDir);
}
