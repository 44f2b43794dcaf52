import pg from 'pg';
import { type Db, enterTenant, type Queryable, type QueryResult, type Statement } from './db.js';

function wrap(target: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<R>(sql: string | Statement, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const values = params as unknown[] | undefined;
      const res = await (typeof sql === 'string' ? target.query(sql, values) : target.query({ name: sql.name, text: sql.text, values }));
      return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
    },
  };
}

export interface PostgresOptions {
  max?: number;
  /** How long a query may wait for a free connection before failing (so an outage answers 503 fast). */
  connectionTimeoutMillis?: number;
}

/** A PostgreSQL server through a pg.Pool. */
export function openPostgres(url: string, opts: PostgresOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 3000,
    // Without it a half-dead TCP connection can hang a request for minutes.
    keepAlive: true,
  });
  // An idle client that loses its server emits 'error' on the pool; unhandled it would crash the process.
  pool.on('error', () => {});

  async function inTransaction<T>(fn: (tx: Queryable) => Promise<T>, shopId?: string): Promise<T> {
    const client = await pool.connect();
    let broken = false;
    // pg-pool listens for errors on idle clients only. A checked-out client whose server goes away (a
    // restart terminates the backend, then the socket ends) emits 'error' with nobody listening, and
    // that crashes the process; found by the PostgreSQL outage fault test. The statement in flight
    // fails on its own; this only marks the connection as not to be reused.
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const tx = wrap(client);
      if (shopId !== undefined) await enterTenant(tx, shopId);
      const out = await fn(tx);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection itself is gone; do not return it to the pool
      }
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  const plain = wrap(pool);
  return {
    kind: 'postgres',
    query: plain.query,
    transaction: (fn) => inTransaction(fn),
    tenant: (shopId, fn) => inTransaction(fn, shopId),
    async ping() {
      await pool.query('SELECT 1');
    },
    close: () => pool.end(),
  };
}
