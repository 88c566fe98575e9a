/**
 * How fast Kafka takes records, measured as it runs: bytes acknowledged over the last few seconds,
 * in buckets of one tick each. Read by BatchingProducer to size what it lets callers queue by time
 * (what Kafka drains in `targetQueueMs`) rather than by a fixed number of bytes.
 */
export class DrainRate {
  private readonly buckets: Float64Array;
  private current = 0;
  private filled = 0;
  private bucketStartedAt: number;

  constructor(
    private readonly bucketMs = 250,
    buckets = 8,
    now = Date.now(),
  ) {
    this.buckets = new Float64Array(buckets);
    this.bucketStartedAt = now;
  }

  /** Bytes Kafka just acknowledged. */
  acked(bytes: number): void {
    this.buckets[this.current] += bytes;
  }

  /** Starts the next bucket once the current one is `bucketMs` old; call it at least that often. */
  tick(now = Date.now()): void {
    while (now - this.bucketStartedAt >= this.bucketMs) {
      this.bucketStartedAt += this.bucketMs;
      this.current = (this.current + 1) % this.buckets.length;
      this.buckets[this.current] = 0;
      this.filled = Math.min(this.filled + 1, this.buckets.length - 1);
    }
  }

  /** Bytes per second over the completed buckets (0 until one completed). */
  bytesPerSecond(): number {
    if (this.filled === 0) return 0;
    let sum = 0;
    for (let i = 1; i <= this.filled; i++) {
      sum += this.buckets[(this.current - i + this.buckets.length) % this.buckets.length];
    }
    return sum / ((this.filled * this.bucketMs) / 1000);
  }
}
