import type { SessionUser } from '../../auth/user.js';
import type { EndReason } from '../bus/bus.js';
import type { SessionRecord } from '../session.js';

/** A value, or a promise of it: for the reads that memory can answer without waiting. */
export type MaybePromise<T> = T | Promise<T>;

/** A session as a store returns it: the record and a snapshot of its user. */
export interface StoredSession {
  readonly session: SessionRecord;
  readonly user: SessionUser;
}

/** What `create` wrote: the user as the store holds them now (the snapshot to cache) and the evicted sessions. */
export interface CreatedSession {
  readonly user: SessionUser;
  readonly evicted: SessionRecord[];
}

/**
 * Where sessions live. Small on purpose: every backend (PostgreSQL, Redis over PostgreSQL, memory) is one
 * short file, and one contract suite (test/integration/sessions/store-contract) runs against them all.
 *
 * Semantics every implementation keeps:
 * - Keys are SHA-256 token hashes; a store never sees a token.
 * - `create` writes only while the user is enabled (and, given `passwordChangedAt`, still has the
 *   password the caller checked), and answers the user *as stored when it wrote* (role included), not
 *   the snapshot it was handed: a sign-in reads the user before its ~20 ms hash, and an admin's
 *   disable, demotion or voiding of a leaked password can land in between (S-72). The check and the
 *   write are one atomic step that a concurrent change to the user is ordered against
 *   (stores/postgres.ts: a share lock on the user row), so either the change sees the new session and
 *   revokes it, or the session is written with the state after the change. Null, and nothing written,
 *   for a disabled or gone user, or a password changed since.
 * - `get` returns the row as stored; the engine judges expiry. A disabled user's sessions are not returned.
 *   A tier that answers from memory (the local cache) returns the value itself rather than a promise:
 *   this read runs on every request, and a promise there costs a microtask for nothing.
 * - `touch` is a conditional update of a row that still exists and has not expired — never an upsert — so
 *   a renewal racing a revocation cannot bring the session back.
 * - `rotate` replaces one row by another atomically: afterwards the old hash is gone, or nothing changed
 *   (false) because the old row was already gone.
 * - Deletes report what they removed so caches above can forget it. Their `reason` says why, for the
 *   event streams (sessions/events.ts); a store with nobody to tell (every store but the bus-backed
 *   local cache, tiers/local-cached-store.ts) ignores it.
 */
export interface SessionStore {
  /**
   * Inserts a new session if its user is still enabled and, when `passwordChangedAt` (when the password
   * the caller verified was set) is given, the password has not been changed since; then, beyond
   * `maxPerUser`, removes that user's oldest. `user` is the caller's (possibly stale) view; the answer
   * holds the current one.
   */
  create(session: SessionRecord, user: SessionUser, maxPerUser: number, passwordChangedAt?: Date): Promise<CreatedSession | null>;
  get(idHash: Buffer): MaybePromise<StoredSession | null>;
  /**
   * `get` by the hash as base64url text (tokens.ts tokenKey), for a store that answers from memory
   * keyed so (the local cache): the per-request lookup then makes no Buffer. Optional; the engine
   * falls back to `get`.
   */
  getByKey?(key: string): MaybePromise<StoredSession | null>;
  touch(idHash: Buffer, lastSeenAt: Date, idleExpiresAt: Date): Promise<boolean>;
  rotate(oldIdHash: Buffer, next: SessionRecord): Promise<boolean>;
  delete(idHash: Buffer, reason?: EndReason): Promise<SessionRecord | null>;
  /** One of a user's sessions by its public id (a user can only ever name their own). */
  deleteById(userId: string, publicId: string, reason?: EndReason): Promise<SessionRecord | null>;
  /**
   * All of a user's sessions but `keep`. Returns the token hashes of the sessions that went, as the
   * deleting statement saw them (`DELETE … RETURNING`): the caches above remove exactly those, since
   * nothing but the truth knows which sessions a user has (the Redis tier keeps no per-user index).
   */
  deleteUser(userId: string, keep?: Buffer, reason?: EndReason): Promise<Buffer[]>;
  /**
   * Sessions of a user that PostgreSQL already ended outside the store, in a transaction that named
   * them (an erased account's rows, privacy/delete-account.ts): nothing left to delete in the truth,
   * but the caches above forget exactly these and every server hears of the user, as for deleteUser.
   * Returns them.
   */
  forgetEnded(userId: string, idHashes: readonly Buffer[], reason?: EndReason): Promise<Buffer[]>;
  /** Every session of every user ("sign everyone out"). Returns how many went. */
  deleteAll(reason?: EndReason): Promise<number>;
  listUser(userId: string): Promise<SessionRecord[]>;
  /** Removes up to `limit` sessions past their idle or absolute expiry; returns the count. */
  purgeExpired(now: Date, limit: number): Promise<number>;
  close?(): Promise<void>;
}
