/**
 * Messages of a stream complete out of order (data and DLQ records can be acknowledged in different
 * batches); the watermark is the length of the prefix 1..n that is complete.
 */
export class AckWatermark {
  private completedPrefix = 0;
  /** Completed beyond the prefix; only while there are any (most streams never need it). */
  private ahead: Set<number> | undefined;

  complete(sequence: number): void {
    if (sequence <= this.completedPrefix) return;
    // In-order completion (the common case) touches no Set.
    if (sequence === this.completedPrefix + 1 && this.ahead === undefined) {
      this.completedPrefix = sequence;
      return;
    }
    const ahead = (this.ahead ??= new Set());
    ahead.add(sequence);
    while (ahead.delete(this.completedPrefix + 1)) this.completedPrefix++;
    if (ahead.size === 0) this.ahead = undefined;
  }

  get count(): number {
    return this.completedPrefix;
  }
}
