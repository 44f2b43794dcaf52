import type { StoredSession } from '../stores/store.js';

/**
 * This server's memory of validated sessions: a bounded LRU (a Map keeps insertion order; a hit moves
 * the entry to the end, the first entry is the least recently used) with a per-user index, so "drop
 * every session of this user" costs the user's entries, not a scan.
 *
 * It is only as honest as the revocation bus that empties it, so:
 * - It is enabled only while the bus is up; `disable` (bus down) empties it and every lookup reads
 *   through until `enable` (bus back).
 * - Insertions are guarded by a generation counter. A reader takes `generation()` before it asks Redis
 *   or PostgreSQL and passes it to `insert`; any drop, clear, enable or disable in between bumps the
 *   counter and the insertion is refused. Without this, a read that started just before a revocation and
 *   finished just after its bus message would put the revoked session back into memory.
 * - Entries are judged again by the engine on every hit (expiry); `refresh` keeps a renewed entry's
 *   lastSeenAt/idleExpiresAt current so the engine's write throttle works from memory.
 */
export class LocalSessionCache {
  private readonly entries = new Map<string, StoredSession>();
  private readonly byUser = new Map<string, Set<string>>();
  private gen = 0;
  private on = false;
  readonly stats = { hits: 0, misses: 0, inserts: 0, refused: 0, drops: 0, clears: 0 };

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('cache capacity must be a positive integer');
  }

  get enabled(): boolean {
    return this.on;
  }

  get size(): number {
    return this.entries.size;
  }

  generation(): number {
    return this.gen;
  }

  get(key: string): StoredSession | undefined {
    if (!this.on) return undefined;
    const e = this.entries.get(key);
    if (!e) {
      this.stats.misses++;
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, e);
    this.stats.hits++;
    return e;
  }

  /** Stores a value read while the generation was `readGeneration`; refused if anything was dropped since. */
  insert(key: string, value: StoredSession, readGeneration: number): boolean {
    if (!this.on || readGeneration !== this.gen) {
      this.stats.refused++;
      return false;
    }
    this.remove(key);
    this.entries.set(key, value);
    let mine = this.byUser.get(value.session.userId);
    if (!mine) {
      mine = new Set();
      this.byUser.set(value.session.userId, mine);
    }
    mine.add(key);
    this.stats.inserts++;
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.remove(oldest);
    }
    return true;
  }

  /** After a successful renewal: the newer times, never older ones; never inserts. */
  refresh(key: string, lastSeenAt: Date, idleExpiresAt: Date): void {
    const e = this.entries.get(key);
    if (!e || e.session.lastSeenAt.getTime() >= lastSeenAt.getTime()) return;
    this.entries.set(key, { user: e.user, session: { ...e.session, lastSeenAt, idleExpiresAt } });
  }

  dropSession(key: string): void {
    this.gen++;
    this.stats.drops++;
    this.remove(key);
  }

  dropUser(userId: string, keepKey?: string): void {
    this.gen++;
    this.stats.drops++;
    for (const key of [...(this.byUser.get(userId) ?? [])]) {
      if (key !== keepKey) this.remove(key);
    }
  }

  clear(): void {
    this.gen++;
    this.stats.clears++;
    this.entries.clear();
    this.byUser.clear();
  }

  /** Bus up: start remembering (from empty). */
  enable(): void {
    this.clear();
    this.on = true;
  }

  /** Bus down: forget everything and read through until it is back. */
  disable(): void {
    this.on = false;
    this.clear();
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    const mine = this.byUser.get(e.session.userId);
    mine?.delete(key);
    if (mine && mine.size === 0) this.byUser.delete(e.session.userId);
  }
}
