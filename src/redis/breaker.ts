/**
 * Whether this server trusts Redis right now. Redis is a cache, so when it fails the right move is to
 * stop asking it — at once, for every request — and serve from PostgreSQL, then come back carefully:
 *
 * - `run` executes a Redis call only while the breaker is up. The first error (refused, reset, timed
 *   out, cluster down …) opens it; from then on callers get "skipped" immediately, not one timeout each.
 * - A delete that was skipped or failed (a timed-out delete may or may not have happened) is journaled:
 *   Redis may still hold a session PostgreSQL no longer has. Before Redis is trusted again, the journal
 *   is replayed. The breaker closes only once every lost delete has been redone, so no server reading
 *   Redis afterwards can find a session this server revoked meanwhile. Deletes lost *during* the replay
 *   are replayed too.
 * - If the journal overflows, or a node restarted (its run_id changed: it may have reloaded an old
 *   snapshot, or lost deletes other servers made), replaying is not enough: `repair` runs instead
 *   (flush this deployment's session keys, tell every server to drop its local cache).
 * - While up, a probe every `checkMs` notices a dead or restarted Redis even when no request touched it.
 *
 * It starts down and closes after the first good probe. A Redis still unreachable `startGraceMs` after
 * the start is reported once (`onStateChange('down')`: a down→down change would otherwise never be
 * reported, and an operator would see nothing at all); the first good probe then reports 'up'.
 */

export type BreakerState = 'up' | 'down' | 'repairing' | 'closed';

export interface RedisBreakerOptions {
  /** Resolves with an identity per data node (e.g. host:port=run_id) when all answer; rejects otherwise. */
  probe(): Promise<string[]>;
  /** Makes Redis trustworthy when the journal cannot: flush our keys, announce it. */
  repair(): Promise<void>;
  /** Milliseconds between recovery attempts while down. */
  retryMs?: number;
  /** Milliseconds between health probes while up. */
  checkMs?: number;
  /** Lost deletes remembered before falling back to a full repair. */
  journalLimit?: number;
  /** How long failing probes at start are quiet (the client is still connecting) before they are reported. */
  startGraceMs?: number;
  onStateChange?(state: BreakerState, reason?: string): void;
}

export type Attempt<T> = { ok: true; value: T } | { ok: false };

type Delete = () => Promise<unknown>;

export class RedisBreaker {
  private current: BreakerState = 'down';
  private journal: Delete[] = [];
  private mustRepair = false;
  private identities: string[] | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly retryMs: number;
  private readonly checkMs: number;
  private readonly journalLimit: number;
  private upWaiters: (() => void)[] = [];
  private readonly startedAt = Date.now();
  private readonly startGraceMs: number;
  /** Up at least once, or unreachability at start already reported: later failures are state changes. */
  private announced = false;
  /** Counters for tests and metrics. */
  readonly stats = { trips: 0, repairs: 0, replayed: 0, skipped: 0 };

  constructor(private readonly opts: RedisBreakerOptions) {
    this.retryMs = opts.retryMs ?? 250;
    this.checkMs = opts.checkMs ?? 2000;
    this.journalLimit = opts.journalLimit ?? 10_000;
    this.startGraceMs = opts.startGraceMs ?? 1000;
    this.schedule(0);
  }

  get state(): BreakerState {
    return this.current;
  }

  get up(): boolean {
    return this.current === 'up';
  }

  /** Deletes waiting to be redone (0 also when a full repair is pending: see `clean`). */
  get pendingDeletes(): number {
    return this.journal.length;
  }

  /** True when Redis holds nothing this server revoked (nothing journaled, no repair pending). */
  get clean(): boolean {
    return this.journal.length === 0 && !this.mustRepair;
  }

  /** Resolves true once the breaker is up (now or later), false after timeoutMs. */
  whenUp(timeoutMs: number): Promise<boolean> {
    if (this.current === 'up') return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.upWaiters = this.upWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.upWaiters.push(done);
    });
  }

  /** Runs a Redis call if Redis is trusted; any failure opens the breaker. Never throws. */
  async run<T>(fn: () => Promise<T>): Promise<Attempt<T>> {
    if (this.current !== 'up') {
      this.stats.skipped++;
      return { ok: false };
    }
    try {
      return { ok: true, value: await fn() };
    } catch (err) {
      this.trip(err instanceof Error ? err.message : String(err));
      return { ok: false };
    }
  }

  /** Like run, for deletes: one that did not certainly happen is journaled and redone before Redis is trusted. */
  async runDelete(fn: Delete): Promise<void> {
    const r = await this.run(fn);
    if (!r.ok) this.remember(fn);
  }

  /** Something outside `run` saw Redis fail: stop trusting it. */
  trip(reason: string): void {
    if (this.current !== 'up') return;
    this.stats.trips++;
    this.setState('down', reason);
    this.schedule(this.retryMs);
  }

  close(): void {
    this.current = 'closed';
    clearTimeout(this.timer);
  }

  private remember(fn: Delete): void {
    if (this.mustRepair) return;
    if (this.journal.length >= this.journalLimit) {
      this.journal = [];
      this.mustRepair = true;
      return;
    }
    this.journal.push(fn);
  }

  /** A method, not an inline comparison: the state changes across awaits, which narrowing does not see. */
  private isClosed(): boolean {
    return this.current === 'closed';
  }

  private setState(state: BreakerState, reason?: string): void {
    if (this.current === 'closed' || this.current === state) return;
    this.current = state;
    if (state !== 'repairing') this.announced = true;
    this.opts.onStateChange?.(state, reason);
    if (state === 'up') for (const w of this.upWaiters.splice(0)) w();
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.current === 'closed') return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.isClosed()) return;
    if (this.current === 'up') return this.check();
    let batch: Delete[] = [];
    let flushing = false;
    try {
      let ids = await this.opts.probe();
      if (this.identities !== undefined && !sameIdentities(this.identities, ids)) this.mustRepair = true;
      while (!this.clean) {
        this.setState('repairing');
        if (this.mustRepair) {
          this.mustRepair = false;
          this.journal = [];
          flushing = true;
          await this.opts.repair();
          flushing = false;
          this.stats.repairs++;
        } else {
          batch = this.journal.splice(0);
          while (batch.length > 0) {
            await batch[0]!();
            batch.shift();
            this.stats.replayed++;
          }
        }
        ids = await this.opts.probe();
      }
      this.identities = ids;
      if (this.isClosed()) return;
      this.setState('up');
      this.schedule(this.checkMs);
    } catch (err) {
      // Still unreachable, or the repair failed half-way: what was not redone is redone next time.
      if (flushing) this.mustRepair = true;
      else if (batch.length > 0) this.journal.unshift(...batch);
      const reason = err instanceof Error ? err.message : String(err);
      if (this.current === 'repairing') this.setState('down', reason);
      else if (!this.announced && Date.now() - this.startedAt >= this.startGraceMs && !this.isClosed()) {
        this.announced = true;
        this.opts.onStateChange?.('down', reason);
      }
      this.schedule(this.retryMs);
    }
  }

  private async check(): Promise<void> {
    try {
      const ids = await this.opts.probe();
      if (this.identities && !sameIdentities(this.identities, ids)) {
        this.mustRepair = true;
        this.trip('a redis node restarted');
        return;
      }
      this.schedule(this.checkMs);
    } catch (err) {
      this.trip(err instanceof Error ? err.message : String(err));
    }
  }
}

function sameIdentities(a: string[], b: string[]): boolean {
  return [...a].sort().join(',') === [...b].sort().join(',');
}
