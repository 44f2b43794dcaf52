import type { SessionUser } from '../auth/user.js';
import type { EndReason } from './bus/bus.js';
import type { Authenticated, SessionRecord } from './session.js';
import type { MaybePromise, SessionStore, StoredSession } from './stores/store.js';
import { csrfTokenFor, hashToken, isWellFormedToken, newPublicId, newToken, tokenKey } from './tokens.js';

/**
 * The session engine: create · validate · rotate · revoke · list. It knows nothing of HTTP or cookies;
 * the HTTP shell hands it the token from the cookie and the client's (already minimised) device and
 * address.
 */

export interface SessionPolicy {
  /** Seconds of inactivity after which a session dies. */
  idleTimeout: number;
  /** Seconds from sign-in after which a session dies whatever its activity. */
  absoluteTimeout: number;
  /** The same two for "remember me" sessions. */
  rememberIdleTimeout: number;
  rememberTimeout: number;
  /** Sessions a user may hold at once; signing in beyond it ends the oldest (S-23). */
  maxPerUser: number;
}

export interface NewSession {
  /** The secret for the cookie. Returned once, never stored. */
  token: string;
  csrfToken: string;
  session: SessionRecord;
}

/** A session started at sign-in, with its user as the store holds them now (the role to show). */
export interface StartedSession extends NewSession {
  user: SessionUser;
}

export interface ClientInfo {
  userAgent: string;
  ip: string;
}

export class SessionEngine {
  private readonly now: () => number;

  constructor(
    private readonly store: SessionStore,
    private readonly policy: SessionPolicy,
    clock: () => number = Date.now,
  ) {
    this.now = clock;
  }

  /**
   * Starts a session at sign-in. Always a fresh token: nothing the client presented is adopted
   * (fixation), and the caller revokes any session cookie that came with the sign-in.
   *
   * Null when the user was disabled (or deleted) after the caller read them, or — given the user's
   * `passwordChangedAt` as read with the password that was checked — their password was changed or
   * voided since: nothing was written, and a sign-in answers as for any refused credential. The
   * answer's `user` is the user as stored when the session was written (a role changed meanwhile is the
   * new role), not the `user` handed in (S-72).
   */
  async create(
    user: SessionUser & { readonly passwordChangedAt?: Date },
    client: ClientInfo,
    remember = false,
  ): Promise<StartedSession | null> {
    const now = this.now();
    const token = newToken();
    const absolute = now + (remember ? this.policy.rememberTimeout : this.policy.absoluteTimeout) * 1000;
    const session: SessionRecord = {
      idHash: hashToken(token),
      id: newPublicId(),
      userId: user.id,
      createdAt: new Date(now),
      lastSeenAt: new Date(now),
      authenticatedAt: new Date(now),
      idleExpiresAt: new Date(Math.min(now + this.idleMs(remember), absolute)),
      absoluteExpiresAt: new Date(absolute),
      remember,
      userAgent: client.userAgent,
      ip: client.ip,
    };
    // Only what authorization needs travels with the session (never the password hash of a user row).
    const snapshot: SessionUser = { id: user.id, username: user.username, role: user.role, createdAt: user.createdAt };
    const created = await this.store.create(session, snapshot, this.policy.maxPerUser, user.passwordChangedAt);
    if (!created) return null;
    return { token, csrfToken: csrfTokenFor(token), session, user: created.user };
  }

  /**
   * The check that runs on every request: shape, hash, one store read (a local-cache hit when the store
   * is tiered), both lifetimes. Renewal slides the idle expiry, but writes at most once per
   * min(60 s, idle/10) per session, so a busy user costs one write a minute, not one per request.
   *
   * Synchronous when memory answers (a local-cache hit needing no renewal: nearly every request), a
   * promise when the store or a renewal must be waited for. Callers may simply `await` it; the HTTP hook
   * does not, so a cached session costs no promise at all.
   *
   * `mayRenew(ctx)` is asked only when a renewal is due (at most once a minute per session, so it may
   * cost something): false validates without renewing — the request does not count as activity (an
   * event stream: http/routes/events.ts). Passed as a function and its argument, not a closure, so the
   * per-request call allocates nothing.
   */
  validate<C>(token: string, mayRenew?: (ctx: C) => boolean, ctx?: C): MaybePromise<Authenticated | null> {
    if (!isWellFormedToken(token)) return null;
    // A store answering from memory is asked by the hash's text (tokens.ts tokenKey: no Buffer made on a
    // hit); any other by the hash itself.
    const store = this.store;
    const found = store.getByKey ? store.getByKey(tokenKey(token)) : store.get(hashToken(token));
    return found instanceof Promise ? found.then((f) => this.judge(f, mayRenew, ctx)) : this.judge(found, mayRenew, ctx);
  }

  /** The session under `idHash` if it is alive now, as stored (another server may have renewed it); never renews. */
  current(idHash: Buffer): MaybePromise<Authenticated | null> {
    const found = this.store.get(idHash);
    return found instanceof Promise ? found.then((f) => this.alive(f)) : this.alive(found);
  }

  private alive(found: StoredSession | null): Authenticated | null {
    if (!found) return null;
    const now = this.now();
    const s = found.session;
    return now >= s.idleExpiresAt.getTime() || now >= s.absoluteExpiresAt.getTime() ? null : found;
  }

  /** The engine's clock (event streams time a session's expiry by it). */
  clock(): number {
    return this.now();
  }

