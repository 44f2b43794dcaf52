import { randomBytes } from 'node:crypto';

/**
 * The revocation bus: how one server tells every other server "forget this session / this user / all
 * you hold", so their local caches (tiers/local-cache.ts) never answer for a revoked session. Three carriers, one
 * contract:
 *
 *   bus/redis.ts     Redis pub/sub (REDIS_URL set; works on a cluster: PUBLISH reaches every node)
 *   bus/postgres.ts  PostgreSQL LISTEN/NOTIFY on a dedicated connection (a PostgreSQL server, no Redis)
 *   bus/local.ts     in-process only (embedded PGlite: one process owns the database)
 *
 * The contract:
 * - `up` is true only while messages are known to arrive (connected, subscribed, heartbeat answered).
 *   Listeners hear every change; the local cache is enabled exactly while the bus is up, so a message
 *   lost on a dropped connection can never leave a stale entry behind.
 * - `publish` never throws. It resolves once this server has heard its own message come back (so the
 *   carrier has handed it to every subscriber's connection before the revoking request answers), or
 *   after ECHO_WAIT_MS at most. A message that cannot be sent now is retried until it goes out or is
 *   too old to matter (renewal rechecks PostgreSQL within a minute anyway).
 * - Messages are idempotent; receiving one's own is harmless.
 * - A message says whether its publisher removed what it revoked from the Redis tier (`tierClean`). A
 *   publisher that could not (cut off from Redis, or with no Redis configured, like a CLI without
 *   REDIS_URL) leaves that to the receivers: each one that reaches Redis deletes the keys itself
 *   (sessions/stack.ts), so no server serves the revoked session from a Redis copy afterwards. Redis
 *   keeps no per-user index, so such a user revocation names the sessions it ended (`hashPrefixes`,
 *   from PostgreSQL's `DELETE … RETURNING`), split over as many messages as NOTIFY's 8000-byte payload
 *   limit needs (`splitRevocation`).
 */

/**
 * Why sessions end, as their event streams tell the browser (sessions/events.ts, docs/api.md "Events").
 * `rotated` is no ending: the session lives on under a new token (re-authentication, password change),
 * and a stream opened with the old one closes quietly for the browser to reconnect with the new cookie.
 */
export const END_REASONS = ['signed_out', 'revoked', 'expired', 'password_changed', 'disabled', 'rotated'] as const;
export type EndReason = (typeof END_REASONS)[number];

/**
 * A revocation names what ends and, optionally, why (`reason`, on the wire `r`): an older publisher sends
 * none, and a receiver then says `revoked`. The caches ignore it; only event streams read it.
 *
 * A user revocation applies to the user's sessions by user id (every local cache indexes its entries by
 * user). `hashPrefixes` — the first 16 bytes of the token hash of each session it ended, all that a
 * Redis key carries (tiers/redis-tier.ts) — is there for receivers that must delete the Redis copies
 * because the publisher could not (`tierClean` false); one message may carry only some of them (see
 * `splitRevocation`). Absent (a publisher that cleaned Redis itself, or an older version that named
 * none): a receiver that must clean Redis and has no names flushes the session keys (stack.ts).
 */
export type Revocation =
  | { readonly kind: 'session'; readonly idHash: Buffer; readonly reason?: EndReason }
  | {
      readonly kind: 'user';
      readonly userId: string;
      readonly keep?: Buffer;
      readonly hashPrefixes?: readonly Buffer[];
      readonly reason?: EndReason;
    }
  | { readonly kind: 'all'; readonly reason?: EndReason };

/** What of a token hash a Redis key holds, and therefore what a user revocation names (tiers/redis-tier.ts). */
export const HASH_PREFIX_BYTES = 16;

/**
 * Hash prefixes per message. PostgreSQL refuses a NOTIFY payload of 8000 bytes or more, and
 * SESSION_MAX_PER_USER may be 1000: 300 prefixes are 6 400 base64url characters, which leaves room
 * for the rest of the message (user id, kept hash, reason, nonce, time: about 200 characters).
 */
export const HASH_PREFIXES_PER_MESSAGE = 300;

/**
 * One revocation as the messages to publish: a user revocation naming more sessions than fit one
 * NOTIFY payload becomes several, each a complete user revocation (every receiver drops the user from
 * its cache on each, harmlessly again) naming a share of the sessions. Published together: the
 * revoking request waits for every one's echo.
 */
