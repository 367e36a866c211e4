import type { Registry } from 'prom-client';

interface Series {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative); the last slot is above every bound (+Inf). */
  counts: Float64Array;
  sum: number;
  count: number;
}

/** What an `observe` on one label set costs: a bucket scan and three additions. */
export interface SeriesObserver {
  observe(seconds: number): void;
}

/**
 * A Prometheus histogram for the request path, read by prom-client's registry like its own
 * (same exposition, same `_bucket`/`_sum`/`_count` series). prom-client's `Histogram` hashes
 * the label object and turns each bound into an object key on every `observe`, which on the
 * gateway's cached list cost several percent of a request's CPU; here a label set is resolved
 * once to a `SeriesObserver` and each observation is arithmetic.
 */
export class HotPathHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The observer of one label set, in `labelNames` order (keep it: looking it up costs more). */
  labels(...values: string[]): SeriesObserver {
    const key = values.join('\u0000');
    let series = this.series.get(key);
    if (series === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i] ?? ''));
      series = { labels, counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    const { bounds } = this;
    const target = series;
    return {
      observe(seconds: number) {
        let i = 0;
        while (i < bounds.length && seconds > bounds[i]!) i++;
        target.counts[i]! += 1;
        target.sum += seconds;
        target.count += 1;
      },
    };
  }

  /** prom-client's registry calls this at each scrape. */
  get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] =
      [];
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += counts[i]!;
        values.push({
          labels: { ...labels, le: bound },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      });
      values.push({
        labels: { ...labels, le: '+Inf' },
        value: count,
        metricName: `${this.name}_bucket`,
      });
      values.push({ labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: count, metricName: `${this.name}_count` });
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    };
  }

  reset(): void {
    this.series.clear();
  }
}
