import type { EndReason, Notice, Revocation, RevocationBus, ShopChangeReason } from './bus/bus.js';
import type { SessionEngine } from './engine.js';
import type { Authenticated } from './session.js';

/**
 * The event streams of this server (GET /api/events, docs/api.md "Events"): which streams are open,
 * for which session and user, and what each is told. No HTTP here: the route hands in a sink that
 * writes Server-Sent Events (http/routes/events.ts).
 *
 * How a stream learns that its session ended:
 * - Revocations ride the revocation bus (bus.ts) with their reason, from whichever server (or CLI) made
 *   them: every server hears every message, and the one holding the stream tells its browser.
 * - Expiry is nobody's message: each stream sets a timer for its session's idle or absolute expiry, and
 *   when it fires re-reads the session (the user's other requests may have renewed it, on any server)
 *   before saying `expired`. A session that is gone when the timer fires, before its expiry, was revoked
 *   by a message this server missed: `revoked`.
 * - While the bus was down messages may have been lost: when it comes back, every stream re-reads its
 *   session the same way.
 * Reading a stream never renews its session (the route is exempt from renewal, and `current` never
 * renews): an abandoned tab must not keep a session alive.
 *
 * Bounds: `perSession` streams per session — one more closes the oldest, because the newest is the one
 * a browser is waiting on, and the oldest is most likely a connection that died without a FIN (a laptop
 * lid) whose socket we have not noticed yet (a refusal would lock that browser out until the heartbeat
 * found it). `perServer` streams in all — one more is refused (`open` answers null; the route says 503
 * with Retry-After, so the browser backs off and a load balancer may try another server).
 */

export type StreamEvent =
  | { readonly type: 'session.ended'; readonly reason: Exclude<EndReason, 'rotated'> }
  | { readonly type: 'shop.changed'; readonly shopId: string; readonly reason: ShopChangeReason };

/** Where one stream's events go (the HTTP response). `close` ends it; calling either after close is a no-op. */
export interface EventSink {
  send(event: StreamEvent): void;
  /** A comment line: keeps proxies from timing the idle connection out. */
  heartbeat(): void;
  close(): void;
}

export interface EventLimits {
  perSession: number;
  perServer: number;
  heartbeatMs: number;
}

/** A timer can wait at most ~24.8 days; a longer expiry is looked at again after this. */
const MAX_TIMER_MS = 24 * 60 * 60 * 1000;
/** Past the expiry before re-reading, so the engine's clock certainly agrees that it has passed. */
const EXPIRY_SLACK_MS = 20;

interface Stream {
  readonly serial: number;
  readonly sessionKey: string;
  readonly idHash: Buffer;
  readonly userId: string;
  readonly sink: EventSink;
  timer: NodeJS.Timeout | undefined;
  /** The expiry last known for the session (ms since the epoch). */
  expiresAt: number;
}