export function splitRevocation(r: Revocation): Revocation[] {
  if (r.kind !== 'user' || !r.hashPrefixes || r.hashPrefixes.length <= HASH_PREFIXES_PER_MESSAGE) return [r];
  const parts: Revocation[] = [];
  for (let i = 0; i < r.hashPrefixes.length; i += HASH_PREFIXES_PER_MESSAGE) {
    parts.push({ ...r, hashPrefixes: r.hashPrefixes.slice(i, i + HASH_PREFIXES_PER_MESSAGE) });
  }
  return parts;
}

export const SHOP_CHANGE_REASONS = ['role_changed', 'removed', 'mfa_required'] as const;
export type ShopChangeReason = (typeof SHOP_CHANGE_REASONS)[number];

/**
 * Not a revocation: news every server acts on, carried the same way (every carrier, echo wait, retry).
 * - `pseudonym-key`: the pseudonym key was rotated; re-read it (auth/pseudonyms.ts).
 * - `shop.changed`: one member's standing in one shop changed (`userId`: whose; the streams of that
 *   user's sessions pass `{shopId, reason}` on to the browser, sessions/events.ts). One notice per
 *   affected member: a stream knows its user, not the shop's members.
 * - `session-shops`: what "who am I" says about shops changed for one user (`userId`: an active-shop
 *   switch, a shop opened or joined), or, without one, for anyone (a shop renamed): every server drops
 *   its copies (shops/session-shops-cache.ts). Not passed on to browsers.
 */
export type Notice =
  | { readonly kind: 'pseudonym-key' }
  | { readonly kind: 'shop.changed'; readonly shopId: string; readonly userId: string; readonly reason: ShopChangeReason }
  | { readonly kind: 'session-shops'; readonly userId?: string };

export interface PublishOptions {
  /** True when the publisher has removed the revoked sessions from the Redis tier itself. */
  readonly tierClean?: boolean;
  /** Names the message (a fan-out bus sends one message under one nonce on several carriers). */
  readonly nonce?: string;
}

/** What a message says besides the revocation itself. */
export interface MessageInfo {
  readonly tierClean: boolean;
  readonly nonce?: string;
}

export interface BusListener {
  onRevocation(r: Revocation, sentAt: number, info: MessageInfo): void;
  onStateChange(up: boolean): void;
  /** Optional: most listeners care about revocations only. */
  onNotice?(n: Notice, info: MessageInfo): void;
}

export type BusKind = 'redis' | 'postgres' | 'local' | 'redis+postgres';

