import { EventEmitter } from 'node:events';
import { CompressionTypes, Message, TopicMessages } from 'kafkajs';
import type { Metrics } from '@app/observability';
import type { LaneSender } from './serial-lanes';

export interface OutboundRecord {
  topic: string;
  key: string;
  /**
   * Records with the same order key keep their relative order (default: the record key). The
   * gateway orders by agent, so that all records of one stream share one lane.
   */
  orderKey?: string;
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

/** Called once per record: without an error once Kafka acknowledged it, else with why not. */
export type PublishCallback = (error?: PublishError) => void;

export interface BatchingProducerOptions {
  /** How long a record may wait for companions before its batch is sent. */
  lingerMs: number;
  maxBatchBytes: number;
  /**
   * Above this many queued + in-flight bytes, callers should pause their sources; each lane has
   * its share (softLimitBytes / lanes), so that a busy lane pauses only its own sources.
   */
  softLimitBytes: number;
  /** Above this, publish() refuses at once: the hard bound on memory. */
  hardLimitBytes: number;
  /** A record not acknowledged by Kafka within this time fails with `timeout`. */
  sendTimeoutMs: number;
  /**
   * Independent batch pipelines (default 1). A record's lane follows from its order key, and the sender
   * sends one batch of a lane at a time, so records of one key keep their order while up to
   * `lanes` batches are in flight together. The kafkajs producer must allow that many in-flight requests.
   */
  lanes?: number;
  /**
   * Full batches a lane may hand to the sender ahead of the one in flight (default 1), so that the
   * next batch leaves the moment Kafka answers, however busy this thread's event loop is then.
   */
  stagedBatches?: number;
}

interface Pending {
  record: OutboundRecord;
  bytes: number;
  deadline: number;
  settled: boolean;
  done: PublishCallback;
}

/** One ordered pipeline: a queue, one batch in flight and maybe some staged behind it. */
interface Lane {
  index: number;
  /** Waiting records are queue[head..]; taking a batch advances `head` instead of copying the rest. */
  queue: Pending[];
  head: number;
  queuedBytes: number;
  inFlightBytes: number;
  /** Batches handed to the sender and not settled yet. */
  dispatched: number;
  /** From reaching its share of the soft limit until falling below half of it. */
  saturated: boolean;
  /** Someone saw this lane saturated: the end of the saturation emits `drain`. */
  drainOwed: boolean;
  lingerTimer: NodeJS.Timeout | undefined;
}

/**
 * Collects records into batches and sends them with acks=all. Records are spread over lanes by
 * order key; the sender sends one batch of a lane at a time, so records keep their order per key even
 * when a batch is retried. A lane with a batch in flight hands over further batches only when they
 * are full (up to `stagedBatches`): a partial batch waits to grow until the lane is idle.
 * `publish` resolves only after Kafka acknowledged the record. Emits `drain` (with the lane) when
 * a lane that `isSaturated(lane)` reported saturated is back under half its share of the soft limit.
 */
export class BatchingProducer extends EventEmitter {
  private readonly lanes: Lane[];
  private readonly maxDispatched: number;
  private readonly laneSoftLimitBytes: number;
  private queuedBytes = 0;
  private inFlightBytes = 0;
  private closed = false;
  private readonly sweeper: NodeJS.Timeout;
  private readonly published;
  private readonly failed;
  private readonly batchSeconds;

  constructor(
    /** A WorkerProducer (kafkajs in a worker thread), or inProcessLaneSender(kafkajs producer). */
    private readonly sender: LaneSender,
    private readonly options: BatchingProducerOptions,
    metrics: Metrics,
  ) {
    super();
    // Every open DataStream listens for `drain`.
    this.setMaxListeners(0);
    this.lanes = Array.from({ length: Math.max(1, Math.floor(options.lanes ?? 1)) }, (_, index) => ({
      index,
      queue: [],
      head: 0,
      queuedBytes: 0,
      inFlightBytes: 0,
      dispatched: 0,
      saturated: false,
      drainOwed: false,
      lingerTimer: undefined,
    }));
    this.maxDispatched = 1 + Math.max(0, Math.floor(options.stagedBatches ?? 1));
    this.laneSoftLimitBytes = options.softLimitBytes / this.lanes.length;
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

  /** The lane that records with this order key (by default: this record key) go to. */
  laneFor(orderKey: string): number {
    return this.lanes.length === 1 ? 0 : laneOf(orderKey, this.lanes.length);
  }

  /**
   * Whether sources feeding `lane` should pause: from the moment the lane holds its share of the
   * soft limit until it is back under half of it (so that sources pause and resume in long
   * stretches, not once per batch). A `drain` event with that lane ends it.
   */
  isSaturated(lane: number): boolean {
    const state = this.lanes[lane];
    if (!state.saturated && state.queuedBytes + state.inFlightBytes >= this.laneSoftLimitBytes) {
      state.saturated = true;
    }
    if (state.saturated) state.drainOwed = true;
    return state.saturated;
  }

  /** Resolves once Kafka acknowledged the record; rejects with a PublishError otherwise. */
  publish(record: OutboundRecord): Promise<void> {
    return new Promise<void>((resolve, reject) =>
      this.send(record, (error) => (error ? reject(error) : resolve())),
    );
  }

  /**
   * `publish` without a promise, for the gateway's per-message path: `done` is called exactly once,
   * never before this returns.
   */
  send(record: OutboundRecord, done: PublishCallback): void {
    const bytes = recordBytes(record);
    if (this.closed) return this.refuse(done, 'closed', 'producer is shutting down');
    if (this.pendingBytes + bytes > this.options.hardLimitBytes) {
      return this.refuse(done, 'overloaded', 'publish buffer is full (Kafka is slow or unreachable)');
    }
    const lane = this.lanes[this.laneFor(record.orderKey ?? record.key)];
    lane.queue.push({
      record,
      bytes,
      deadline: Date.now() + this.options.sendTimeoutMs,
      settled: false,
      done,
    });
    lane.queuedBytes += bytes;
    this.queuedBytes += bytes;
    if (lane.queuedBytes >= this.options.maxBatchBytes) this.sendNext(lane);
    // A busy lane sends its partial batch when the batch in flight returns.
    else if (lane.dispatched === 0)
      lane.lingerTimer ??= setTimeout(() => this.sendNext(lane), this.options.lingerMs);
  }

  /** Waits until everything accepted so far has been acknowledged or has failed. */
  async flush(): Promise<void> {
    while (this.lanes.some((lane) => queuedCount(lane) > 0 || lane.dispatched > 0)) {
      this.lanes.forEach((lane) => this.sendNext(lane));
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    clearInterval(this.sweeper);
  }

  private sendNext(lane: Lane): void {
    clearTimeout(lane.lingerTimer);
    lane.lingerTimer = undefined;
    while (this.mayDispatch(lane)) this.dispatch(lane);
  }

  /** An idle lane sends what it has; a busy one only full batches, while it has staging room. */
  private mayDispatch(lane: Lane): boolean {
    if (queuedCount(lane) === 0) return false;
    if (lane.dispatched === 0) return true;
    return lane.dispatched < this.maxDispatched && lane.queuedBytes >= this.options.maxBatchBytes;
  }

  private dispatch(lane: Lane): void {
    const { batch, bytes } = this.takeBatch(lane);
    lane.dispatched++;
    const stopTimer = this.batchSeconds.startTimer();
    const attempt = this.sender.sendLaneBatch(
      lane.index,
      {
        topicMessages: groupByTopic(batch),
        acks: -1,
        timeout: this.options.sendTimeoutMs,
        compression: CompressionTypes.None,
      },
      Date.now() + this.options.sendTimeoutMs,
    );
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
        lane.dispatched--;
        lane.inFlightBytes -= bytes;
        this.inFlightBytes -= bytes;
        this.afterProgress(lane);
        this.sendNext(lane);
      });
  }

