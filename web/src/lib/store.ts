import { useEffect, useState } from 'preact/hooks';

/**
 * A value several components watch. Preact's hooks have no useSyncExternalStore (that lives in
 * preact/compat), so this is the small version: subscribe on mount, re-render on change.
 */
export class Store<T> {
  private listeners = new Set<(value: T) => void>();
  constructor(private value: T) {}

  get(): T {
    return this.value;
  }

  set(next: T): void {
    if (Object.is(next, this.value)) return;
    this.value = next;
    for (const listener of [...this.listeners]) listener(next);
  }

  update(fn: (current: T) => T): void {
    this.set(fn(this.value));
  }

  subscribe(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export function useStore<T>(store: Store<T>): T {
  const [value, setValue] = useState(store.get());
  useEffect(() => {
    // The value may have changed between render and subscription.
    setValue(store.get());
    return store.subscribe(setValue);
  }, [store]);
  return value;
}
