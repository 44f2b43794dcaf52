import type { Db } from '../db/db.js';
import type { ItemFields } from './types.js';

/*
 * Statement sizes. PGlite runs SQL on this very thread: inserting 2 KB rows there costs ~0.5 ms a row and
 * looking up 100 SKUs ~7 ms (more on a busy machine: 64-row inserts held the loop 35–190 ms), so its
 * statements are small. A PostgreSQL server does the work elsewhere; only parameters are serialised
 * here, so its statements can be larger (fewer round trips).
 */
export const BATCH: Record<Db['kind'], { rows: number; chars: number }> = {
  pglite: { rows: 25, chars: 16 * 1024 },
  postgres: { rows: 200, chars: 128 * 1024 },
};
export type BatchSize = (typeof BATCH)[Db['kind']];

export function rowChars(f: ItemFields): number {
  return f.sku.length + f.name.length + (f.description?.length ?? 0) + (f.location?.length ?? 0) + 64;
}

/** Consecutive slices of `items`, each within the batch's rows and characters. */
export function batches<T>(items: readonly T[], max: BatchSize, size: (item: T) => number): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let chars = 0;
  for (const item of items) {
    const n = size(item);
    if (current.length > 0 && (current.length >= max.rows || chars + n > max.chars)) {
      out.push(current);
      current = [];
      chars = 0;
    }
    current.push(item);
    chars += n;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Lets the event loop run between batches of work done on this thread (PGlite, comparisons). */
export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