export interface RevocationBus {
  readonly kind: BusKind;
  readonly up: boolean;
  publish(r: Revocation, opts?: PublishOptions): Promise<void>;
  /** Sends a notice to every server (this one included), as `publish` sends a revocation. */
  announce(n: Notice, opts?: PublishOptions): Promise<void>;
  listen(listener: BusListener): void;
  /** Resolves once the bus is up (true) or after timeoutMs (false). */
  whenUp(timeoutMs: number): Promise<boolean>;
  /** Waits (at most timeoutMs) until every message published so far has gone out; true if so. */
  drain(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Milliseconds since the epoch with sub-millisecond precision (bus lag on one host is well under 1 ms). */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Wire format: small JSON, text-safe for NOTIFY payloads. `nonce` lets the publisher recognise its own
 * message when the carrier echoes it back.
 */
export function encodeRevocation(r: Revocation, sentAt = preciseNow(), nonce?: string, tierClean = false): string {
  // `c` only when true: a message without it (an older publisher, a CLI without Redis) is "not cleaned".
  const n = { ...(nonce ? { n: nonce } : {}), ...(tierClean ? { c: 1 } : {}), ...(r.reason ? { r: r.reason } : {}) };
  switch (r.kind) {
    case 'session':
      return JSON.stringify({ k: 's', h: r.idHash.toString('base64url'), t: sentAt, ...n });
    case 'user': {
      // `h`: the hash prefixes as one base64url string (21⅓ characters each, no separators).
      const h = r.hashPrefixes
        ? { h: Buffer.concat(r.hashPrefixes.map((p) => p.subarray(0, HASH_PREFIX_BYTES))).toString('base64url') }
        : {};
      return JSON.stringify({ k: 'u', u: r.userId, ...(r.keep ? { x: r.keep.toString('base64url') } : {}), ...h, t: sentAt, ...n });
    }
    case 'all':
      return JSON.stringify({ k: 'a', t: sentAt, ...n });
  }
}

export interface DecodedRevocation {
  revocation: Revocation;
  sentAt: number;
  nonce?: string;
  tierClean: boolean;
}

/** A notice on the wire: `k: 'n'` (older servers decode it as nothing, and ignore it). */
export function encodeNotice(n: Notice, sentAt = preciseNow(), nonce?: string): string {
  const body =
    n.kind === 'shop.changed'
      ? { s: n.shopId, u: n.userId, r: n.reason }
      : n.kind === 'session-shops' && n.userId !== undefined
        ? { u: n.userId }
        : {};
  return JSON.stringify({ k: 'n', w: n.kind, ...body, t: sentAt, ...(nonce ? { n: nonce } : {}) });
}

export function decodeNotice(raw: string): { notice: Notice; info: MessageInfo } | null {
  try {
    const m = JSON.parse(raw) as { k?: unknown; w?: unknown; n?: unknown; s?: unknown; u?: unknown; r?: unknown };
    if (m.k !== 'n') return null;
    let notice: Notice;
    if (m.w === 'pseudonym-key') notice = { kind: 'pseudonym-key' };
    else if (m.w === 'shop.changed' && typeof m.s === 'string' && typeof m.u === 'string' && isOneOf(SHOP_CHANGE_REASONS, m.r)) {
      notice = { kind: 'shop.changed', shopId: m.s, userId: m.u, reason: m.r };
    } else if (m.w === 'session-shops')
      notice = typeof m.u === 'string' ? { kind: 'session-shops', userId: m.u } : { kind: 'session-shops' };
    else return null;
    return { notice, info: { tierClean: false, ...(typeof m.n === 'string' ? { nonce: m.n } : {}) } };
  } catch {
    return null;
  }
}

function isOneOf<T extends string>(values: readonly T[], v: unknown): v is T {
  return typeof v === 'string' && (values as readonly string[]).includes(v);
}

/**
 * The `h` field: whole 16-byte prefixes, or nothing (undefined: the receiver then treats the message as
 * naming no sessions, and flushes rather than guess).
 */
function hashPrefixesOf(text: string): Buffer[] | undefined {
  const all = Buffer.from(text, 'base64url');
  if (all.length % HASH_PREFIX_BYTES !== 0) return undefined;
  const out: Buffer[] = [];
  for (let i = 0; i < all.length; i += HASH_PREFIX_BYTES) out.push(all.subarray(i, i + HASH_PREFIX_BYTES));
  return out;
}

/** Null for anything malformed (a foreign publisher on our channel must not crash us). */
export function decodeRevocation(raw: string): DecodedRevocation | null {
  try {
    const m = JSON.parse(raw) as { k?: unknown; h?: unknown; u?: unknown; x?: unknown; t?: unknown; n?: unknown; c?: unknown; r?: unknown };
    const meta = { sentAt: typeof m.t === 'number' ? m.t : 0, tierClean: m.c === 1, ...(typeof m.n === 'string' ? { nonce: m.n } : {}) };
    // An unknown reason (a newer publisher) is dropped, not the message: the revocation itself still holds.
    const why = isOneOf(END_REASONS, m.r) ? { reason: m.r } : {};
    if (m.k === 's' && typeof m.h === 'string')
      return { revocation: { kind: 'session', idHash: Buffer.from(m.h, 'base64url'), ...why }, ...meta };
    if (m.k === 'u' && typeof m.u === 'string') {
      const keep = typeof m.x === 'string' ? Buffer.from(m.x, 'base64url') : undefined;
      const prefixes = typeof m.h === 'string' ? hashPrefixesOf(m.h) : undefined;
      return {
        revocation: { kind: 'user', userId: m.u, ...(keep ? { keep } : {}), ...(prefixes ? { hashPrefixes: prefixes } : {}), ...why },
        ...meta,
      };
    }
    if (m.k === 'a') return { revocation: { kind: 'all', ...why }, ...meta };
    return null;
  } catch {
    return null;
  }
}

/** Messages older than this are not worth retrying: renewal has rechecked PostgreSQL by then. */
const RETRY_HORIZON_MS = 2 * 60_000;
const MAX_QUEUED = 10_000;
/** The longest a revocation waits for its own echo before answering anyway. */
const ECHO_WAIT_MS = 50;

/**
 * What every carrier shares: listeners, the up/down state, and the retry queue for publishes that
 * failed. A carrier implements `send` (one attempt) and calls `setUp` / `deliver`.
 */
export abstract class BaseBus implements RevocationBus {
  abstract readonly kind: BusKind;
  private readonly listeners: BusListener[] = [];
  private isUp = false;
  private readonly waiting: (() => void)[] = [];
  private queue: { payload: string; at: number }[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private readonly instance = randomBytes(6).toString('base64url');
  private sequence = 0;
  private readonly echoes = new Map<string, () => void>();
  protected closed = false;
  readonly stats = { published: 0, received: 0, publishFailures: 0, downs: 0, lastLagMs: 0 };

  get up(): boolean {
    return this.isUp;
  }

  listen(listener: BusListener): void {
    this.listeners.push(listener);
  }

  whenUp(timeoutMs: number): Promise<boolean> {
    if (this.isUp) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiting.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  publish(r: Revocation, opts: PublishOptions = {}): Promise<void> {
    const nonce = opts.nonce ?? `${this.instance}.${++this.sequence}`;
    return this.post(encodeRevocation(r, preciseNow(), nonce, opts.tierClean === true), nonce);
  }

  announce(n: Notice, opts: PublishOptions = {}): Promise<void> {
    const nonce = opts.nonce ?? `${this.instance}.${++this.sequence}`;
    return this.post(encodeNotice(n, preciseNow(), nonce), nonce);
  }

  /** Sends one encoded message named `nonce`; resolves on its echo (see publish). */
  private post(payload: string, nonce: string): Promise<void> {
    this.stats.published++;
    this.inFlight++;
    // Only worth waiting for while we are subscribed; otherwise there will be no echo to hear.
    const echoed = this.isUp
      ? new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.echoes.delete(nonce);
            resolve();
          }, ECHO_WAIT_MS);
          this.echoes.set(nonce, () => {
            clearTimeout(timer);
            resolve();
          });
        })
      : Promise.resolve();
    this.send(payload)
      .catch(() => {
        this.echoes.get(nonce)?.();
        this.echoes.delete(nonce);
        this.enqueue(payload);
      })
      .finally(() => this.inFlight--);
    return echoed;
  }

