import { createHash } from 'node:crypto';
import type { Queryable } from '../db/db.js';
import { AppError } from '../errors.js';
import type { IdempotencyTicket, Outcome } from './types.js';

/*
 * Idempotency-Key for POSTs. The record is claimed at the start of the request's own tenant
 * transaction and filled with the response at its end, so:
 *  - a retry after success finds the record and gets the first response; nothing is written again;
 *  - a retry racing the first request blocks on the primary key until the first commits (then replays)
 *    or rolls back (then runs itself) — two requests with one key never both write;
 *  - a failure rolls the claim back with everything else, so a retry of a failure runs again.
 * Records live 24 hours; each use of a key purges the merchant's expired ones.
 */

/** Keys are client-chosen: printable ASCII, 1–255 chars (a UUID is typical). */
const KEY = /^[\x21-\x7e]{1,255}$/;

export function checkIdempotencyKey(key: string): string {
  if (!KEY.test(key)) {
    throw new AppError('validation', 'Idempotency-Key must be 1 to 255 printable ASCII characters.', {
      errors: [{ path: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' }],
    });
  }
  return key;
}

/** What a retry must repeat exactly: the method, the path and the body. */
export function requestHash(method: string, path: string, body: string): string {
  return createHash('sha256').update(`${method} ${path}\n`).update(body).digest('hex');
}

export async function idempotent<T>(
  tx: Queryable,
  shopId: string,
  ticket: IdempotencyTicket | undefined,
  fn: () => Promise<T>,
): Promise<Outcome<T>> {
  if (!ticket) return { result: await fn(), replayed: false };
  await tx.query(`DELETE FROM idempotency_keys WHERE shop_id = $1 AND created_at < now() - interval '24 hours'`, [shopId]);
  const claimed = await tx.query(
    `INSERT INTO idempotency_keys (shop_id, key, request_hash) VALUES ($1, $2, $3)
     ON CONFLICT (shop_id, key) DO NOTHING RETURNING key`,
    [shopId, ticket.key, ticket.requestHash],
  );
  if (claimed.rows.length === 0) {
    const prior = await tx.query<{ request_hash: string; response: T }>(
      'SELECT request_hash, response FROM idempotency_keys WHERE shop_id = $1 AND key = $2',
      [shopId, ticket.key],
    );
    const row = prior.rows[0];
    // The claim and the response commit together, so a visible record always has its response.
    if (!row || row.response === null) throw new Error('idempotency record without a response');
    if (row.request_hash !== ticket.requestHash) {
      throw new AppError('conflict', 'This Idempotency-Key was already used for a different request.');
    }
    return { result: row.response, replayed: true };
  }
  const result = await fn();
  await tx.query('UPDATE idempotency_keys SET response = $3::jsonb WHERE shop_id = $1 AND key = $2', [
    shopId,
    ticket.key,
    JSON.stringify(result),
  ]);
  return { result, replayed: false };
}
