import { EventEmitter } from 'node:events';
import { CompressionTypes } from 'kafkajs';
import type { Metrics } from '@app/observability';
import { DrainRate } from './drain-rate';
import type { PackedHeaders } from './packed-headers';
import {
  groupByTopic,
  Lane,
  laneOf,
  newLane,
  Pending,
  queuedCount,
  recordBytes,
  takeBatch,
  takeQueued,
} from './publish-lane';
import type { LaneSender } from './serial-lanes';

export { laneOf } from './publish-lane';

export interface OutboundRecord {
  topic: string;
  key: string;
  /**
   * Records with the same order key keep their relative order (default: the record key). The
   * gateway orders by agent, so that all records of one stream share one lane.
   */
  orderKey?: string;
  /** `laneFor(orderKey)`, when the caller keeps it (the gateway's streams do): saves hashing per record. */
  lane?: number;
  value: Buffer;
  headers: Record<string, string>;
  /** Headers shared by many records, encoded once; the record's own `headers` come after them. */
  fixedHeaders?: PackedHeaders;
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

export interface PublishFailure {
  /** Epoch ms. */
  at: number;
  reason: PublishError['reason'];
  message: string;
}

/** Called once per record: without an error once Kafka acknowledged it, else with why not. */
export type PublishCallback = (error?: PublishError) => void;

export interface BatchingProducerOptions {
  /** How long a record may wait for companions before its batch is sent. */
  lingerMs: number;
  maxBatchBytes: number;
  /**
   * Above this many queued + in-flight bytes, callers should pause their sources; each lane has
   * its share (of this, or of the time-based budget below), so that a busy lane pauses only its
   * own sources.
   */
  softLimitBytes: number;
  /**
   * Size the soft limit by time instead: what Kafka acknowledged in this many ms, measured as it
   * runs (DrainRate), between `minQueueBytes` and `softLimitBytes`. Unset: `softLimitBytes` always.
   */
  targetQueueMs?: number;
  /** The time-based soft limit's floor (default: two full batches per lane, at most softLimitBytes). */
  minQueueBytes?: number;
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

/**
 * Collects records into batches and sends them with acks=all. Records are spread over lanes by
 * order key; the sender sends one batch of a lane at a time, so records keep their order per key even
 * when a batch is retried. A lane with a batch in flight hands over further batches only when they
 * are full (up to `stagedBatches`): a partial batch waits to grow until the lane is idle.
 * `publish` resolves only after Kafka acknowledged the record. Emits `drain` (with the lane) when
 * a lane that `isSaturated(lane)` reported saturated is back under half its share of the soft limit.
 *
 * A failure cuts its lane (see `cut`): once a record failed, no record queued after it in its lane
 * reaches Kafka, so a caller that stops at its first failed record leaves an unbroken prefix.
 */
export class BatchingProducer extends EventEmitter {
  private readonly lanes: Lane[];
  private readonly maxDispatched: number;
  private laneSoftLimitBytes: number;
  private readonly drainRate = new DrainRate();
  private readonly minQueueBytes: number;
  private queuedBytes = 0;
  private inFlightBytes = 0;
  private closed = false;
  /** Order keys refused as overloaded whose callers have not been told yet (see `send`). */
  private readonly refusing = new Set<string>();
  private readonly sweeper: NodeJS.Timeout;
  private ackedAt = 0;
  private failure: PublishFailure | undefined;
  private readonly published;
  private readonly failed;
  private readonly batchSeconds;
  private readonly cuts;

