import type { Db } from './db.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

export interface DbConfig {
  databaseUrl: string | undefined;
  /** Pool size on a PostgreSQL server (DATABASE_POOL_SIZE); PGlite is one connection. */
  databasePoolSize?: number;
  dataDir: string;
}

/** A PostgreSQL server when DATABASE_URL is set, otherwise embedded PGlite files in DATA_DIR. */
export async function openDb(config: DbConfig): Promise<Db> {
  if (!config.databaseUrl) return openPglite(config.dataDir);
  return openPostgres(config.databaseUrl, config.databasePoolSize === undefined ? {} : { max: config.databasePoolSize });
}
