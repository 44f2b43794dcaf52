import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * Unsaved form input, kept in memory (never in storage: it may be business data on a shared machine)
 * so that a session that ends mid-edit does not silently lose it. When the same user signs back in, the
 * form they return to finds its draft; when someone else signs in, the drafts are dropped.
 */
class Drafts {
  private values = new Map<string, unknown>();
  private owner: string | null = null;

  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }

  set(key: string, value: unknown): void {
    this.values.set(key, value);
  }

  delete(key: string): void {
    this.values.delete(key);
  }

  holdFor(userId: string): void {
    this.owner = userId;
  }

  claimFor(userId: string): void {
    if (this.owner !== null && this.owner !== userId) this.values.clear();
    this.owner = userId;
  }

  clear(): void {
    this.values.clear();
    this.owner = null;
  }
}

export const drafts = new Drafts();

/**
 * useState whose value is mirrored into `drafts` under `key`, and restored from it on mount.
 * `discard()` forgets the draft (call it after a successful save). `restored` tells the form to say so.
 */
export function useDraft<T>(key: string, initial: () => T) {
  const saved = drafts.get<T>(key);
  const restoredRef = useRef(saved !== undefined);
  const [value, setValue] = useState<T>(() => saved ?? initial());
  const dirty = useRef(saved !== undefined);

  useEffect(() => {
    if (dirty.current) drafts.set(key, value);
  }, [key, value]);

  return {
    value,
    restored: restoredRef.current,
    set(next: T | ((prev: T) => T)) {
      dirty.current = true;
      setValue(next);
    },
    /** Replaces the value without marking it as the merchant's input (e.g. loading the saved item). */
    reset(next: T) {
      dirty.current = false;
      drafts.delete(key);
      setValue(next);
    },
    discard() {
      dirty.current = false;
      restoredRef.current = false;
      drafts.delete(key);
    },
  };
}
