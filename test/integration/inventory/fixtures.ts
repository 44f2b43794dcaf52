import assert from 'node:assert/strict';
import { Users } from '../../../src/auth/users.js';
import type { Db } from '../../../src/db/db.js';
import { openPostgres } from '../../../src/db/postgres.js';
import { AppError, type ErrorCode } from '../../../src/errors.js';
import { uniqueUsername } from '../../support/client.js';
import { openTestPglite } from '../../support/pglite.js';
import { createServerDatabase } from '../../support/test-databases.js';

/** The two databases every inventory test runs on. */
export const BACKENDS = ['pglite', 'postgres'] as const;
export type Backend = (typeof BACKENDS)[number];

export interface TestDb {
  db: Db;
  close(): Promise<void>;
}

/** A fresh migrated database: in-memory PGlite, or a new database on the shared PostgreSQL server. */
export async function openTestDb(backend: Backend): Promise<TestDb> {
  if (backend === 'pglite') {
    const db = await openTestPglite();
    return { db, close: () => db.close() };
  }
  const created = await createServerDatabase();
  // 10 connections like production, so concurrent tests really contend.
  const db = openPostgres(created.url, { max: 10 });
  return {
    db,
    async close() {
      await db.close();
      await created.drop();
    },
  };
}

/**
 * A merchant and the shop they own (no password ever checked here, so no argon2 cost). The shop is
 * given its owner's id, so these repository tests can pass one value as both the tenant and the `by` of
 * a movement. The HTTP tests sign up through the API, whose shops get ids of their own: a route that
 * confused the user with the shop fails there.
 */
export async function newMerchant(db: Db): Promise<string> {
  return db.transaction(async (tx) => {
    const user = await new Users(db).create(uniqueUsername('merchant'), '$argon2id$v=19$m=19456,t=2,p=1$unused$unused', 'merchant', tx);
    await tx.query(`INSERT INTO shops (id, name) VALUES ($1, 'test shop')`, [user.id]);
    await tx.query(`INSERT INTO memberships (shop_id, user_id, role) VALUES ($1, $1, 'owner')`, [user.id]);
    return user.id;
  });
}

/** Asserts that `promise` rejects with an AppError of this code (and status, when given). */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, status?: number): Promise<AppError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof AppError, `expected AppError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `code (${caught.detail})`);
  if (status !== undefined) assert.equal(caught.status, status);
  return caught;
}

/** Counts rows as the owner (outside any tenant): what is really stored, whoever it belongs to. */
export async function countAll(db: Db, table: 'items' | 'movements' | 'idempotency_keys'): Promise<number> {
  const res = await db.query<{ n: number | string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(res.rows[0]?.n);
}
