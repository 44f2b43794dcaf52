import type { Db } from '../db/db.js';
import {
  applyFailure,
  type HitResult,
  isBlank,
  type LockoutPolicy,
  type RateLimitState,
  type RateLimitStore,
  refundFailure,
} from './rate-limit-store.js';

/**
 * Throttling state in PostgreSQL (a server, or embedded PGlite): the `rate_limits` table.
 *
 * Atomicity: `hit` runs in one transaction that first makes sure the row exists (INSERT … ON CONFLICT
 * DO NOTHING: two first failures cannot both insert), then takes the row lock (SELECT … FOR UPDATE), so
 * concurrent hits on one key queue behind each other and each sees the previous one's result. Hits on
 * different keys never wait for each other.
 */

interface Row {
  failures: number;
  lockouts: number;
  locked_until: Date | null;
  expires_at: Date;
}

function toState(r: Row): RateLimitState {
  return { failures: r.failures, lockouts: r.lockouts, lockedUntil: r.locked_until, expiresAt: r.expires_at };
}

export class PostgresRateLimitStore implements RateLimitStore {
  constructor(private readonly db: Db) {}

  async hit(key: string, policy: LockoutPolicy, now: Date): Promise<HitResult> {
    return this.db.transaction(async (tx) => {
      // Born expired: applyFailure treats it exactly like a missing record.
      await tx.query(
        `INSERT INTO rate_limits (key, failures, lockouts, locked_until, expires_at)
         VALUES ($1, 0, 0, NULL, $2) ON CONFLICT (key) DO NOTHING`,
        [key, now],
      );
      const res = await tx.query<Row>('SELECT failures, lockouts, locked_until, expires_at FROM rate_limits WHERE key = $1 FOR UPDATE', [
        key,
      ]);
      const row = res.rows[0];
      const next = applyFailure(row ? toState(row) : null, policy, now);
      await tx.query('UPDATE rate_limits SET failures = $2, lockouts = $3, locked_until = $4, expires_at = $5 WHERE key = $1', [
        key,
        next.failures,
        next.lockouts,
        next.lockedUntil,
        next.expiresAt,
      ]);
      return next;
    });
  }

  /** The same row lock as `hit`, so a refund and concurrent hits on the key are applied one at a time. */
  async refund(key: string, policy: LockoutPolicy, now: Date, counted: HitResult): Promise<void> {
    await this.db.transaction(async (tx) => {
      const res = await tx.query<Row>('SELECT failures, lockouts, locked_until, expires_at FROM rate_limits WHERE key = $1 FOR UPDATE', [
        key,
      ]);
      const row = res.rows[0];
      const next = refundFailure(row ? toState(row) : null, policy, now, counted);
      if (!next) return;
      if (isBlank(next)) {
        await tx.query('DELETE FROM rate_limits WHERE key = $1', [key]);
        return;
      }
      await tx.query('UPDATE rate_limits SET failures = $2, lockouts = $3, locked_until = $4, expires_at = $5 WHERE key = $1', [
        key,
        next.failures,
        next.lockouts,
        next.lockedUntil,
        next.expiresAt,
      ]);
    });
  }

  async peek(key: string, now: Date): Promise<RateLimitState | null> {
    const res = await this.db.query<Row>(
      'SELECT failures, lockouts, locked_until, expires_at FROM rate_limits WHERE key = $1 AND expires_at > $2',
      [key, now],
    );
    return res.rows[0] ? toState(res.rows[0]) : null;
  }

  async reset(key: string): Promise<void> {
    await this.db.query('DELETE FROM rate_limits WHERE key = $1', [key]);
  }

  async purgeExpired(now: Date, limit: number): Promise<number> {
    const res = await this.db.query('DELETE FROM rate_limits WHERE key IN (SELECT key FROM rate_limits WHERE expires_at <= $1 LIMIT $2)', [
      now,
      limit,
    ]);
    return res.rowCount;
  }
}
