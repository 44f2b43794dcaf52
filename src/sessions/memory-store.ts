import type { SessionRecord, SessionUser } from './session.js';
import type { SessionStore, StoredSession } from './store.js';

/**
 * Sessions in this process's memory: for tests and single-process experiments. It keeps the same
 * contract as the PostgreSQL store (the contract suite runs on both). It holds the user snapshot given at
 * creation, so `disableUser` exists to mirror the PostgreSQL store's join on users.disabled.
 */
export class MemorySessionStore implements SessionStore {
  private readonly byHash = new Map<string, { session: SessionRecord; user: SessionUser }>();
  private readonly disabled = new Set<string>();

  async create(session: SessionRecord, user: SessionUser, maxPerUser: number): Promise<SessionRecord[]> {
    this.byHash.set(session.idHash.toString('hex'), { session, user });
    const mine = [...this.byHash.values()]
      .filter((e) => e.session.userId === session.userId)
      .sort((a, b) => b.session.createdAt.getTime() - a.session.createdAt.getTime());
    const evicted = mine.slice(maxPerUser).map((e) => e.session);
    for (const s of evicted) this.byHash.delete(s.idHash.toString('hex'));
    return evicted;
  }

  async get(idHash: Buffer): Promise<StoredSession | null> {
    const e = this.byHash.get(idHash.toString('hex'));
    if (!e || this.disabled.has(e.user.id)) return null;
    return { session: e.session, user: e.user };
  }

  async touch(idHash: Buffer, lastSeenAt: Date, idleExpiresAt: Date): Promise<boolean> {
    const key = idHash.toString('hex');
    const e = this.byHash.get(key);
    if (!e || e.session.idleExpiresAt <= lastSeenAt || e.session.absoluteExpiresAt <= lastSeenAt) return false;
    this.byHash.set(key, { ...e, session: { ...e.session, lastSeenAt, idleExpiresAt } });
    return true;
  }

  async rotate(oldIdHash: Buffer, next: SessionRecord): Promise<boolean> {
    const e = this.byHash.get(oldIdHash.toString('hex'));
    if (!e) return false;
    this.byHash.delete(oldIdHash.toString('hex'));
    this.byHash.set(next.idHash.toString('hex'), { session: next, user: e.user });
    return true;
  }

  async delete(idHash: Buffer): Promise<SessionRecord | null> {
    const key = idHash.toString('hex');
    const e = this.byHash.get(key);
    this.byHash.delete(key);
    return e?.session ?? null;
  }

  async deleteById(userId: string, publicId: string): Promise<SessionRecord | null> {
    for (const [key, e] of this.byHash) {
      if (e.session.userId === userId && e.session.id === publicId) {
        this.byHash.delete(key);
        return e.session;
      }
    }
    return null;
  }

  async deleteUser(userId: string, keep?: Buffer): Promise<number> {
    let n = 0;
    for (const [key, e] of this.byHash) {
      if (e.session.userId === userId && !(keep && e.session.idHash.equals(keep))) {
        this.byHash.delete(key);
        n++;
      }
    }
    return n;
  }

  async deleteAll(): Promise<number> {
    const n = this.byHash.size;
    this.byHash.clear();
    return n;
  }

  async listUser(userId: string): Promise<SessionRecord[]> {
    return [...this.byHash.values()]
      .filter((e) => e.session.userId === userId)
      .map((e) => e.session)
      .sort((a, b) => b.lastSeenAt.getTime() - a.lastSeenAt.getTime());
  }

  async purgeExpired(now: Date, limit: number): Promise<number> {
    let n = 0;
    for (const [key, e] of this.byHash) {
      if (n >= limit) break;
      if (e.session.idleExpiresAt <= now || e.session.absoluteExpiresAt <= now) {
        this.byHash.delete(key);
        n++;
      }
    }
    return n;
  }

  /** Mirrors `users.disabled`: a disabled user's sessions are no longer returned. */
  disableUser(userId: string, disabled = true): void {
    if (disabled) this.disabled.add(userId);
    else this.disabled.delete(userId);
  }
}
