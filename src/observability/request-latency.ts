/**
 * The request-latency histogram, the one observation every request makes (metrics.ts's cost rules).
 *
 * prom-client's Histogram, observed with labels, makes a closure and a labels object, validates every
 * label name and joins the label values into a key string on each observation: ~3.5 µs of a "who am I",
 * a twentieth of the request (issue 20, bench/cpu.mjs). Here a series is found by three Map lookups
 * (route pattern, method, status: values the router and the code chose, never the raw URL) and an
 * observation adds to numbers. Nothing else is ours: it is registered in prom-client's registry, which
 * exports it like its own histograms — `get()` answers in the shape prom-client's Histogram does
 * (cumulative `_bucket` series with `le`, then `+Inf`, `_sum`, `_count`), so the exposition is
 * prom-client's.
 */
type Labels = { readonly method: string; readonly route: string; readonly status: number };

/** One exported line's worth, as prom-client's registry reads it. */
interface Value {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName: string;
}

interface Series {
  readonly labels: Labels;
  /** Observations per bucket (not cumulative); the last counts those above every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

export class RequestLatencyHistogram {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  /** route → method → status → series. */
  private readonly series = new Map<string, Map<string, Map<number, Series>>>();

  constructor(
    readonly name: string,
    readonly help: string,
    /** Upper bounds in seconds, ascending. */
    private readonly bounds: readonly number[],
  ) {
    for (let i = 1; i < bounds.length; i++)
      if (!((bounds[i] as number) > (bounds[i - 1] as number))) throw new RangeError('bucket bounds must ascend');
  }

  /** One request's time, in seconds. */
  observe(method: string, route: string, status: number, seconds: number): void {
    let byMethod = this.series.get(route);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.series.set(route, byMethod);
    }
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) {
      byStatus = new Map();
      byMethod.set(method, byStatus);
    }
    let s = byStatus.get(status);
    if (s === undefined) {
      s = { labels: { method, route, status }, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
      byStatus.set(status, s);
    }
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > (bounds[i] as number)) i++;
    (s.counts[i] as number)++;
    s.sum += seconds;
    s.count++;
  }

  /** What prom-client's registry exports (the shape of its Histogram's `get()`). */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Value[] }> {
    const values: Value[] = [];
    const bucket = `${this.name}_bucket`;
    for (const byMethod of this.series.values())
      for (const byStatus of byMethod.values())
        for (const s of byStatus.values()) {
          let cumulative = 0;
          this.bounds.forEach((le, i) => {
            cumulative += s.counts[i] as number;
            values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: bucket });
          });
          values.push(
            { labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: bucket },
            { labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` },
            { labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` },
          );
        }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}
