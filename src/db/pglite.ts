import { mkdirSync } from 'node:fs';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { type Db, enterTenant, type Queryable, type QueryResult, type Statement } from './db.js';

function wrap(target: Pick<PGlite, 'query' | 'exec'>): Queryable {
  return {
    async query<R>(statement: string | Statement, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const sql = typeof statement === 'string' ? statement : statement.text;
      if (!params || params.length === 0) {
        // Like node-postgres, a query without parameters goes over the simple protocol, so a string of
        // several statements (a migration file) runs on both drivers; PGlite's query() would refuse it
        // ("cannot insert multiple commands into a prepared statement"). The last statement's result wins.
        const all = await target.exec(sql);
        const last = all[all.length - 1];
        return { rows: (last?.rows ?? []) as R[], rowCount: last?.affectedRows ?? 0 };
      }
      const res = await target.query<R>(sql, params as unknown[]);
      return { rows: res.rows, rowCount: res.affectedRows ?? 0 };
    },
  };
}

/**
 * Extensions the migrations create (017: pg_trgm, for search). PGlite loads an extension's code only
 * when it is named here at open time; without it CREATE EXTENSION fails, and a database that already
 * has it fails on the first query that uses it. Every PGlite this project opens passes these.
 */
export const PGLITE_EXTENSIONS = { pg_trgm } as const;

/**
 * Embedded PostgreSQL (PGlite, WASM, in-process). One connection: PGlite serialises queries and
 * transactions itself, so a transaction here is naturally exclusive.
 * `dataDir` undefined means in-memory (tests that want a throwaway database).
 * `opts.loadDataDir` starts from a tarball made by PGlite's dumpDataDir() instead of running initdb
 * (~0.4 s instead of ~4 s: the test template).
 */
export async function openPglite(dataDir: string | undefined, opts: Pick<PGliteOptions, 'loadDataDir'> = {}): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pg = await PGlite.create({ ...(dataDir ? { dataDir } : {}), ...opts, extensions: PGLITE_EXTENSIONS });
  const plain = wrap(pg);
  const db: Db = {
    kind: 'pglite',
    query: plain.query,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    tenant: (shopId, fn) =>
      pg.transaction(async (tx) => {
        const q = wrap(tx);
        await enterTenant(q, shopId);
        return fn(q);
      }),
    async ping() {
      await pg.query('SELECT 1');
    },
    async close() {
      if (!pg.closed) await pg.close();
    },
  };
  return db;
}