export class SessionEvents {
  private readonly streams = new Map<number, Stream>();
  private readonly bySession = new Map<string, Set<Stream>>();
  private readonly byUser = new Map<string, Set<Stream>>();
  private serial = 0;
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly engine: SessionEngine,
    bus: RevocationBus | undefined,
    private readonly limits: EventLimits,
  ) {
    bus?.listen({
      onRevocation: (r) => this.revoked(r),
      onStateChange: (up) => {
        if (up) this.recheckAll();
      },
      onNotice: (n) => this.notice(n),
    });
    this.heartbeat = setInterval(() => {
      for (const s of this.streams.values()) s.sink.heartbeat();
    }, limits.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Streams open on this server now. */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Registers a stream for a validated session. Null when this server holds its maximum (nothing is
   * opened). Returns the function that forgets the stream (the connection closed).
   */
  open(auth: Authenticated, sink: EventSink): (() => void) | null {
    if (this.closed || this.streams.size >= this.limits.perServer) return null;
    const sessionKey = auth.session.idHash.toString('base64url');
    const siblings = this.bySession.get(sessionKey);
    if (siblings && siblings.size >= this.limits.perSession) {
      const oldest = [...siblings].sort((a, b) => a.serial - b.serial)[0];
      if (oldest) this.end(oldest);
    }
    const stream: Stream = {
      serial: ++this.serial,
      sessionKey,
      idHash: auth.session.idHash,
      userId: auth.user.id,
      sink,
      timer: undefined,
      expiresAt: expiryOf(auth),
    };
    this.streams.set(stream.serial, stream);
    addTo(this.bySession, sessionKey, stream);
    addTo(this.byUser, stream.userId, stream);
    this.schedule(stream);
    return () => this.forget(stream);
  }

  /** Graceful shutdown: every stream ends (the browser reconnects, to another server). */
  closeAll(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const s of [...this.streams.values()]) this.end(s);
  }

  private revoked(r: Revocation): void {
    let hit: Iterable<Stream>;
    if (r.kind === 'session') hit = this.bySession.get(r.idHash.toString('base64url')) ?? [];
    else if (r.kind === 'user') {
      const keep = r.keep?.toString('base64url');
      hit = [...(this.byUser.get(r.userId) ?? [])].filter((s) => s.sessionKey !== keep);
    } else hit = this.streams.values();
    // No reason: an older publisher; the session ended all the same.
    const reason = r.reason ?? 'revoked';
    for (const s of [...hit]) this.end(s, reason);
  }

  /**
   * Passes a notice to this server's streams. The bus calls it for every server's notices; a server
   * without a bus (one server, nothing to tell the others) is told directly by whoever made the change.
   */
  notice(n: Notice): void {
    if (n.kind !== 'shop.changed') return;
    for (const s of this.byUser.get(n.userId) ?? []) s.sink.send({ type: 'shop.changed', shopId: n.shopId, reason: n.reason });
  }

  /** Ends a stream, telling its browser why first (a rotation is no ending: it just closes). */
  private end(s: Stream, reason?: EndReason): void {
    if (!this.streams.has(s.serial)) return;
    this.forget(s);
    if (reason && reason !== 'rotated') s.sink.send({ type: 'session.ended', reason });
    s.sink.close();
  }

  private forget(s: Stream): void {
    if (!this.streams.delete(s.serial)) return;
    clearTimeout(s.timer);
    removeFrom(this.bySession, s.sessionKey, s);
    removeFrom(this.byUser, s.userId, s);
  }

  private schedule(s: Stream): void {
    clearTimeout(s.timer);
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, s.expiresAt - this.engine.clock()) + EXPIRY_SLACK_MS);
    s.timer = setTimeout(() => void this.recheck(s), wait);
    s.timer.unref();
  }

  /** Re-reads the stream's session: renewed → wait for the new expiry; gone → say why it went. */
  private async recheck(s: Stream): Promise<void> {
    if (!this.streams.has(s.serial)) return;
    let current: Authenticated | null;
    try {
      current = await this.engine.current(s.idHash);
    } catch {
      // The store cannot answer now (a database outage): ask again shortly, decide nothing.
      s.timer = setTimeout(() => void this.recheck(s), 1000);
      s.timer.unref();
      return;
    }
    if (!this.streams.has(s.serial)) return;
    if (current) {
      s.expiresAt = expiryOf(current);
      this.schedule(s);
      return;
    }
    this.end(s, this.engine.clock() >= s.expiresAt ? 'expired' : 'revoked');
  }

  private recheckAll(): void {
    for (const s of this.streams.values()) void this.recheck(s);
  }
}

function expiryOf(auth: Authenticated): number {
  return Math.min(auth.session.idleExpiresAt.getTime(), auth.session.absoluteExpiresAt.getTime());
}

function addTo(index: Map<string, Set<Stream>>, key: string, s: Stream): void {
  const set = index.get(key);
  if (set) set.add(s);
  else index.set(key, new Set([s]));
}

function removeFrom(index: Map<string, Set<Stream>>, key: string, s: Stream): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(s);
  if (set.size === 0) index.delete(key);
}
