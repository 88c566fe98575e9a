import type { Admin } from 'kafkajs';
import type { AppLogger, Metrics } from '@app/observability';

export interface PartitionEnds {
  partition: number;
  /** The high watermark: the offset the next record will get. */
  high: string;
  low: string;
}

export interface CommittedOffset {
  partition: number;
  /** The next offset the group will read; -1 when it never committed on this partition. */
  offset: string;
}

/**
 * Records still to store per partition: the high watermark minus the group's committed offset.
 * A partition the group never committed is read from the beginning (the consumers subscribe
 * `fromBeginning`), so everything the broker still holds is lag.
 */
export function consumerLag(
  ends: PartitionEnds[],
  committed: CommittedOffset[],
): { partition: number; lag: number }[] {
  const next = new Map(committed.map((c) => [c.partition, BigInt(c.offset)]));
  return ends.map(({ partition, high, low }) => {
    const offset = next.get(partition) ?? -1n;
    const from = offset < 0n ? BigInt(low) : offset;
    const lag = BigInt(high) - from;
    return { partition, lag: lag > 0n ? Number(lag) : 0 };
  });
}

export interface LagSource {
  projection: string;
  groupId: string;
  topic: string;
}

/**
 * Sets `projector_consumer_lag{projection, partition}` from the broker's view every `intervalMs`:
 * right during a catch-up, after it, and while this instance is paused or owns none of a
 * topic's partitions. While the broker cannot be asked the last values stay.
 */
export class ConsumerLagMonitor {
  private readonly gauge;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly admin: Pick<Admin, 'fetchTopicOffsets' | 'fetchOffsets'>,
    private readonly sources: LagSource[],
    metrics: Metrics,
    private readonly logger: AppLogger,
    private readonly intervalMs: number,
  ) {
    this.gauge = metrics.gauge({
      name: 'projector_consumer_lag',
      help: 'Records not yet stored and committed: high watermark minus the committed offset',
      labelNames: ['projection', 'partition'] as const,
    });
  }

  start(): void {
    this.refreshInBackground();
    this.timer = setInterval(() => this.refreshInBackground(), this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.refreshing;
  }

  /** One refresh at a time: a broker that does not answer must not pile requests up. */
  private refreshInBackground(): void {
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
  }

  async refresh(): Promise<void> {
    for (const source of this.sources) {
      try {
        const [ends, groups] = await Promise.all([
          this.admin.fetchTopicOffsets(source.topic),
          this.admin.fetchOffsets({ groupId: source.groupId, topics: [source.topic] }),
        ]);
        const committed = groups.find((g) => g.topic === source.topic)?.partitions ?? [];
        for (const { partition, lag } of consumerLag(ends, committed))
          this.gauge.set({ projection: source.projection, partition: String(partition) }, lag);
      } catch (error) {
        this.logger.debug(
          { projection: source.projection, err: (error as Error).message },
          'consumer lag not refreshed',
        );
      }
    }
  }
}