  /**
   * Why `validate` refused a well-formed token whose session still exists: which lifetime ran out (the
   * audit's session.expired). Null for a token that names no session (never issued, revoked, purged).
   * Off the hot path: asked only about refused tokens, whose cookie is then cleared.
   */
  async expiry(token: string): Promise<{ session: SessionRecord; lifetime: 'idle' | 'absolute' } | null> {
    if (!isWellFormedToken(token)) return null;
    const found = await this.store.get(hashToken(token));
    if (!found) return null;
    const now = this.now();
    const s = found.session;
    if (now >= s.absoluteExpiresAt.getTime()) return { session: s, lifetime: 'absolute' };
    if (now >= s.idleExpiresAt.getTime()) return { session: s, lifetime: 'idle' };
    return null;
  }

  /** Both lifetimes, then the throttled renewal (the only part that waits). */
  private judge<C>(found: StoredSession | null, mayRenew?: (ctx: C) => boolean, ctx?: C): MaybePromise<Authenticated | null> {
    if (!found) return null;
    const now = this.now();
    const s = found.session;
    if (now >= s.idleExpiresAt.getTime() || now >= s.absoluteExpiresAt.getTime()) return null;
    if (now - s.lastSeenAt.getTime() >= this.touchIntervalMs(s.remember) && (!mayRenew || mayRenew(ctx as C)))
      return this.renew(s.idHash, found, now);
    return found;
  }

  private async renew(idHash: Buffer, found: StoredSession, now: number): Promise<Authenticated | null> {
    const s = found.session;
    const idleExpiresAt = new Date(Math.min(now + this.idleMs(s.remember), s.absoluteExpiresAt.getTime()));
    const lastSeenAt = new Date(now);
    // False means the row vanished (revoked) between the read and this write: the request is refused,
    // and the conditional update guarantees the session was not recreated.
    if (!(await this.store.touch(idHash, lastSeenAt, idleExpiresAt))) return null;
    return { session: { ...s, lastSeenAt, idleExpiresAt }, user: found.user };
  }

  /**
   * A new token for the same signed-in user: at re-authentication (and then `authenticatedAt` moves to
   * now), at password change, at privilege change. The old token is dead when this returns. Lifetimes
   * carry over; rotating never extends the absolute one.
   */
  async rotate(current: Authenticated, opts: { reauthenticated: boolean }): Promise<NewSession | null> {
    const now = this.now();
    const token = newToken();
    const old = current.session;
    const next: SessionRecord = {
      ...old,
      idHash: hashToken(token),
      lastSeenAt: new Date(now),
      authenticatedAt: opts.reauthenticated ? new Date(now) : old.authenticatedAt,
      idleExpiresAt: new Date(Math.min(now + this.idleMs(old.remember), old.absoluteExpiresAt.getTime())),
    };
    if (!(await this.store.rotate(old.idHash, next))) return null;
    return { token, csrfToken: csrfTokenFor(token), session: next };
  }

  /** Sign-out: the token stops working everywhere at once. Unknown or malformed tokens are a no-op. */
  /** `reason`, here and below: what the session's event streams tell the browser (sessions/events.ts). */
  async revokeToken(token: string, reason: EndReason = 'signed_out'): Promise<SessionRecord | null> {
    if (!isWellFormedToken(token)) return null;
    return this.store.delete(hashToken(token), reason);
  }

  async revoke(session: SessionRecord, reason: EndReason = 'revoked'): Promise<boolean> {
    return (await this.store.delete(session.idHash, reason)) !== null;
  }

  /** One of the user's own sessions by public id; another user's id is simply not found. */
  async revokeById(userId: string, publicId: string, reason: EndReason = 'signed_out'): Promise<boolean> {
    // Public ids are base64url; anything else names no session (and a NUL would fail the SQL: a 500).
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(publicId)) return false;
    return (await this.store.deleteById(userId, publicId, reason)) !== null;
  }

  /** Every session of a user (admin kill switch, disable, role change), or all but `keep`. */
  async revokeUser(userId: string, keep?: SessionRecord, reason: EndReason = 'revoked'): Promise<number> {
    return (await this.store.deleteUser(userId, keep?.idHash, reason)).length;
  }

  /**
   * Sessions the caller's own transaction already deleted (an erased account: its rows went with the
   * user row), named by that transaction's `DELETE … RETURNING id_hash`: every cache forgets them, every
   * server hears of the user. Nothing else can find them once the rows are gone.
   */
  async forgetEnded(userId: string, idHashes: readonly Buffer[], reason: EndReason = 'revoked'): Promise<number> {
    return (await this.store.forgetEnded(userId, idHashes, reason)).length;
  }

  /** Every session of every user ("sign everyone out": `stockade revoke-all`). Returns how many went. */
  async revokeAll(reason: EndReason = 'revoked'): Promise<number> {
    return this.store.deleteAll(reason);
  }

  async list(userId: string): Promise<SessionRecord[]> {
    const now = this.now();
    const all = await this.store.listUser(userId);
    return all.filter((s) => s.idleExpiresAt.getTime() > now && s.absoluteExpiresAt.getTime() > now);
  }

  async purgeExpired(limit = 1000): Promise<number> {
    return this.store.purgeExpired(new Date(this.now()), limit);
  }

  /** Seconds the cookie may live when the user asked to be remembered (the absolute lifetime left). */
  cookieMaxAge(session: SessionRecord): number {
    return Math.max(0, Math.floor((session.absoluteExpiresAt.getTime() - this.now()) / 1000));
  }

  private idleMs(remember: boolean): number {
    return (remember ? this.policy.rememberIdleTimeout : this.policy.idleTimeout) * 1000;
  }

  /** min(60 s, idle/10): the idle expiry is then exact to within a tenth of the idle timeout. */
  private touchIntervalMs(remember: boolean): number {
    return Math.min(60_000, this.idleMs(remember) / 10);
  }
}
