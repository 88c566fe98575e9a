import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { AppLogger } from '@app/observability';

export interface FollowedRecord {
  topic: string;
  partition: number;
  offset: string;
  message: KafkaMessage;
}

export interface TopicFollowerOptions {
  topics: string[];
  /** Prefix of the private consumer group (a fresh one per start: nothing is ever committed). */
  groupPrefix: string;
  /** Longest a fetch waits for new records: what a change costs in latency to followers. */
  maxWaitTimeMs?: number;
  /**
   * `start` (default): read everything, then follow. `end`: follow only what is written after
   * `start()` began (the ends are taken before the consumer runs, then sought to).
   */
  from?: 'start' | 'end';
}

/**
 * Reads whole topics from their start, then follows them, into an in-memory projection (the key
 * registry, the fleet view). Every start builds the projection again from the topics, so there is
 * no offset to commit: the group is private to this process and commits nothing.
 *
 * "Caught up" means: every record that existed when `start` was called has been applied. It is
 * what readiness waits for, so that a gateway never refuses a key that was issued before it started.
 */
export class TopicFollower {
  private consumer: Consumer | undefined;
  /** Per `topic/partition`: the end offset at start still to reach; removed once reached. */
  private readonly behind = new Map<string, bigint>();
  private caughtUpWaiters: (() => void)[] = [];
  private started = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: TopicFollowerOptions,
    private readonly apply: (record: FollowedRecord) => void,
    private readonly logger: AppLogger,
  ) {}

  get caughtUp(): boolean {
    return this.started && this.behind.size === 0;
  }

  /** Resolves once the consumer runs; `whenCaughtUp` tells when the projection is complete. */
  async start(): Promise<void> {
    await this.snapshotEnds();
    const consumer = this.kafka.consumer({
      groupId: `${this.options.groupPrefix}-${randomUUID()}`,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 100,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: this.options.topics, fromBeginning: true });
    const ends = this.options.from === 'end' ? this.takeEnds() : [];
    this.started = true;
    this.settle();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        for (const message of batch.messages) {
          this.applySafely({
            topic: batch.topic,
            partition: batch.partition,
            offset: message.offset,
            message,
          });
        }
        const last = batch.lastOffset();
        this.reached(`${batch.topic}/${batch.partition}`, BigInt(last) + 1n);
        await heartbeat();
      },
    });
    for (const end of ends) consumer.seek(end);
  }

  whenCaughtUp(): Promise<void> {
    if (this.caughtUp) return Promise.resolve();
    return new Promise((resolve) => this.caughtUpWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }

  private async snapshotEnds(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const topic of this.options.topics) {
        for (const p of await offsetsWhenLed(admin, topic)) {
          if (BigInt(p.high) > BigInt(p.low)) this.behind.set(`${topic}/${p.partition}`, BigInt(p.high));
        }
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** Following from the end: nothing to catch up with; the consumer starts at the ends taken. */
  private takeEnds(): { topic: string; partition: number; offset: string }[] {
    const ends = [...this.behind].map(([at, end]) => {
      const cut = at.lastIndexOf('/');
      return { topic: at.slice(0, cut), partition: Number(at.slice(cut + 1)), offset: String(end) };
    });
    this.behind.clear();
    return ends;
  }

  private reached(partition: string, next: bigint): void {
    const end = this.behind.get(partition);
    if (end !== undefined && next >= end) {
      this.behind.delete(partition);
      this.settle();
    }
  }

  private settle(): void {
    if (!this.caughtUp) return;
    const waiters = this.caughtUpWaiters;
    this.caughtUpWaiters = [];
    waiters.forEach((w) => w());
  }

  /** One bad record must not stop the projection: it is logged by position and skipped. */
  private applySafely(record: FollowedRecord): void {
    try {
      this.apply(record);
    } catch (error) {
      this.logger.warn(
        { err: error, topic: record.topic, partition: record.partition, offset: record.offset },
        'record skipped: cannot apply it',
      );
    }
  }
}

/**
 * The topic's offsets, asked again while the broker answers with a retriable error: right after
 * another app of the deployment created the topic, its partitions may still be changing leader
 * ("not the leader for that topic-partition").
 */
async function offsetsWhenLed(
  admin: Admin,
  topic: string,
  timeoutMs = 30_000,
): Promise<Awaited<ReturnType<Admin['fetchTopicOffsets']>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (error) {
      if (!(error as { retriable?: boolean }).retriable || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
