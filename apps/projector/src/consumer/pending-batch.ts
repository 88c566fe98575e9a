import type { SourceRecord } from '../projections/source-record';

/**
 * Records read from Kafka and not yet stored, with the offsets to commit once they are.
 * A rebalance clears it: the partitions' owners read them again from the last committed offset
 * (and the row sink skips what is already stored).
 */
export class PendingBatch {
  private records: SourceRecord[] = [];
  private bytes = 0;
  private oldestAt = 0;

  add(record: SourceRecord): void {
    if (this.records.length === 0) this.oldestAt = Date.now();
    this.records.push(record);
    this.bytes += record.value.length;
  }

  get size(): number {
    return this.records.length;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  ageMs(now = Date.now()): number {
    return this.records.length === 0 ? 0 : now - this.oldestAt;
  }

  /** Takes up to `max` records, oldest first. */
  take(max: number): SourceRecord[] {
    const taken = this.records.splice(0, max);
    this.bytes -= taken.reduce((n, r) => n + r.value.length, 0);
    if (this.records.length > 0) this.oldestAt = Date.now();
    return taken;
  }

  /** Puts records back at the front after a failed flush, keeping their order. */
  restore(records: SourceRecord[]): void {
    this.records = [...records, ...this.records];
    this.bytes += records.reduce((n, r) => n + r.value.length, 0);
    this.oldestAt = Date.now();
  }

  /** Drops everything waiting; returns how many records that was. */
  clear(): number {
    const dropped = this.records.length;
    this.records = [];
    this.bytes = 0;
    return dropped;
  }
}

/** The offset to commit per partition: one past the highest stored record. */
export function commitOffsets(
  topic: string,
  records: SourceRecord[],
): { topic: string; partition: number; offset: string }[] {
  const highest = new Map<number, bigint>();
  for (const r of records) {
    const offset = BigInt(r.offset);
    if (offset > (highest.get(r.partition) ?? -1n)) highest.set(r.partition, offset);
  }
  return [...highest].map(([partition, offset]) => ({ topic, partition, offset: (offset + 1n).toString() }));
}
