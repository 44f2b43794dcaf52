import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { type Db, enterTenant, type Queryable, type QueryResult } from './db.js';

function wrap(target: Pick<PGlite, 'query'>): Queryable {
  return {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const res = await target.query<R>(sql, params as unknown[] | undefined);
      return { rows: res.rows, rowCount: res.affectedRows ?? 0 };
    },
  };
}

/**
 * Embedded PostgreSQL (PGlite, WASM, in-process). One connection: PGlite serialises queries and
 * transactions itself, so a transaction here is naturally exclusive.
 * `dataDir` undefined means in-memory (tests that want a throwaway database).
 */
export async function openPglite(dataDir: string | undefined): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pg = await PGlite.create(dataDir);
  const plain = wrap(pg);
  const db: Db = {
    kind: 'pglite',
    query: plain.query,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    tenant: (merchantId, fn) =>
      pg.transaction(async (tx) => {
        const q = wrap(tx);
        await enterTenant(q, merchantId);
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