  async drain(timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (this.inFlight > 0 || this.queue.length > 0) {
      if (Date.now() >= end) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.setUp(false);
  }

  /** One attempt to put a message on the wire. */
  protected abstract send(payload: string): Promise<void>;

  protected setUp(up: boolean): void {
    if (up === this.isUp) return;
    this.isUp = up;
    if (!up) this.stats.downs++;
    for (const l of this.listeners) l.onStateChange(up);
    if (up) for (const w of this.waiting.splice(0)) w();
  }

  protected deliver(raw: string): void {
    const msg = decodeRevocation(raw);
    if (!msg) {
      const notice = decodeNotice(raw);
      if (!notice) return;
      for (const l of this.listeners) l.onNotice?.(notice.notice, notice.info);
      this.echoed(notice.info.nonce);
      return;
    }
    this.stats.received++;
    if (msg.sentAt) this.stats.lastLagMs = preciseNow() - msg.sentAt;
    const info: MessageInfo = { tierClean: msg.tierClean, ...(msg.nonce ? { nonce: msg.nonce } : {}) };
    for (const l of this.listeners) l.onRevocation(msg.revocation, msg.sentAt, info);
    this.echoed(msg.nonce);
  }

  private echoed(nonce: string | undefined): void {
    const echo = nonce ? this.echoes.get(nonce) : undefined;
    if (echo) {
      this.echoes.delete(nonce as string);
      echo();
    }
  }

  private enqueue(payload: string): void {
    this.stats.publishFailures++;
    if (this.closed) return;
    this.queue.push({ payload, at: Date.now() });
    if (this.queue.length > MAX_QUEUED) this.queue.splice(0, this.queue.length - MAX_QUEUED);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => void this.retry(), 200);
    this.retryTimer.unref();
  }

  private async retry(): Promise<void> {
    this.retryTimer = undefined;
    const now = Date.now();
    const due = this.queue.filter((m) => now - m.at < RETRY_HORIZON_MS);
    this.queue = [];
    for (let i = 0; i < due.length; i++) {
      try {
        await this.send(due[i]!.payload);
      } catch {
        this.queue.push(...due.slice(i));
        break;
      }
    }
    if (this.queue.length > 0) this.scheduleRetry();
  }
}
