/**
 * Small buffers carved from large slabs: for buffers of a few KB that live briefly (record values
 * until Kafka acknowledged them, encoded records until kafkajs copied them into a batch),
 * Buffer.allocUnsafe (an 8 KiB pool) costs more than filling them, and leaves the garbage collector
 * far more ArrayBuffers to track. A slab is garbage once none of its buffers is referenced, so this
 * holds at most one slab more than what is alive. Larger requests get buffers of their own.
 */
export class BufferSlab {
  private slab = Buffer.alloc(0);
  private used = 0;

  constructor(
    private readonly slabBytes = 256 * 1024,
    private readonly largest = 32 * 1024,
  ) {}

  take(size: number): Buffer {
    if (size > this.largest) return Buffer.allocUnsafe(size);
    if (this.used + size > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(this.slabBytes);
      this.used = 0;
    }
    const out = this.slab.subarray(this.used, this.used + size);
    this.used += (size + 7) & ~7; // 8-byte aligned starts
    return out;
  }
}
