/**
 * Messages of a stream complete out of order (data and DLQ records can be acknowledged in different
 * batches); the watermark is the length of the prefix 1..n that is complete.
 */
export class AckWatermark {
  private completedPrefix = 0;
  private readonly ahead = new Set<number>();

  complete(sequence: number): void {
    if (sequence <= this.completedPrefix) return;
    // In-order completion (the common case) touches no Set.
    if (sequence === this.completedPrefix + 1 && this.ahead.size === 0) {
      this.completedPrefix = sequence;
      return;
    }
    this.ahead.add(sequence);
    while (this.ahead.delete(this.completedPrefix + 1)) this.completedPrefix++;
  }

  get count(): number {
    return this.completedPrefix;
  }
}