  constructor(
    /** A WorkerProducer (kafkajs in a worker thread), or inProcessLaneSender(kafkajs producer). */
    private readonly sender: LaneSender,
    private readonly options: BatchingProducerOptions,
    metrics: Metrics,
  ) {
    super();
    // Every open DataStream listens for `drain`.
    this.setMaxListeners(0);
    this.lanes = Array.from({ length: Math.max(1, Math.floor(options.lanes ?? 1)) }, (_, i) => newLane(i));
    this.maxDispatched = 1 + Math.max(0, Math.floor(options.stagedBatches ?? 1));
    this.laneSoftLimitBytes = options.softLimitBytes / this.lanes.length;
    this.minQueueBytes = Math.min(
      options.softLimitBytes,
      options.minQueueBytes ?? 2 * this.lanes.length * options.maxBatchBytes,
    );
    if (options.targetQueueMs !== undefined) this.laneSoftLimitBytes = this.minQueueBytes / this.lanes.length;
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
    this.cuts = metrics.counter({
      name: 'kafka_lane_cuts_total',
      help: 'Times a failure cut a publishing lane: everything it held failed, its old batches are not sent',
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
    metrics.gauge({
      name: 'kafka_publish_soft_limit_bytes',
      help: 'Pending bytes above which sources pause (time-based: what Kafka drains in the target queueing time)',
      value: () => this.softLimitBytes,
    });
    this.sweeper = setInterval(() => {
      this.expireQueued();
      this.resizeSoftLimit();
    }, 250).unref();
  }

  /** The current soft limit (all lanes together). */
  get softLimitBytes(): number {
    return this.laneSoftLimitBytes * this.lanes.length;
  }

  /**
   * With `targetQueueMs`: the soft limit follows what Kafka drains in that time, so that a saturated
   * producer holds about that much queueing delay, whatever the record sizes and broker speed.
   */
  private resizeSoftLimit(): void {
    const { targetQueueMs, softLimitBytes } = this.options;
    if (targetQueueMs === undefined) return;
    this.drainRate.tick();
    const budget = (this.drainRate.bytesPerSecond() * targetQueueMs) / 1000;
    const limit = Math.min(softLimitBytes, Math.max(this.minQueueBytes, budget));
    this.laneSoftLimitBytes = limit / this.lanes.length;
  }

  get pendingBytes(): number {
    return this.queuedBytes + this.inFlightBytes;
  }

  /** When Kafka last acknowledged a batch (epoch ms, 0 = never). */
  get lastAckAt(): number {
    return this.ackedAt;
  }

  /**
   * The latest failure to publish: a batch Kafka refused or did not acknowledge in time, records
   * that expired in the queue, or a record refused because the buffer was full. Batches not sent
   * because an earlier one failed do not count again.
   */
  get lastFailure(): PublishFailure | undefined {
    return this.failure;
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
    const orderKey = record.orderKey ?? record.key;
    if (this.closed) return this.refuse(done, 'closed', 'producer is shutting down');
    // Until its caller heard of a refusal, a later (smaller) record of the same key is refused too:
    // accepting it would store a record after one that was not.
    if (
      this.pendingBytes + bytes > this.options.hardLimitBytes ||
      (this.refusing.size > 0 && this.refusing.has(orderKey))
    ) {
      this.noteFailure('overloaded', 'publish buffer is full');
      return this.refuse(
        done,
        'overloaded',
        'publish buffer is full (Kafka is slow or unreachable)',
        orderKey,
      );
    }
    const lane = this.lanes[record.lane ?? this.laneFor(orderKey)];
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
    else if (lane.dispatched.size === 0)
      lane.lingerTimer ??= setTimeout(() => this.sendNext(lane), this.options.lingerMs);
  }

  /** Waits until everything accepted so far has been acknowledged or has failed. */
  async flush(): Promise<void> {
    while (this.lanes.some((lane) => queuedCount(lane) > 0 || lane.dispatched.size > 0)) {
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
    if (lane.dispatched.size === 0) return true;
    return lane.dispatched.size < this.maxDispatched && lane.queuedBytes >= this.options.maxBatchBytes;
  }

  private dispatch(lane: Lane): void {
    const { batch, bytes } = takeBatch(lane, this.options.maxBatchBytes);
    this.queuedBytes -= bytes;
    this.inFlightBytes += bytes;
    const epoch = lane.epoch;
    lane.dispatched.add(batch);
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
      epoch,
    );
    const timeout = setTimeout(
      () =>
        this.batchFailed(
          lane,
          epoch,
          batch,
          new PublishError('Kafka did not acknowledge in time', 'timeout'),
        ),
      this.options.sendTimeoutMs,
    );
    attempt
      .then(
        () => {
          this.ackedAt = Date.now();
          this.drainRate.acked(bytes);
          this.settle(batch);
        },
        // A batch the sender did not send because an earlier one failed is no failure of its own.
        (error: Error) =>
          this.batchFailed(lane, epoch, batch, publishErrorOf(error), error.name !== 'LaneCutError'),
      )
      .finally(() => {
        clearTimeout(timeout);
        stopTimer();
        lane.dispatched.delete(batch);
        lane.inFlightBytes -= bytes;
        this.inFlightBytes -= bytes;
        this.afterProgress(lane);
        this.sendNext(lane);
      });
  }

  /**
   * A batch failed, was not sent, or was not acknowledged in time. Its records fail with the
   * batch's own error; if it belongs to the lane's current epoch, the lane is cut. A batch of an
   * older epoch was already failed by the cut that ended its epoch, and cuts nothing new.
   */
  private batchFailed(
    lane: Lane,
    epoch: number,
    batch: Pending[],
    error: PublishError,
    isFailure = true,
  ): void {
    if (isFailure) this.noteFailure(error.reason, error.message);
    if (epoch === lane.epoch) this.cut(lane, new PublishError(CUT_MESSAGE, 'kafka'), batch, error);
    else this.settle(batch, error);
  }

  /**
   * Ends the lane's epoch: every record of the lane not acknowledged yet (queued, or in batches
   * the sender still holds) fails now with `error`, so that each caller with a record here stops at
   * its first unsent one before it could queue anything after it. The sender does not send the
   * old epoch's batches staged behind a failed one (see LaneSender); new records go out in the new
   * epoch.
   *
   * When the cut came from our own timeout, the sender may still be retrying the batch in flight.
   * If that batch then succeeds, the batches of the same epoch staged behind it are sent too
   * (the sender knows of no failure): their records were reported failed and may be stored all
   * the same. That still leaves every key an unbroken prefix (those batches follow the last stored
   * one without a gap), and at-least-once allows the copies the callers then send again.
   *
   * `failed` (the batch that caused the cut) hears of `failedError` first, in lane order. The lane
   * is emptied before any callback runs: a callback may publish again (a closing stream's lifecycle
   * event), and that record belongs to the new epoch.
   */
  private cut(lane: Lane, error: PublishError, failed: Pending[] = [], failedError = error): void {
    lane.epoch++;
    this.cuts.inc();
    const queued = takeQueued(lane);
    this.queuedBytes -= queued.bytes;
    const held = [...lane.dispatched, queued.records];
    this.settle(failed, failedError);
    for (const records of held) this.settle(records, error);
    this.afterProgress(lane);
  }

  private noteFailure(reason: PublishError['reason'], message: string): void {
    this.failure = { at: Date.now(), reason, message };
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

  /**
   * A record that waited in the queue past its deadline fails now instead of growing the wait, and
   * cuts its lane: the records queued behind it must not be sent after it (the queue is in order,
   * so its head expires first).
   */
  private expireQueued(): void {
    const now = Date.now();
    for (const lane of this.lanes) {
      if (queuedCount(lane) === 0 || lane.queue[lane.head].deadline > now) continue;
      this.noteFailure('timeout', 'records waited in the queue past their deadline');
      this.cut(lane, new PublishError('Kafka did not acknowledge in time', 'timeout'));
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

  private refuse(
    done: PublishCallback,
    reason: PublishError['reason'],
    message: string,
    orderKey?: string,
  ): void {
    this.failed.inc({ reason });
    if (orderKey !== undefined) this.refusing.add(orderKey);
    process.nextTick(() => {
      if (orderKey !== undefined) this.refusing.delete(orderKey);
      done(new PublishError(message, reason));
    });
  }
}

/** What records of a cut lane fail with. */
const CUT_MESSAGE = 'an earlier batch of this lane failed; not sent';

/** A sender's error as the PublishError its records fail with. */
function publishErrorOf(error: Error): PublishError {
  switch (error.name) {
    case 'LaneCutError':
      return new PublishError(CUT_MESSAGE, 'kafka');
    case 'StaleBatchError':
      return new PublishError(`Kafka did not acknowledge in time: ${error.message}`, 'timeout');
    default:
      return new PublishError(`Kafka refused the batch: ${error.message}`, 'kafka');
  }
}
