/**
 * Reading Prometheus text in tests: the value of one sample, picked by name and labels (a subset:
 * `{ route: '/api/items/:id' }` matches whatever the other labels are, summed).
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) {
      total += Number(m[4]);
      found = true;
    }
  }
  return found ? total : Number.NaN;
}

/** 0 for a series that does not exist yet (a counter before its first increment). */
export const sampleOr0 = (text: string, name: string, labels: Record<string, string> = {}) => {
  const v = sample(text, name, labels);
  return Number.isNaN(v) ? 0 : v;
};
