import { performance } from 'node:perf_hooks';

/**
 * The sign-in lockouts this server has just seen in the rate-limit store, so that a flood against a
 * locked key is refused from memory instead of with three store reads per request (S-39, S-87: a
 * refusal is cheap). Measured in the bench's sign-in storm (docs/architecture.md): each 429 cost ~1 ms
 * of the event loop and ~1 ms of PostgreSQL on the same core — three peeks, and for a third of them a
 * counted hit, a lock found and a refund — and the authenticated requests queued behind that work.
 *
 * Only ever stricter than the store, never looser: an entry turns an attempt away, it never lets one
 * through, and an attempt that finds no entry asks the store exactly as before. An entry lives until the
 * lockout ends (on the application's clock) or for `maxAgeMs` of real time, whichever comes first.
 * How it can fail, and why that is bounded:
 * - The lock is lifted elsewhere (another server's right password that was itself the locking attempt,
 *   or a completed password reset there): this server keeps refusing for at most `maxAgeMs`, with the
 *   Retry-After the store gave. On this server every refund or reset of a key forgets it at once.
 * - A store read that started before a local refund or reset answers after it, with the lock that has
 *   since been lifted: `remember` is given the epoch taken before the read and drops the entry when
 *   anything was forgotten meanwhile.
 * - Many keys (an address spraying usernames): at most `maxEntries`, the oldest dropped first.
 */
export interface LockMemoOptions {
  /** Real milliseconds an entry is trusted without asking the store again. */
  maxAgeMs: number;
  /** Entries kept at most (each ~100 bytes). */
  maxEntries: number;
  /** Monotonic milliseconds (tests pass their own). */
  monotonic?: () => number;
}

/** The default: a lock lifted on another server is honoured here within a second. */
export const LOCK_MEMO_DEFAULTS: LockMemoOptions = { maxAgeMs: 1000, maxEntries: 10_000 };

interface Entry {
  readonly until: Date;
  readonly seenAt: number;
}

export class LockMemo {
  private readonly entries = new Map<string, Entry>();
  private forgotten = 0;
  private readonly monotonic: () => number;

  constructor(private readonly options: LockMemoOptions = LOCK_MEMO_DEFAULTS) {
    this.monotonic = options.monotonic ?? (() => performance.now());
  }

  /** Changes on every `forget`: taken before a store read, handed to `remember` after it. */
  epoch(): number {
    return this.forgotten;
  }

  /** The latest lockout end remembered for any of `keys` that is still ahead of `now`, or null. */
  lockedUntil(keys: Iterable<string>, now: Date): Date | null {
    const t = this.monotonic();
    let until: Date | null = null;
    for (const key of keys) {
      const e = this.entries.get(key);
      if (!e) continue;
      if (e.until <= now || t - e.seenAt >= this.options.maxAgeMs) {
        this.entries.delete(key);
        continue;
      }
      if (!until || e.until > until) until = e.until;
    }
    return until;
  }

  /** `key` is locked until `until` as read from the store by a read that began at `epoch`. */
  remember(key: string, until: Date, now: Date, epoch: number): void {
    if (epoch !== this.forgotten || until <= now) return;
    this.entries.delete(key); // re-inserted last: the oldest entry is always first
    if (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { until, seenAt: this.monotonic() });
  }

  /** This server refunded or reset `keys`: whatever it remembered of them may be lifted now. */
  forget(keys: Iterable<string>): void {
    this.forgotten++;
    for (const key of keys) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
