import { EventEmitter } from 'node:events';
import { CompressionTypes, Message, Producer, TopicMessages } from 'kafkajs';
import type { Metrics } from '@app/observability';

export interface OutboundRecord {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** Why a publish did not reach Kafka; all of these are retriable by the sender. */
export class PublishError extends Error {
  constructor(
    message: string,
    readonly reason: 'overloaded' | 'timeout' | 'kafka' | 'closed',
  ) {
    super(message);
    this.name = 'PublishError';
  }
}

export interface BatchingProducerOptions {
  /** How long a record may wait for companions before its batch is sent. */
  lingerMs: number;
  maxBatchBytes: number;
  /** Above this many queued + in-flight bytes, callers should pause their sources. */
  softLimitBytes: number;
  /** Above this, publish() refuses at once: the hard bound on memory. */
  hardLimitBytes: number;
  /** A record not acknowledged by Kafka within this time fails with `timeout`. */
  sendTimeoutMs: number;
}

interface Pending {
  record: OutboundRecord;
  bytes: number;
  deadline: number;
  settled: boolean;
  resolve: () => void;
  reject: (error: PublishError) => void;
}

/**
 * Collects records into batches and sends them with acks=all, one batch in flight at a time so
 * that records keep their order per key even when a batch is retried. `publish` resolves only
 * after Kafka acknowledged the record. Emits `drain` when it falls back under the soft limit.
 */
export class BatchingProducer extends EventEmitter {
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private inFlightBytes = 0;
  private sending = false;
  private closed = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly sweeper: NodeJS.Timeout;
  private readonly published;
  private readonly failed;
  private readonly batchSeconds;

  constructor(
    private readonly producer: Producer,
    private readonly options: BatchingProducerOptions,
    metrics: Metrics,
  ) {
    super();
    // Every open DataStream listens for `drain`.
    this.setMaxListeners(0);
    this.published = metrics.counter({
      name: 'kafka_records_published_total',
      help: 'Records acknowledged by Kafka',
      labelNames: ['topic'] as const,
    });
    this.failed = metrics.counter({
      name: 'kafka_publish_failures_total',
      help: 'Records that could not be published',
      labelNames: ['reason'] as const,
    });
    this.batchSeconds = metrics.histogram({
      name: 'kafka_batch_send_seconds',
      help: 'Time to get a batch acknowledged',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    });
    metrics.gauge({
      name: 'kafka_publish_pending_bytes',
      help: 'Bytes queued or in flight to Kafka',
      value: () => this.pendingBytes,
    });
    this.sweeper = setInterval(() => this.expireQueued(), 250).unref();
  }

  get pendingBytes(): number {
    return this.queuedBytes + this.inFlightBytes;
  }

  isSaturated(): boolean {
    return this.pendingBytes >= this.options.softLimitBytes;
  }

  publish(record: OutboundRecord): Promise<void> {
    const bytes = recordBytes(record);
    if (this.closed) return this.refuse('closed', 'producer is shutting down');
    if (this.pendingBytes + bytes > this.options.hardLimitBytes) {
      return this.refuse('overloaded', 'publish buffer is full (Kafka is slow or unreachable)');
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({
        record,
        bytes,
        deadline: Date.now() + this.options.sendTimeoutMs,
        settled: false,
        resolve,
        reject,
      });
      this.queuedBytes += bytes;
      if (this.queuedBytes >= this.options.maxBatchBytes) this.sendNext();
      else this.lingerTimer ??= setTimeout(() => this.sendNext(), this.options.lingerMs);
    });
  }

  /** Waits until everything accepted so far has been acknowledged or has failed. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.sending) {
      this.sendNext();
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    clearInterval(this.sweeper);
  }

  private sendNext(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.sending || this.queue.length === 0) return;
    const batch = this.takeBatch();
    this.sending = true;
    const stopTimer = this.batchSeconds.startTimer();
    const attempt = this.producer.sendBatch({
      topicMessages: groupByTopic(batch),
      acks: -1,
      timeout: this.options.sendTimeoutMs,
      compression: CompressionTypes.None,
    });
    const timeout = setTimeout(
      () => this.settle(batch, new PublishError('Kafka did not acknowledge in time', 'timeout')),
      this.options.sendTimeoutMs,
    );
    attempt
      .then(
        () => this.settle(batch),
        (error: Error) =>
          this.settle(batch, new PublishError(`Kafka refused the batch: ${error.message}`, 'kafka')),
      )
      .finally(() => {
        clearTimeout(timeout);
        stopTimer();
        this.sending = false;
        this.inFlightBytes -= batch.reduce((n, p) => n + p.bytes, 0);
        this.afterProgress();
        if (this.queue.length > 0) this.sendNext();
      });
  }

  private takeBatch(): Pending[] {
    let bytes = 0;
    let count = 0;
    while (
      count < this.queue.length &&
      (count === 0 || bytes + this.queue[count].bytes <= this.options.maxBatchBytes)
    ) {
      bytes += this.queue[count].bytes;
      count++;
    }
    const batch = this.queue.splice(0, count);
    this.queuedBytes -= bytes;
    this.inFlightBytes += bytes;
    return batch;
  }

  private settle(batch: Pending[], error?: PublishError): void {
    for (const pending of batch) {
      if (pending.settled) continue;
      pending.settled = true;
      if (error) {
        this.failed.inc({ reason: error.reason });
        pending.reject(error);
      } else {
        this.published.inc({ topic: pending.record.topic });
        pending.resolve();
      }
    }
  }

  /** Records that waited in the queue past their deadline fail now instead of growing the wait. */
  private expireQueued(): void {
    const now = Date.now();
    if (this.queue.length === 0 || this.queue[0].deadline > now) return;
    const expired = this.queue.filter((p) => p.deadline <= now);
    this.queue = this.queue.filter((p) => p.deadline > now);
    this.queuedBytes -= expired.reduce((n, p) => n + p.bytes, 0);
    this.settle(expired, new PublishError('Kafka did not acknowledge in time', 'timeout'));
    this.afterProgress();
  }

  private afterProgress(): void {
    if (!this.isSaturated()) this.emit('drain');
  }

  private refuse(reason: PublishError['reason'], message: string): Promise<void> {
    this.failed.inc({ reason });
    return Promise.reject(new PublishError(message, reason));
  }
}

function recordBytes(record: OutboundRecord): number {
  let bytes = record.value.length + record.key.length + 64;
  for (const name in record.headers) bytes += name.length + record.headers[name].length;
  return bytes;
}

function groupByTopic(batch: Pending[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const { record } of batch) {
    let messages = byTopic.get(record.topic);
    if (!messages) byTopic.set(record.topic, (messages = []));
    messages.push({ key: record.key, value: record.value, headers: record.headers });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
