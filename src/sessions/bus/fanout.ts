import { randomBytes } from 'node:crypto';
import type { BaseBus, BusListener, MessageInfo, Notice, PublishOptions, Revocation, RevocationBus } from './bus.js';

/**
 * Redis pub/sub and PostgreSQL LISTEN/NOTIFY together, for servers with Redis on a PostgreSQL server
 * (S-90). Every message goes out on both carriers under one nonce; every server listens on both and
 * hands each message to its listeners once (the first copy to arrive wins, the second is dropped).
 *
 * Why both: a revocation always writes PostgreSQL first (the truth), so PostgreSQL can always carry its
 * message — also from a server whose link to Redis is cut while Redis stays up for the others, and from
 * a CLI that has no REDIS_URL. Redis alone would lose those until the link came back. Redis stays in
 * the path because on a busy database server it is usually the faster of the two.
 *
 * The bus is `up` — and the local cache in use — only while both listeners are up. PostgreSQL alone would
 * hear every revocation, but not in time: a publisher waits for its own echo (bus.ts), and Redis writes a
 * message to every subscriber's connection inside the one PUBLISH, so when the publisher's Redis echo is
 * back every other server's copy is on the wire too. A NOTIFY reaches each listening backend on its own
 * schedule; a server that heard revocations through PostgreSQL alone could answer from memory for a
 * session another server has already reported signed out. So a lost Redis subscription turns the local
 * cache off (requests read the Redis tier, then PostgreSQL) until it is back: slower, never stale.
 */

/** How long a nonce is remembered: past the carriers' retry horizon (bus.ts), so a late copy is still a duplicate. */
const REMEMBER_MS = 3 * 60_000;
const REMEMBER_MAX = 50_000;

export class FanoutBus implements RevocationBus {
  readonly kind = 'redis+postgres' as const;
  private readonly listeners: BusListener[] = [];
  /** Nonces already delivered, oldest first, with when they were first seen. */
  private readonly seen = new Map<string, number>();
  private readonly instance = randomBytes(6).toString('base64url');
  private sequence = 0;
  private delivered = 0;
  /** The combined state as last told to listeners (a carrier's change may not change it). */
  private wasUp: boolean;

  /** `fast`: Redis pub/sub. `sure`: PostgreSQL LISTEN/NOTIFY, the carrier that hears everything. */
  constructor(
    readonly fast: BaseBus,
    readonly sure: BaseBus,
  ) {
    const relay: BusListener = {
      onRevocation: (r, sentAt, info) => this.relay(r, sentAt, info),
      onStateChange: () => this.stateChanged(),
      onNotice: (n, info) => this.relayNotice(n, info),
    };
    fast.listen(relay);
    sure.listen(relay);
    this.wasUp = this.up;
  }

  get up(): boolean {
    return this.fast.up && this.sure.up;
  }

  /** Counters across both carriers; `received` counts each message once. */
  get stats(): { published: number; received: number; publishFailures: number; downs: number } {
    return {
      published: this.sequence,
      received: this.delivered,
      publishFailures: this.fast.stats.publishFailures + this.sure.stats.publishFailures,
      downs: this.fast.stats.downs + this.sure.stats.downs,
    };
  }

  listen(listener: BusListener): void {
    this.listeners.push(listener);
  }

  /** Resolves once both carriers have answered for the message (each waits at most for its own echo). */
  async publish(r: Revocation, opts: PublishOptions = {}): Promise<void> {
    const nonce = opts.nonce ?? `${this.instance}.${++this.sequence}`;
    await Promise.all([this.fast.publish(r, { ...opts, nonce }), this.sure.publish(r, { ...opts, nonce })]);
  }

  /** A notice on both carriers under one nonce, like a revocation. */
  async announce(n: Notice, opts: PublishOptions = {}): Promise<void> {
    const nonce = opts.nonce ?? `${this.instance}.${++this.sequence}`;
    await Promise.all([this.fast.announce(n, { ...opts, nonce }), this.sure.announce(n, { ...opts, nonce })]);
  }

  /** At start: both carriers subscribed (a test or a readiness wait means "everything connected"). */
  async whenUp(timeoutMs: number): Promise<boolean> {
    const results = await Promise.all([this.fast.whenUp(timeoutMs), this.sure.whenUp(timeoutMs)]);
    return results.every(Boolean);
  }

  async drain(timeoutMs: number): Promise<boolean> {
    const results = await Promise.all([this.fast.drain(timeoutMs), this.sure.drain(timeoutMs)]);
    return results.every(Boolean);
  }

  async close(): Promise<void> {
    await Promise.all([this.fast.close(), this.sure.close()]);
  }

  private stateChanged(): void {
    const up = this.up;
    if (up === this.wasUp) return;
    this.wasUp = up;
    for (const l of this.listeners) l.onStateChange(up);
  }

  private relay(r: Revocation, sentAt: number, info: MessageInfo): void {
    if (info.nonce !== undefined) {
      if (this.seen.has(info.nonce)) return;
      this.remember(info.nonce);
    }
    this.delivered++;
    for (const l of this.listeners) l.onRevocation(r, sentAt, info);
  }

  private relayNotice(n: Notice, info: MessageInfo): void {
    if (info.nonce !== undefined) {
      if (this.seen.has(info.nonce)) return;
      this.remember(info.nonce);
    }
    for (const l of this.listeners) l.onNotice?.(n, info);
  }

  private remember(nonce: string): void {
    const now = Date.now();
    this.seen.set(nonce, now);
    for (const [n, at] of this.seen) {
      if (now - at < REMEMBER_MS && this.seen.size <= REMEMBER_MAX) break;
      this.seen.delete(n);
    }
  }
}
