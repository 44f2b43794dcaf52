/**
 * The one database interface every repository and store talks to.
 *
 * It hides the driver (PGlite in-process, or a pg.Pool to a PostgreSQL server), never the dialect:
 * both speak the same PostgreSQL, so the same SQL and the same migrations run on both.
 */
export interface QueryResult<R> {
  rows: R[];
  /** Rows inserted, updated or deleted (0 for a SELECT on PGlite; use rows.length there). */
  rowCount: number;
}

/**
 * A statement a PostgreSQL server parses and plans once per connection and then only executes (a named
 * prepared statement): for the few that run on every request the local cache cannot answer. Planning
 * the session lookup took as long as running it — as a prepared statement it is 2.2× the lookups per
 * second on one connection pool. Only for fixed text: every distinct name stays prepared on every
 * connection for its lifetime. PGlite runs it as an ordinary query.
 */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

export const prepared = (name: string, text: string): Statement => Object.freeze({ name, text });

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string | Statement, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs fn inside BEGIN … COMMIT on one connection; any throw rolls everything back, so a failure
   * half-way never leaves half-written data.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * A transaction scoped to one shop (the tenant): it drops to the non-owner role `stockade_app` and sets
   * `app.shop_id`, so PostgreSQL row-level security confines every statement to that tenant even if
   * the SQL forgets its WHERE clause.
   */
  tenant<T>(shopId: string, fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Resolves when the database answers a trivial query; rejects otherwise (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The role that tenant transactions run as; created by the migrations, owner of nothing. */
export const APP_ROLE = 'stockade_app';

/** SQL run at the start of every tenant transaction (role first, then the tenant setting). */
export async function enterTenant(tx: Queryable, shopId: string): Promise<void> {
  await tx.query(`SET LOCAL ROLE ${APP_ROLE}`);
  // set_config(…, true) is SET LOCAL with a bind parameter, so the id is never spliced into SQL.
  await tx.query(`SELECT set_config('app.shop_id', $1, true)`, [shopId]);
}
