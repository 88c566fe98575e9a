/** A Prometheus histogram read from /metrics text, and what can be said of its quantiles. */
export interface PromHistogram {
  /** Cumulative counts by upper bound (le), ascending; +Inf last. */
  buckets: { le: number; count: number }[];
  count: number;
  sum: number;
}

export function readHistogram(exposition: string, name: string, labels = ''): PromHistogram {
  const buckets = new Map<number, number>();
  let count = 0;
  let sum = 0;
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || !(match[2] ?? '').includes(labels)) continue;
    const value = Number(match[3]);
    if (match[1] === `${name}_bucket`) {
      const le = /le="([^"]+)"/.exec(match[2] ?? '')?.[1];
      if (le) buckets.set(le === '+Inf' ? Infinity : Number(le), value);
    } else if (match[1] === `${name}_count`) count = value;
    else if (match[1] === `${name}_sum`) sum = value;
  }
  return {
    buckets: [...buckets].map(([le, c]) => ({ le, count: c })).sort((a, b) => a.le - b.le),
    count,
    sum,
  };
}

/** after − before, bucket by bucket. */
export function histogramDelta(after: PromHistogram, before: PromHistogram): PromHistogram {
  return {
    buckets: after.buckets.map((b) => ({
      le: b.le,
      count: b.count - (before.buckets.find((x) => x.le === b.le)?.count ?? 0),
    })),
    count: after.count - before.count,
    sum: after.sum - before.sum,
  };
}

/** The upper bound of the bucket holding quantile q (the true value is at most that). */
export function quantileBound(h: PromHistogram, q: number): number {
  const target = q * h.count;
  return h.buckets.find((b) => b.count >= target && b.count > 0)?.le ?? NaN;
}
