import { type EndReason, HASH_PREFIX_BYTES, type Revocation, type RevocationBus, splitRevocation } from '../bus/bus.js';
import type { LocalSessionCache } from './local-cache.js';
import type { SessionUser } from '../../auth/user.js';
import type { SessionRecord } from '../session.js';
import type { CreatedSession, MaybePromise, SessionStore, StoredSession } from '../stores/store.js';

/**
 * The outermost tier: this server's LRU of validated sessions (tiers/local-cache.ts) over any SessionStore, kept
 * honest by the revocation bus (bus.ts). The hot path — a hit — is a Map lookup: no I/O.
 *
 * - Revocations (delete, deleteById, deleteUser, rotate, evictions at sign-in) run on the store below
 *   first (PostgreSQL, then Redis), then drop the local entries, then go on the bus so every other
 *   server drops them too. In that order: a server that re-reads after the message finds nothing.
 * - A renewal goes to the store below first (PostgreSQL conditionally, then Redis); only then is the
 *   local entry refreshed, so the engine's write throttle sees the latest lastSeenAt.
 * - A cached entry that looks expired is re-read before it is judged: another server may have renewed
 *   the session, and this server's copy is only as fresh as its own last renewal.
 * - With the bus down the cache is empty and off; every check reads through.
 * - Each message says whether the store below removed the revoked sessions from Redis (`tierClean`):
 *   false when it had no Redis, or its Redis deletes are journaled (cut off), so the receivers do it.
 *   A user revocation then names the sessions PostgreSQL ended (their hash prefixes: Redis has no
 *   per-user index to find them by), in as many messages as the names need (bus.ts splitRevocation).
 */
export class CachedSessionStore implements SessionStore {
  constructor(
    private readonly inner: SessionStore,
    private readonly cache: LocalSessionCache | undefined,
    private readonly bus: RevocationBus,
    private readonly now: () => number = Date.now,
    /** True when the store below has no Redis delete outstanding (false: no Redis tier at all). */
    private readonly tierClean: () => boolean = () => false,
  ) {
    const c = cache;
    bus.listen({
      onStateChange: (up) => (up ? c?.enable() : c?.disable()),
      onRevocation: (r) => {
        if (!c) return;
        if (r.kind === 'session') c.dropSession(keyOf(r.idHash));
        else if (r.kind === 'user') c.dropUser(r.userId, r.keep ? keyOf(r.keep) : undefined);
        else c.clear();
      },
    });
    if (bus.up) c?.enable();
  }

  /** A hit is answered synchronously (no promise: this is the per-request hot path); a miss reads through. */
  get(idHash: Buffer): MaybePromise<StoredSession | null> {
    const c = this.cache;
    if (!c?.enabled) return this.inner.get(idHash);
    const key = keyOf(idHash);
    const hit = c.get(key);
    if (hit && hit.session.idleExpiresAt.getTime() > this.now()) return hit;
    return this.readThrough(c, idHash, key, hit);
  }

  /** `get` by keyOf(idHash) (tokens.ts tokenKey): a hit makes no Buffer; a miss makes the one it asks with. */
  getByKey(key: string): MaybePromise<StoredSession | null> {
    const c = this.cache;
    if (!c?.enabled) return this.inner.get(Buffer.from(key, 'base64url'));
    const hit = c.get(key);
    if (hit && hit.session.idleExpiresAt.getTime() > this.now()) return hit;
    return this.readThrough(c, Buffer.from(key, 'base64url'), key, hit);
  }

  private async readThrough(
    c: LocalSessionCache,
    idHash: Buffer,
    key: string,
    stale: StoredSession | undefined,
  ): Promise<StoredSession | null> {
    const generation = c.generation();
    const found = await this.inner.get(idHash);
    if (found) c.insert(key, found, generation);
    else if (stale) c.dropSession(key);
    return found;
  }

  async create(session: SessionRecord, user: SessionUser, maxPerUser: number, passwordChangedAt?: Date): Promise<CreatedSession | null> {
    const generation = this.cache?.generation() ?? 0;
    const created = await this.inner.create(session, user, maxPerUser, passwordChangedAt);
    if (!created) return null;
    for (const e of created.evicted) await this.revoked({ kind: 'session', idHash: e.idHash });
    // The user as the truth held it when the session was written — never the caller's snapshot, which
    // a sign-in read before its hash and an admin's change may have outdated since (S-72). The next
    // check here is a hit (refused, like any insertion, if a revocation went by meanwhile — including
    // our own evictions, and an admin's revocation that saw this session).
    this.cache?.insert(keyOf(session.idHash), { session, user: created.user }, generation);
    return created;
  }

