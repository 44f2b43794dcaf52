import type { Queryable } from '../db/db.js';
import type { RevocationBus } from '../sessions/bus/bus.js';
import { type SessionShops, sessionShops } from './session-shops.js';

/*
 * This server's memory of what "who am I" says about shops (session-shops.ts), so that the request every
 * page makes costs no PostgreSQL query (issue 20). Keyed by user, then by session (the active shop is the
 * session row's), filled from the same prepared statement, and kept honest exactly as the local session
 * cache is (sessions/tiers/local-cache.ts, docs/architecture.md "Local session cache"):
 *
 * - It is on only while the bus is up. Bus down (or not yet subscribed): emptied, and every read goes to
 *   PostgreSQL until the bus is back, when it starts again from empty. A notice lost on a dropped
 *   connection therefore never leaves a stale entry behind.
 * - A user's entries are dropped on every notice that says their shops changed: `shop.changed` (a role
 *   change, a removal, a deleted shop, requireMfa) and `session-shops` (a switch of the active shop, a
 *   shop opened or joined, a shop renamed or re-currencied: shop-notices.ts), on every server — this one
 *   included, before the changing request answers. A user revocation drops the user, `all` drops all.
 * - Insertions are guarded by a generation counter: a read that started before a drop and finished after
 *   it would otherwise put the old role back. Any drop, clear, enable or disable refuses every read then
 *   in flight (they are answered, not remembered).
 *
 * What this gives up (docs/architecture.md): another server's who-am-I may show the old role for the
 * bus's propagation time after the change answered (the publisher waits for its own echo, at most 50 ms).
 * The access guard is not served from here: shop routes read the membership fresh on every request
 * (membership.ts), so what a member may *do* changes at the commit, everywhere.
 */

/** A user with more sessions than this keeps the most recently read ones (sessions per user are capped lower). */
const SESSIONS_PER_USER = 16;

/** Which session: its public id (the key) and its id hash (what the query asks by). */
export interface SessionKey {
  readonly id: string;
  readonly idHash: Buffer;
}

export class SessionShopsCache {
  /**
   * userId → (the session's public id → what who-am-I shows). A Map in LRU order of users. Keyed by the
   * public id, a string the session already carries (a rotation keeps it, and the active shop with it),
   * so a hit makes no string from the id hash (issue 20); the id hash is what a miss queries by.
   */
  private readonly users = new Map<string, Map<string, SessionShops>>();
  private gen = 0;
  private on = false;
  readonly stats = { hits: 0, misses: 0, inserts: 0, refused: 0, drops: 0, clears: 0 };

  constructor(
    readonly capacity: number,
    private readonly db: Queryable,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('cache capacity must be a positive integer');
  }

  get enabled(): boolean {
    return this.on;
  }

  get size(): number {
    return this.users.size;
  }

  /**
   * Follows the bus: on while it is up, emptied on every change it reports. Call once, at start; a
   * cache that follows no bus stays off (nobody could tell it to forget).
   */
  follow(bus: RevocationBus): void {
    bus.listen({
      onStateChange: (up) => (up ? this.enable() : this.disable()),
      onRevocation: (r) => {
        if (r.kind === 'user') this.dropUser(r.userId);
        else if (r.kind === 'all') this.clear();
      },
      onNotice: (n) => {
        if (n.kind === 'shop.changed') this.dropUser(n.userId);
        else if (n.kind === 'session-shops') {
          if (n.userId === undefined) this.clear();
          else this.dropUser(n.userId);
        }
      },
    });
    if (bus.up) this.enable();
  }

  /** A hit is answered synchronously (no promise, no I/O); a miss reads PostgreSQL and remembers. */
  read(userId: string, session: SessionKey): SessionShops | Promise<SessionShops> {
    if (!this.on) return sessionShops(this.db, userId, session.idHash);
    const key = session.id;
    const mine = this.users.get(userId);
    const hit = mine?.get(key);
    if (mine && hit) {
      this.stats.hits++;
      this.users.delete(userId);
      this.users.set(userId, mine);
      return hit;
    }
    this.stats.misses++;
    return this.readThrough(userId, session.idHash, key);
  }

  private async readThrough(userId: string, sessionIdHash: Buffer, key: string): Promise<SessionShops> {
    const generation = this.gen;
    const found = await sessionShops(this.db, userId, sessionIdHash);
    this.insert(userId, key, found, generation);
    return found;
  }

  private insert(userId: string, key: string, value: SessionShops, readGeneration: number): void {
    if (!this.on || readGeneration !== this.gen) {
      this.stats.refused++;
      return;
    }
    let mine = this.users.get(userId);
    if (mine) this.users.delete(userId);
    else mine = new Map();
    this.users.set(userId, mine);
    mine.delete(key);
    mine.set(key, value);
    if (mine.size > SESSIONS_PER_USER) mine.delete(mine.keys().next().value as string);
    this.stats.inserts++;
    while (this.users.size > this.capacity) this.users.delete(this.users.keys().next().value as string);
  }

  /** This user's shops (or their standing in one) changed: forget every session of theirs. */
  dropUser(userId: string): void {
    this.gen++;
    this.stats.drops++;
    this.users.delete(userId);
  }

  clear(): void {
    this.gen++;
    this.stats.clears++;
    this.users.clear();
  }

  enable(): void {
    this.clear();
    this.on = true;
  }

  disable(): void {
    this.on = false;
    this.clear();
  }
}