  private takeBatch(lane: Lane): { batch: Pending[]; bytes: number } {
    const queue = lane.queue;
    const head = lane.head;
    let bytes = 0;
    let end = head;
    while (end < queue.length && (end === head || bytes + queue[end].bytes <= this.options.maxBatchBytes)) {
      bytes += queue[end].bytes;
      end++;
    }
    let batch: Pending[];
    if (end === queue.length) {
      batch = head === 0 ? queue : queue.slice(head);
      lane.queue = [];
      lane.head = 0;
    } else {
      batch = queue.slice(head, end);
      // Taken entries are dropped lazily: compacted once they are the larger part of the array.
      if (end > 1024 && end * 2 > queue.length) {
        lane.queue = queue.slice(end);
        lane.head = 0;
      } else {
        queue.fill(undefined as unknown as Pending, head, end);
        lane.head = end;
      }
    }
    lane.queuedBytes -= bytes;
    lane.inFlightBytes += bytes;
    this.queuedBytes -= bytes;
    this.inFlightBytes += bytes;
    return { batch, bytes };
  }

  private settle(batch: Pending[], error?: PublishError): void {
    let topic = '';
    let count = 0;
    for (const pending of batch) {
      if (pending.settled) continue;
      pending.settled = true;
      if (error) {
        pending.done(error);
        count++;
        continue;
      }
      // Counted per run of one topic: one metric update per batch in the common case.
      if (pending.record.topic !== topic) {
        if (count > 0) this.published.inc({ topic }, count);
        topic = pending.record.topic;
        count = 0;
      }
      count++;
      pending.done();
    }
    if (count === 0) return;
    if (error) this.failed.inc({ reason: error.reason }, count);
    else this.published.inc({ topic }, count);
  }

  /** Records that waited in the queue past their deadline fail now instead of growing the wait. */
  private expireQueued(): void {
    const now = Date.now();
    for (const lane of this.lanes) {
      if (queuedCount(lane) === 0 || lane.queue[lane.head].deadline > now) continue;
      const waiting = lane.queue.slice(lane.head);
      const expired = waiting.filter((p) => p.deadline <= now);
      lane.queue = waiting.filter((p) => p.deadline > now);
      lane.head = 0;
      const bytes = expired.reduce((n, p) => n + p.bytes, 0);
      lane.queuedBytes -= bytes;
      this.queuedBytes -= bytes;
      this.settle(expired, new PublishError('Kafka did not acknowledge in time', 'timeout'));
      this.afterProgress(lane);
    }
  }

  /**
   * A saturated lane back under half its share stops being saturated; `drain` goes out then, once,
   * and only if a caller saw that lane saturated (only those callers wait for it).
   */
  private afterProgress(lane: Lane): void {
    if (!lane.saturated || lane.queuedBytes + lane.inFlightBytes >= this.laneSoftLimitBytes / 2) return;
    lane.saturated = false;
    if (lane.drainOwed) {
      lane.drainOwed = false;
      this.emit('drain', lane.index);
    }
  }

  private refuse(done: PublishCallback, reason: PublishError['reason'], message: string): void {
    this.failed.inc({ reason });
    process.nextTick(done, new PublishError(message, reason));
  }
}

function queuedCount(lane: Lane): number {
  return lane.queue.length - lane.head;
}

/** FNV-1a over the key's UTF-16 code units: the same key always lands in the same lane. */
export function laneOf(key: string, lanes: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % lanes;
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
    // kafkajs reads key, value and headers; the record itself serves as the message.
    messages.push(record);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
