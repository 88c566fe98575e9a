import { Clock, systemClock } from './clock';

export interface FailureThrottleOptions {
  /** Failures a key may have in a row before it is throttled (the bucket's size). */
  burst: number;
  /** Failures forgiven per second (the bucket's refill rate). */
  refillPerSecond: number;
  /** Keys tracked at once; beyond it the least recently failed are forgotten. */
  maxTracked: number;
  now?: Clock;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per key (a peer address) that only failures drain: each failure takes a token,
 * tokens come back at `refillPerSecond` up to `burst`, and a key with less than one token left is
 * throttled. Successes cost nothing, so a healthy agent never notices; a key guesser gets `burst`
 * tries, then `refillPerSecond` per second.
 *
 * Memory is bounded by `maxTracked`. A full bucket carries no information and is dropped; when the
 * map is still full, the key whose last failure is oldest goes first, as its bucket is the
 * fullest. Buckets are kept in the order of their last failure (Map insertion order).
 */
export class FailureThrottle {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: Clock;

  constructor(private readonly options: FailureThrottleOptions) {
    if (!(options.burst >= 1) || !(options.refillPerSecond > 0) || !(options.maxTracked >= 1)) {
      throw new Error('FailureThrottle needs burst >= 1, refillPerSecond > 0 and maxTracked >= 1');
    }
    this.now = options.now ?? systemClock;
  }

  /** Keys currently tracked (for a gauge). */
  get size(): number {
    return this.buckets.size;
  }

  isThrottled(key: string): boolean {
    const bucket = this.buckets.get(key);
    return bucket !== undefined && this.tokens(bucket, this.now()) < 1;
  }

  recordFailure(key: string): void {
    const now = this.now();
    const bucket = this.buckets.get(key);
    const tokens = bucket ? this.tokens(bucket, now) : this.options.burst;
    this.buckets.delete(key);
    this.buckets.set(key, { tokens: Math.max(0, tokens - 1), at: now });
    this.evict(now);
  }

  private tokens(bucket: Bucket, now: number): number {
    const refilled = (Math.max(0, now - bucket.at) / 1000) * this.options.refillPerSecond;
    return Math.min(this.options.burst, bucket.tokens + refilled);
  }

  private evict(now: number): void {
    for (const [key, bucket] of this.buckets) {
      const full = this.tokens(bucket, now) >= this.options.burst;
      if (!full && this.buckets.size <= this.options.maxTracked) break;
      this.buckets.delete(key);
    }
  }
}