  async touch(idHash: Buffer, lastSeenAt: Date, idleExpiresAt: Date): Promise<boolean> {
    const renewed = await this.inner.touch(idHash, lastSeenAt, idleExpiresAt);
    if (renewed) this.cache?.refresh(keyOf(idHash), lastSeenAt, idleExpiresAt);
    else this.cache?.dropSession(keyOf(idHash));
    return renewed;
  }

  async rotate(oldIdHash: Buffer, next: SessionRecord): Promise<boolean> {
    const rotated = await this.inner.rotate(oldIdHash, next);
    // The session lives on under the new token: its streams close quietly and reconnect (sessions/events.ts).
    if (rotated) await this.revoked({ kind: 'session', idHash: oldIdHash, reason: 'rotated' });
    else this.cache?.dropSession(keyOf(oldIdHash));
    return rotated;
  }

  async delete(idHash: Buffer, reason?: EndReason): Promise<SessionRecord | null> {
    const gone = await this.inner.delete(idHash);
    // Published only when something was deleted: whoever deleted it before us published already, and
    // a stream of logouts with made-up tokens must not become a stream of bus messages.
    if (gone) await this.revoked({ kind: 'session', idHash, ...(reason ? { reason } : {}) });
    else this.cache?.dropSession(keyOf(idHash));
    return gone;
  }

  async deleteById(userId: string, publicId: string, reason?: EndReason): Promise<SessionRecord | null> {
    const gone = await this.inner.deleteById(userId, publicId);
    if (gone) await this.revoked({ kind: 'session', idHash: gone.idHash, ...(reason ? { reason } : {}) });
    return gone;
  }

  async deleteUser(userId: string, keep?: Buffer, reason?: EndReason): Promise<Buffer[]> {
    return this.userRevoked(userId, await this.inner.deleteUser(userId, keep), keep, reason);
  }

  async forgetEnded(userId: string, idHashes: readonly Buffer[], reason?: EndReason): Promise<Buffer[]> {
    return this.userRevoked(userId, await this.inner.forgetEnded(userId, idHashes), undefined, reason);
  }

  private async userRevoked(userId: string, gone: Buffer[], keep?: Buffer, reason?: EndReason): Promise<Buffer[]> {
    // Always published: this is the kill switch (disable, role change), and it is rare. The names go
    // along only when a receiver needs them (this server could not clean Redis).
    const tierClean = this.tierClean();
    const named = tierClean ? {} : { hashPrefixes: gone.map((h) => h.subarray(0, HASH_PREFIX_BYTES)) };
    await this.revoked({ kind: 'user', userId, ...(keep ? { keep } : {}), ...named, ...(reason ? { reason } : {}) }, tierClean);
    return gone;
  }

  async deleteAll(reason?: EndReason): Promise<number> {
    const n = await this.inner.deleteAll();
    await this.revoked({ kind: 'all', ...(reason ? { reason } : {}) });
    return n;
  }

  listUser(userId: string): Promise<SessionRecord[]> {
    return this.inner.listUser(userId);
  }

  /** Expired entries need no message: every server judges expiry on every hit. */
  purgeExpired(now: Date, limit: number): Promise<number> {
    return this.inner.purgeExpired(now, limit);
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }

  /**
   * Drops locally, then tells everyone; returns once the message (every message, when it had to be
   * split) is on its way to every server.
   */
  private async revoked(r: Revocation, tierClean = this.tierClean()): Promise<void> {
    if (r.kind === 'session') this.cache?.dropSession(keyOf(r.idHash));
    else if (r.kind === 'user') this.cache?.dropUser(r.userId, r.keep ? keyOf(r.keep) : undefined);
    else this.cache?.clear();
    await Promise.all(splitRevocation(r).map((part) => this.bus.publish(part, { tierClean })));
  }
}

function keyOf(idHash: Buffer): string {
  return idHash.toString('base64url');
}
