import type { RedisBreaker } from '../../redis/breaker.js';
import type { Revocation } from '../bus/bus.js';
import type { RedisSessionCache } from './redis-tier.js';
import type { SessionUser } from '../../auth/user.js';
import type { SessionRecord } from '../session.js';
import type { CreatedSession, SessionStore, StoredSession } from '../stores/store.js';

/**
 * PostgreSQL with Redis in front (Django's `cached_db`): PostgreSQL is the truth, Redis a shared cache.
 *
 * - Reads: Redis, and on a miss PostgreSQL, then Redis is refilled (tiers/redis-tier.ts: the fill protocol
 *   that cannot resurrect a session revoked meanwhile).
 * - Writes: PostgreSQL first. If PostgreSQL fails, the error propagates (503) and Redis is untouched;
 *   if Redis fails afterwards, the request still succeeds (PostgreSQL has it) and the breaker takes Redis
 *   out of service until it is repaired.
 * - Renewal: PostgreSQL's conditional UPDATE decides; Redis is renewed (conditionally too) only after
 *   PostgreSQL said yes. A "no" from PostgreSQL removes any stale copy from Redis.
 * - Revocation: delete in PostgreSQL, then in Redis. A Redis delete that did not certainly happen marks
 *   Redis dirty, and a dirty Redis is flushed before it is trusted again (redis/breaker.ts). Revoking
 *   all of a user deletes the keys of exactly the sessions PostgreSQL's DELETE named (Redis keeps no
 *   per-user index).
 *
 * Every Redis call goes through the breaker, so with Redis down no request waits for it: each one goes
 * straight to PostgreSQL and nobody is signed out.
 *
 * - Revocations made elsewhere (S-90): a server cut off from Redis, or a CLI without REDIS_URL, revokes
 *   in PostgreSQL but cannot delete the Redis copies. Its bus message says so, and `forget` does the
 *   delete here. Until that delete has finished, a Redis hit on a session the message names is not
 *   believed (read from PostgreSQL instead, no refill): otherwise a request arriving between the
 *   message and the delete would take the stale copy from Redis into this server's memory.
 */
export class TieredSessionStore implements SessionStore {
  /** Counters for tests and metrics. */
  readonly stats = { redisHits: 0, redisMisses: 0, fills: 0, fillsRefused: 0, forgotten: 0 };
  /** Revocations heard whose Redis delete is still running here (see `forget`). */
  private readonly pending = new PendingRevocations();

  constructor(
    private readonly truth: SessionStore,
    private readonly redis: RedisSessionCache,
    private readonly breaker: RedisBreaker,
  ) {}

  async create(session: SessionRecord, user: SessionUser, maxPerUser: number, passwordChangedAt?: Date): Promise<CreatedSession | null> {
    // The truth decides whether the user may still have a session, and with which role (S-72).
    const created = await this.truth.create(session, user, maxPerUser, passwordChangedAt);
    if (!created) return null;
    if (created.evicted.length > 0) {
      const evicted = created.evicted.map((e) => e.idHash);
      await this.breaker.runDelete(() => this.redis.deleteMany(evicted));
    }
    // Write-through, by the same protocol as a refill: a revoke-all racing this sign-in must win (and
    // the fill copies the user from the truth, never from the caller).
    await this.fill(session.idHash);
    return created;
  }

  async get(idHash: Buffer): Promise<StoredSession | null> {
    const cached = await this.breaker.run(() => this.redis.get(idHash));
    if (cached.ok && cached.value.kind === 'hit') {
      // Judged when the answer arrives, not when asked: a revocation heard meanwhile counts.
      if (this.pending.covers(idHash, cached.value.value.session.userId)) return this.truth.get(idHash);
      this.stats.redisHits++;
      return cached.value.value;
    }
    this.stats.redisMisses++;
    const found = await this.truth.get(idHash);
    if (!found || !cached.ok || cached.value.kind !== 'miss') return found;
    const filled = await this.fill(idHash);
    return filled === undefined ? found : filled;
  }

  async touch(idHash: Buffer, lastSeenAt: Date, idleExpiresAt: Date): Promise<boolean> {
    const renewed = await this.truth.touch(idHash, lastSeenAt, idleExpiresAt);
    if (renewed) {
      // Best effort: a Redis copy left behind by a failure is older, never wrong (expiry judged again).
      await this.breaker.run(() => this.redis.touch(idHash, lastSeenAt, idleExpiresAt));
    } else {
      // Gone or expired in the truth: whoever deleted it also cleaned Redis (or marked it dirty); this
      // only tidies a leftover copy, so a skipped tidy-up need not make Redis dirty.
      await this.breaker.run(() => this.redis.delete(idHash));
    }
    return renewed;
  }

  async rotate(oldIdHash: Buffer, next: SessionRecord): Promise<boolean> {
    const rotated = await this.truth.rotate(oldIdHash, next);
    // Whether or not it rotated, the old hash must not survive in Redis. The new one fills on first read.
    await this.breaker.runDelete(() => this.redis.delete(oldIdHash));
    return rotated;
  }

