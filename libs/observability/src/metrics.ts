import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

type CounterConfig<L extends string> = { name: string; help: string; labelNames?: readonly L[] };
type HistogramConfig<L extends string> = CounterConfig<L> & { buckets?: number[] };

/**
 * One Prometheus registry per app instance (tests run several in one process), with get-or-create
 * so that shared libs can declare the metrics they own without clashing.
 */
export class Metrics {
  readonly registry = new Registry();

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
