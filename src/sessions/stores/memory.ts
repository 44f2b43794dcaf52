import type { Role, SessionUser } from '../../auth/user.js';
import type { SessionRecord } from '../session.js';
import type { CreatedSession, SessionStore, StoredSession } from './store.js';

/**
 * Sessions in this process's memory: for tests and single-process experiments. It keeps the same
 * contract as the PostgreSQL store (the contract suite runs on both). It holds the user snapshot given at
 * creation, so `disableUser`, `changeRole` and `changePassword` mirror the PostgreSQL store's reads of
 * users: a disabled user's sessions are neither returned nor created, the role is the latest one set,
 * and no session is created for a password older than the latest one.
 */
export class MemorySessionStore implements SessionStore {
  private readonly byHash = new Map<string, { session: SessionRecord; user: SessionUser }>();
  private readonly disabled = new Set<string>();
  private readonly roles = new Map<string, Role>();
  private readonly passwordsChanged = new Map<string, Date>();

  async create(session: SessionRecord, given: SessionUser, maxPerUser: number, passwordChangedAt?: Date): Promise<CreatedSession | null> {
    if (this.disabled.has(session.userId)) return null;
    const changed = this.passwordsChanged.get(session.userId);
    if (passwordChangedAt && changed && changed > passwordChangedAt) return null;
    const user = this.current(given);
    this.byHash.set(session.idHash.toString('hex'), { session, user });
    const mine = [...this.byHash.values()]
      .filter((e) => e.session.userId === session.userId)
      .sort((a, b) => b.session.createdAt.getTime() - a.session.createdAt.getTime());
    const evicted = mine.slice(maxPerUser).map((e) => e.session);
    for (const s of evicted) this.byHash.delete(s.idHash.toString('hex'));
    return { user, evicted };
  }

  async get(idHash: Buffer): Promise<StoredSession | null> {
    const e = this.byHash.get(idHash.toString('hex'));
    if (!e || this.disabled.has(e.user.id)) return null;
    return { session: e.session, user: this.current(e.user) };
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

  async deleteUser(userId: string, keep?: Buffer): Promise<Buffer[]> {
    const gone: Buffer[] = [];
    for (const [key, e] of this.byHash) {
      if (e.session.userId === userId && !(keep && e.session.idHash.equals(keep))) {
        this.byHash.delete(key);
        gone.push(e.session.idHash);
      }
    }
    return gone;
  }

  /** Already gone from the truth: only the tiers above have something to forget. */
  async forgetEnded(_userId: string, idHashes: readonly Buffer[]): Promise<Buffer[]> {
    return [...idHashes];
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

  /** Mirrors `users.disabled`: a disabled user's sessions are no longer returned, nor created. */
  disableUser(userId: string, disabled = true): void {
    if (disabled) this.disabled.add(userId);
    else this.disabled.delete(userId);
  }

  /** Mirrors `users.password_changed_at`: a sign-in that checked an older password creates nothing. */
  changePassword(userId: string, at = new Date()): void {
    this.passwordsChanged.set(userId, at);
  }

  /** Mirrors `users.role`: every session of the user reads the new role from now on. */
  changeRole(userId: string, role: Role): void {
    this.roles.set(userId, role);
  }

  /** The snapshot with the latest role set for its user (the object itself when nothing changed). */
  private current(user: SessionUser): SessionUser {
    const role = this.roles.get(user.id);
    return role === undefined || role === user.role ? user : { ...user, role };
  }
}
