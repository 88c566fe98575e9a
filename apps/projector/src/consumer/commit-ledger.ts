/**
 * What kafkajs reported it committed for one topic (its COMMIT_OFFSETS events). kafkajs resolves
 * `commitOffsets` without committing anything while its consumer is not running (restarting after
 * a crash, or stopped during the commit), so a commit counts only once it shows up here.
 */
export class CommitLedger {
  private readonly next = new Map<number, bigint>();

  constructor(private readonly topic: string) {}

  /** A COMMIT_OFFSETS payload's topics; kafkajs passes offsets as strings or Longs. */
  note(topics: { topic: string; partitions: { partition: number; offset: unknown }[] }[]): void {
    for (const { topic, partitions } of topics) {
      if (topic !== this.topic) continue;
      for (const { partition, offset } of partitions) {
        const next = BigInt(String(offset));
        if (next > (this.next.get(partition) ?? -1n)) this.next.set(partition, next);
      }
    }
  }

  /** Partitions of `offsets` not committed up to the offset asked for. */
  unconfirmed(offsets: { partition: number; offset: string }[]): number[] {
    return offsets
      .filter((o) => (this.next.get(o.partition) ?? -1n) < BigInt(o.offset))
      .map((o) => o.partition);
  }
}
