import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { HEADER, headerText } from '@app/contracts';
import type { AppLogger, Metrics } from '@app/observability';
import type { Projection } from '../projections/projection-registry';
import type { SourceRecord } from '../projections/source-record';
import type { ClickHouseWorkerClient } from '../worker/clickhouse-worker.client';
import type { ProjectResult } from '../worker/worker-protocol';
import { commitOffsets, PendingBatch } from './pending-batch';
import { ProjectionMetrics } from './projection.metrics';

export interface ConsumerSettings {
  groupId: string;
  topic: string;
  dlqTopic: string;
  batchRows: number;
  batchMaxMs: number;
  /** Above this many waiting records the consumer stops reading until a flush succeeds. */
  maxPendingRecords: number;
  retryMaxMs: number;
}

/**
 * One projection's consumer group: reads its topic, collects records until `batchRows` or
 * `batchMaxMs`, has the worker store them, and only then commits offsets. A failing insert
 * pauses the topic and is retried with backoff; nothing is committed until it succeeds.
 */
export class ProjectionConsumer {
  private readonly consumer: Consumer;
  private readonly pending = new PendingBatch();
  private readonly metrics: ProjectionMetrics;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private stopped = false;

  constructor(
    kafka: Kafka,
    private readonly producer: Producer,
    private readonly projection: Projection,
    private readonly worker: ClickHouseWorkerClient,
    private readonly settings: ConsumerSettings,
    private readonly logger: AppLogger,
    metrics: Metrics,
  ) {
    this.consumer = kafka.consumer({
      groupId: settings.groupId,
      maxWaitTimeInMs: 200,
      // A killed projector's partitions move to its successor after this long.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    this.metrics = new ProjectionMetrics(metrics, projection.name);
  }

  async start(): Promise<void> {
    // After a (re)join kafkajs fetches every assigned partition again from its committed offset,
    // so whatever is waiting here will come again: keep none of it, and relearn what is stored.
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      const dropped = this.pending.clear();
      if (dropped > 0)
        this.logger.info(
          { projection: this.projection.name, dropped },
          'rebalance: re-reading uncommitted records',
        );
      // Fails only when the ClickHouse process is gone; the next store then fails and is retried.
      this.worker
        .forget(this.projection.name)
        .catch((error: Error) =>
          this.logger.warn(
            { projection: this.projection.name, err: error.message },
            'forget after rebalance failed',
          ),
        );
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.settings.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.receive(payload),
    });
    this.timer = setInterval(
      () => {
        if (this.pending.ageMs() >= this.settings.batchMaxMs) void this.flush();
      },
      Math.max(10, Math.floor(this.settings.batchMaxMs / 4)),
    );
  }

  /** Stops fetching, stores and commits what was read (while still in the group), then leaves. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.consumer.pause([{ topic: this.settings.topic }]);
    await this.flushing;
    while (this.pending.size > 0 && this.metrics.consecutiveFailures === 0) await this.flush();
    await this.consumer.disconnect();
  }

  private async receive({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) return;
      this.pending.add(toSourceRecord(batch.partition, message));
      resolveOffset(message.offset);
    }
    this.metrics.lag.set({ partition: String(batch.partition) }, Number(batch.offsetLagLow()));
    if (this.pending.size >= this.settings.batchRows) void this.flush();
    while (this.pending.size >= this.settings.maxPendingRecords && isRunning() && !this.stopped) {
      await Promise.race([this.flush(), new Promise((r) => setTimeout(r, 1000))]);
      await heartbeat();
    }
  }

  private flush(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const records = this.pending.take(this.settings.batchRows);
    if (records.length === 0) return;
    const started = Date.now();
    try {
      const result = await this.worker.project(this.projection.name, records);
      await this.deadLetter(records, result);
      await this.consumer.commitOffsets(commitOffsets(this.settings.topic, records));
      this.metrics.recordSuccess(records, result, started);
      this.resume();
    } catch (error) {
      this.pending.restore(records);
      await this.backOff(error as Error);
    }
  }

  private async backOff(error: Error): Promise<void> {
    this.metrics.failures.inc();
    const attempt = this.metrics.consecutiveFailures++;
    this.logger.warn(
      { projection: this.projection.name, err: error.message, attempt },
      'store failed, retrying',
    );
    if (this.stopped) return;
    if (!this.paused) {
      this.paused = true;
      this.consumer.pause([{ topic: this.settings.topic }]);
    }
    await new Promise((r) =>
      setTimeout(r, Math.min(this.settings.retryMaxMs, 100 * 2 ** Math.min(10, attempt))),
    );
  }

  private resume(): void {
    this.metrics.consecutiveFailures = 0;
    if (!this.paused) return;
    this.paused = false;
    this.consumer.resume([{ topic: this.settings.topic }]);
    this.logger.info({ projection: this.projection.name }, 'store recovered, consuming again');
  }

  /** Records no row can be made of go to the DLQ before their offsets are committed. */
  private async deadLetter(records: SourceRecord[], result: ProjectResult): Promise<void> {
    if (result.rejected.length === 0) return;
    const byPosition = new Map(records.map((r) => [`${r.partition}:${r.offset}`, r]));
    await this.producer.send({
      topic: this.settings.dlqTopic,
      acks: -1,
      messages: result.rejected.map(({ partition, offset, reason }) => {
        const record = byPosition.get(`${partition}:${offset}`)!;
        return {
          key: record.headers[HEADER.agentId] ?? null,
          value: Buffer.from(record.value),
          headers: {
            ...record.headers,
            [HEADER.dlqReason]: 'projection_failed',
            [HEADER.dlqDetail]: `${this.settings.topic}[${partition}]@${offset}: ${reason}`.slice(0, 1024),
            [HEADER.dlqSource]: `projector:${this.projection.name}`,
          },
        };
      }),
    });
  }
}

function toSourceRecord(partition: number, message: KafkaMessage): SourceRecord {
  const headers: Record<string, string> = {};
  for (const name of Object.keys(message.headers ?? {}))
    headers[name] = headerText(message.headers, name) ?? '';
  return { partition, offset: message.offset, value: message.value ?? Buffer.alloc(0), headers };
}
