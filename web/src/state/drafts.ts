import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * Unsaved form input, kept so that a session that ends mid-edit does not lose it — also across a
 * reload: mirrored into sessionStorage (this tab only, gone when it closes) and cleared on sign-out (the
 * server's Clear-Site-Data on logout empties it too). When the same user signs back in, the form they
 * return to finds its draft; when someone else signs in, the drafts are dropped.
 */
const STORAGE_KEY = 'stockade.drafts';

class Drafts {
  private values = new Map<string, unknown>();
  private owner: string | null = null;

  constructor() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as {
        owner: string | null;
        values: [string, unknown][];
      } | null;
      if (saved) {
        this.owner = saved.owner;
        this.values = new Map(saved.values);
      }
    } catch {
      // Nothing usable kept: start empty.
    }
  }

  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }

  set(key: string, value: unknown): void {
    this.values.set(key, value);
    this.save();
  }

  delete(key: string): void {
    this.values.delete(key);
    this.save();
  }

  holdFor(userId: string): void {
    this.owner = userId;
    this.save();
  }

  claimFor(userId: string): void {
    if (this.owner !== null && this.owner !== userId) this.values.clear();
    this.owner = userId;
    this.save();
  }

  clear(): void {
    this.values.clear();
    this.owner = null;
    try {
      sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // nothing stored
    }
  }

  private save(): void {
    try {
      if (this.values.size === 0) sessionStorage.removeItem(STORAGE_KEY);
      else sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ owner: this.owner, values: [...this.values] }));
    } catch {
      // Storage refused (quota, private mode): the draft still lives in memory until a reload.
    }
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
