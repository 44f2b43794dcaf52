import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../src/db/migrate.js';
import { openPostgres } from '../../src/db/postgres.js';

/**
 * Databases and Redis on the shared servers that `npm test` (scripts/test.mjs) starts once per run and
 * announces in TEST_DATABASE_URL and TEST_REDIS_URL. Each test file takes its own fresh database, so
 * files running side by side never see each other's rows.
 *
 * Redis has no such isolation here (a cluster has no numbered databases): tests sharing TEST_REDIS_URL
 * must use a key prefix of their own (see uniqueName) and must not FLUSHALL.
 */

const HOW = 'run the tests through `npm test` (it starts PostgreSQL and Redis), or set it yourself to a server you own';

function required(name: 'TEST_DATABASE_URL' | 'TEST_REDIS_URL'): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: ${HOW}`);
  return v;
}

/** The shared PostgreSQL server's admin URL (a superuser on the `postgres` database). */
export function testDatabaseUrl(): string {
  return required('TEST_DATABASE_URL');
}

/** The shared Redis server's URL. */
export function testRedisUrl(): string {
  return required('TEST_REDIS_URL');
}

/** A name no other test process picks: safe for database names and Redis key prefixes. */
export function uniqueName(prefix = 'stockade_test'): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export interface ServerDatabase {
  /** postgres://… of the new database, for openPostgres or DATABASE_URL. */
  readonly url: string;
  readonly name: string;
  /** Drops the database, disconnecting whatever is still connected. Safe to call twice. */
  drop(): Promise<void>;
}

/** Advisory lock key serialising migrations across test processes (see createServerDatabase). */
const MIGRATE_LOCK = 7317002;

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabaseUrl(), connectionTimeoutMillis: 5000 });
  client.on('error', () => {}); // the server going away mid-test must not crash the process
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A new, empty, fully migrated database on the shared server.
 *
 * Migrations create a cluster-wide role (stockade_app) with "create if missing", which races when two
 * test processes migrate two databases at once: both see no role, one CREATE ROLE fails. The advisory
 * lock in migrate() cannot help (advisory locks are per database), so migrations here take turns under a
 * lock held on the admin database.
 */
export async function createServerDatabase(): Promise<ServerDatabase> {
  const name = uniqueName();
  const url = new URL(testDatabaseUrl());
  url.pathname = `/${name}`;
  await withAdmin(async (admin) => {
    await admin.query(`CREATE DATABASE ${name}`); // name is ours: [a-z0-9_] only
    await admin.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK]);
    try {
      const db = openPostgres(url.toString(), { max: 1 });
      try {
        await migrate(db);
      } finally {
        await db.close();
      }
    } catch (err) {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      throw err;
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK]).catch(() => {});
    }
  });
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      // FORCE (PostgreSQL 13+) ends sessions a test left open instead of failing on them.
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
