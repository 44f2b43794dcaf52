/**
 * A bounded-concurrency gate for password hashing (S-44, ARCHITECTURE "bounded queue").
 *
 * argon2id at 19 MiB costs ~40 ms of one core. The native bindings run on libuv's thread pool (4 threads
 * by default, shared with fs and dns), so an unbounded burst of sign-ins would queue there invisibly, delay
 * every file read and grow memory by 19 MiB per running hash. This gate lets `concurrency` hashes run,
 * `queue` more wait in FIFO order, and refuses the rest at once with 503 `unavailable` + Retry-After:
 * a fast, honest "try again" beats a sign-in that hangs for ten seconds.
 *
 * Keep `concurrency` at or below UV_THREADPOOL_SIZE (default 4): above it the extra hashes only wait
 * inside libuv instead of here, where they are counted.
 */
import { AppError } from '../errors.js';

export interface HashLimiterOptions {
  /** Hashes allowed to run at once; an integer ≥ 1. */
  concurrency: number;
  /** Callers allowed to wait for a slot; an integer ≥ 0. Beyond that, run() rejects at once. */
  queue: number;
}

export interface HashLimiterStats {
  running: number;
  waiting: number;
  /** Calls refused since creation (a counter, for metrics). */
  rejected: number;
}

export interface HashLimiter {
  /** Runs fn when a slot is free; rejects with AppError 'unavailable' when slots and queue are full. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  stats(): HashLimiterStats;
}

export function createHashLimiter({ concurrency, queue }: HashLimiterOptions): HashLimiter {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`hash limiter: concurrency must be an integer ≥ 1, got ${concurrency}`);
  }
  if (!Number.isInteger(queue) || queue < 0) {
    throw new RangeError(`hash limiter: queue must be an integer ≥ 0, got ${queue}`);
  }

  let running = 0;
  let rejected = 0;
  /** Wake-up calls of the waiting callers, oldest first. */
  const waiting: Array<() => void> = [];

  /** A finished task hands its slot straight to the oldest waiter, so `running` never over-counts. */
  function release(): void {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }

  async function acquire(): Promise<void> {
    if (running < concurrency) {
      running++;
      return;
    }
    if (waiting.length < queue) {
      await new Promise<void>((resolve) => waiting.push(resolve));
      return;
    }
    rejected++;
    throw new AppError('unavailable', 'Too many sign-ins at once; try again shortly.', { retryAfter: 1 });
  }

  return {
    async run<T>(fn: () => Promise<T>): Promise<T> {
      await acquire();
      try {
        return await fn();
      } finally {
        release();
      }
    },
    stats: () => ({ running, waiting: waiting.length, rejected }),
  };
}
