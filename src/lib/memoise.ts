/**
 * `make`, memoised per source object in a WeakMap, so a derived value lives exactly as long as the
 * object it was made from. Only for sources that are never mutated: the cached value would not follow.
 * Used for the public views of session records and user snapshots, which "who am I" renders from the
 * same cached objects on every request.
 */
export function memoisedPerObject<K extends object, V>(make: (source: K) => V): (source: K) => V {
  const made = new WeakMap<K, V>();
  return (source) => {
    let value = made.get(source);
    if (value === undefined) {
      value = make(source);
      made.set(source, value);
    }
    return value;
  };
}
