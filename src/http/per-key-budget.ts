/**
 * At most `perKey` takes per key per fixed window, in memory, for a bounded number of keys: what rate-
 * limits a log line or an audit row without writing anything to do so.
 *
 * How it can fail, and why that is acceptable here: it is per process (N servers allow N times the
 * budget), forgets everything at restart, and when more than `maxKeys` keys are live the oldest window is
 * dropped, so an attacker with very many keys can earn some of them a fresh budget early. Every caller
 * therefore also takes from a budget with one global key, which bounds the total whatever the keys.
 */
export interface PerKeyBudgetOptions {
  perKey: number;
  windowMs: number;
  maxKeys: number;
  now?: () => number;
}

interface Window {
  start: number;
  used: number;
}

export class PerKeyBudget {
  private readonly windows = new Map<string, Window>();
  private readonly now: () => number;

  constructor(private readonly opts: PerKeyBudgetOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** True (and one less left) while this key's window has budget; false once it is spent. */
  take(key: string): boolean {
    const now = this.now();
    const w = this.windows.get(key);
    if (w && now - w.start < this.opts.windowMs) {
      if (w.used >= this.opts.perKey) return false;
      w.used++;
      return true;
    }
    // A new window goes to the end of the Map's insertion order, so the first key is the oldest window.
    if (w) this.windows.delete(key);
    else if (this.windows.size >= this.opts.maxKeys) {
      const oldest = this.windows.keys().next();
      if (!oldest.done) this.windows.delete(oldest.value);
    }
    if (this.opts.perKey < 1) return false;
    this.windows.set(key, { start: now, used: 1 });
    return true;
  }
}
