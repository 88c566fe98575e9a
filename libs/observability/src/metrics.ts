import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

type CounterConfig<L extends string> = { name: string; help: string; labelNames?: readonly L[] };
type HistogramConfig<L extends string> = CounterConfig<L> & { buckets?: number[] };

/**
 * One Prometheus registry per app instance (tests run several in one process), with get-or-create
 * so that shared libs can declare the metrics they own without clashing.
 */
/** See Metrics.fastCounter. */
export interface FastCounter<L extends string> {
  labels(labels: Partial<Record<L, string>>): { inc(): void };
}

export class Metrics {
  readonly registry = new Registry();
  private readonly fastCounters = new Map<string, FastCounter<string>>();

  constructor(app: string, withDefaults = true) {
    this.registry.setDefaultLabels({ app });
    if (withDefaults) collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string>(config: CounterConfig<L>): Counter<L> {
    return this.existing<Counter<L>>(config.name) ?? new Counter({ ...config, registers: [this.registry] });
  }

  /** A gauge; with `value`, it is read at every scrape instead of being set by the caller. */
  gauge<L extends string>(config: CounterConfig<L> & { value?: () => number }): Gauge<L> {
    const existing = this.existing<Gauge<L>>(config.name);
    if (existing) return existing;
    const { value, ...rest } = config;
    const gauge: Gauge<L> = new Gauge({
      ...rest,
      registers: [this.registry],
      collect: value ? () => gauge.set(value()) : undefined,
    });
    return gauge;
  }

  /**
   * A counter for per-message hot paths: `labels(...)` gives a handle whose `inc()` adds to a plain
   * number, and the sums reach the Prometheus counter whenever it is scraped. (prom-client's own
   * `inc` hashes and validates the labels on every call, and returns a new object.)
   */
  fastCounter<L extends string>(config: CounterConfig<L>): FastCounter<L> {
    let fast = this.fastCounters.get(config.name) as FastCounter<L> | undefined;
    if (!fast) {
      const handles = new Map<string, { labels: Partial<Record<L, string>>; pending: number }>();
      const counter: Counter<L> = new Counter({
        ...config,
        registers: [this.registry],
        collect: () => {
          for (const handle of handles.values()) {
            if (handle.pending === 0) continue;
            counter.inc(handle.labels, handle.pending);
            handle.pending = 0;
          }
        },
      });
      fast = {
        labels: (labels) => {
          const key = JSON.stringify(labels);
          let handle = handles.get(key);
          if (!handle) {
            handle = { labels: { ...labels }, pending: 0 };
            handles.set(key, handle);
            counter.inc(labels, 0); // listed from the start, at 0
          }
          const target = handle;
          return { inc: () => void target.pending++ };
        },
      };
      this.fastCounters.set(config.name, fast);
    }
    return fast;
  }

  histogram<L extends string>(config: HistogramConfig<L>): Histogram<L> {
    return (
      this.existing<Histogram<L>>(config.name) ?? new Histogram({ ...config, registers: [this.registry] })
    );
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }

  private existing<T>(name: string): T | undefined {
    return this.registry.getSingleMetric(name) as T | undefined;
  }
}