  async delete(idHash: Buffer): Promise<SessionRecord | null> {
    const gone = await this.truth.delete(idHash);
    await this.breaker.runDelete(() => this.redis.delete(idHash));
    return gone;
  }

  async deleteById(userId: string, publicId: string): Promise<SessionRecord | null> {
    const gone = await this.truth.deleteById(userId, publicId);
    if (gone) await this.breaker.runDelete(() => this.redis.delete(gone.idHash));
    return gone;
  }

  async deleteUser(userId: string, keep?: Buffer): Promise<Buffer[]> {
    // The truth names what it ended; a fill racing this is covered by the fill protocol (a fill whose
    // re-read came before the DELETE has its key named here; one after it commits nothing).
    return this.deleteFromRedis(await this.truth.deleteUser(userId, keep));
  }

  async forgetEnded(userId: string, idHashes: readonly Buffer[]): Promise<Buffer[]> {
    return this.deleteFromRedis(await this.truth.forgetEnded(userId, idHashes));
  }

  private async deleteFromRedis(gone: Buffer[]): Promise<Buffer[]> {
    if (gone.length > 0) await this.breaker.runDelete(() => this.redis.deleteMany(gone));
    return gone;
  }

  async deleteAll(): Promise<number> {
    const n = await this.truth.deleteAll();
    await this.breaker.runDelete(() => this.redis.flushSessions());
    return n;
  }

  /**
   * Deletes from Redis what a revocation heard on the bus names, for a publisher that could not. The
   * hold on Redis hits starts now, synchronously (the bus handler calls this before any other request
   * can run), and ends when the delete is done or journaled (breaker down: Redis is not read at all
   * until the journal has been replayed).
   */
  async forget(r: Revocation): Promise<void> {
    const release = this.pending.hold(r);
    this.stats.forgotten++;
    try {
      if (r.kind === 'session') await this.breaker.runDelete(() => this.redis.delete(r.idHash));
      else if (r.kind === 'user' && r.hashPrefixes) {
        const named = r.hashPrefixes;
        await this.breaker.runDelete(() => this.redis.deleteMany(named));
      }
      // "all", or a user revocation that names no sessions (an older publisher: it relied on a per-user
      // index Redis no longer has). Nothing tells which keys are the user's: flush them all.
      else await this.breaker.runDelete(() => this.redis.flushSessions());
    } finally {
      release();
    }
  }

  listUser(userId: string): Promise<SessionRecord[]> {
    return this.truth.listUser(userId);
  }

  /** Redis entries expire on their own (TTL = idle expiry); only PostgreSQL needs purging. */
  purgeExpired(now: Date, limit: number): Promise<number> {
    return this.truth.purgeExpired(now, limit);
  }

  /**
   * The fill protocol (tiers/redis-tier.ts): claim, read the truth again, commit or abort.
   * Returns the fresh read (null: revoked meanwhile), or undefined when no fill happened (key taken,
   * Redis unavailable) and the caller keeps what it read.
   */
  private async fill(idHash: Buffer): Promise<StoredSession | null | undefined> {
    const claim = await this.breaker.run(() => this.redis.beginFill(idHash));
    if (!claim.ok || !claim.value) return undefined;
    const marker = claim.value;
    let fresh: StoredSession | null;
    try {
      fresh = await this.truth.get(idHash);
    } catch (err) {
      await this.breaker.run(() => this.redis.abortFill(idHash, marker));
      throw err;
    }
    if (!fresh) {
      await this.breaker.run(() => this.redis.abortFill(idHash, marker));
      this.stats.fillsRefused++;
      return null;
    }
    const committed = await this.breaker.run(() => this.redis.commitFill(marker, fresh));
    if (committed.ok && committed.value) this.stats.fills++;
    return fresh;
  }
}

/**
 * Counted holds on sessions, users and "everyone": several revocations of one user may overlap, and
 * each release ends only its own hold. A user hold also covers the session the revocation kept (its
 * hit is simply read from PostgreSQL for a moment), which keeps the check to one lookup per map.
 */
class PendingRevocations {
  private readonly sessions = new Map<string, number>();
  private readonly users = new Map<string, number>();
  private everyone = 0;

  hold(r: Revocation): () => void {
    if (r.kind === 'all') {
      this.everyone++;
      return () => {
        this.everyone--;
      };
    }
    const [map, key] = r.kind === 'session' ? [this.sessions, r.idHash.toString('base64url')] : [this.users, r.userId];
    map.set(key, (map.get(key) ?? 0) + 1);
    return () => {
      const n = (map.get(key) ?? 1) - 1;
      if (n > 0) map.set(key, n);
      else map.delete(key);
    };
  }

  covers(idHash: Buffer, userId: string): boolean {
    if (this.everyone > 0) return true;
    if (this.sessions.size === 0 && this.users.size === 0) return false;
    return this.users.has(userId) || this.sessions.has(idHash.toString('base64url'));
  }
}
