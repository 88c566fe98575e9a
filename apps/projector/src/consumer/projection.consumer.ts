import type { Consumer, ConsumerRunConfig, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { headerText } from '@app/contracts';
import type { AppLogger, Metrics } from '@app/observability';
import type { Projection } from '../projections/projection-registry';
import type { SourceRecord } from '../projections/source-record';
import type { InsertFailures } from '../supervision/projector-readiness';
import type { ClickHouseWorkerClient } from '../worker/clickhouse-worker.client';
import type { ProjectResult } from '../worker/worker-protocol';
import { CommitLedger } from './commit-ledger';
import { CrashRecovery } from './crash-recovery';
import { deadLetterMessages } from './dead-letter';
import { commitOffsets, PendingBatch } from './pending-batch';
import { ProjectionMetrics } from './projection.metrics';
import { WakeableDelay } from './wakeable-delay';

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

/** What a consumer left behind when it stopped; `notCommitted` records will be read again. */
export interface ConsumerStopReport {
  projection: string;
  notCommitted: number;
  /** Why the last flush failed, when it did. */
  failure?: string;
  /** Leaving the group failed: its partitions move to another member after the session timeout. */
  leaveError?: string;
}

type FlushStage = 'store' | 'dlq' | 'commit';

/**
 * One projection's consumer group: reads its topic, collects records until `batchRows` or
 * `batchMaxMs`, has the worker store them, and only then commits offsets. A failing insert
 * pauses the topic and is retried with backoff; nothing is committed until it succeeds.
 * Flushes run in the background and never reject: every failure ends in a retry.
 */
export class ProjectionConsumer {
  private readonly consumer: Consumer;
  private readonly pending = new PendingBatch();
  private readonly metrics: ProjectionMetrics;
  private readonly retryWait = new WakeableDelay();
  private readonly recovery: CrashRecovery;
  private flushing: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Bumped by every group join: records taken before it are read again, not restored. */
  private generation = 0;
  private consecutiveFailures = 0;
  private lastFailure: string | undefined;
  /** Start of the current run of failed inserts (readiness). */
  private insertFailingSince: number | undefined;
  private readonly committed: CommitLedger;
  /** Reading should be paused (a flush is failing, or stopping); kafkajs forgets it on a restart. */
  private pauseWanted = false;
  private stopped = false;

  constructor(
    kafka: Kafka,
    private readonly producer: Producer,
    private readonly projection: Projection,
    private readonly worker: ClickHouseWorkerClient,
    private readonly settings: ConsumerSettings,
    private readonly logger: AppLogger,
    metrics: Metrics,
    onFatal: (error: Error) => void,
  ) {
    this.consumer = kafka.consumer({
      groupId: settings.groupId,
      maxWaitTimeInMs: 200,
      // A killed projector's partitions move to its successor after this long.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    this.metrics = new ProjectionMetrics(metrics, projection.name);
    this.committed = new CommitLedger(settings.topic);
    this.recovery = new CrashRecovery(
      this.consumer,
      () => this.runConfig(),
      projection.name,
      logger,
      onFatal,
    );
  }

  get insertFailures(): InsertFailures {
    return { projection: this.projection.name, since: this.insertFailingSince, lastError: this.lastFailure };
  }

  async start(): Promise<void> {
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => this.joined());
    this.consumer.on(this.consumer.events.COMMIT_OFFSETS, ({ payload }) =>
      this.committed.note(payload.topics),
    );
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) =>
      this.recovery.crashed(payload.error, payload.restart),
    );
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.settings.topic, fromBeginning: true });
    await this.consumer.run(this.runConfig());
    this.timer = setInterval(
      () => {
        if (this.pending.ageMs() >= this.settings.batchMaxMs) this.flushInBackground();
      },
      Math.max(10, Math.floor(this.settings.batchMaxMs / 4)),
    );
  }

  /** The store is back (a new ClickHouse worker): retry now rather than at the end of the back-off. */
  retryNow(): void {
    this.retryWait.wake();
  }

  /**
   * Stops fetching, makes one last attempt to store and commit what was read (while still in the
   * group), then leaves. Reports what is left: a failing store is not waited for.
   */
  async stop(): Promise<ConsumerStopReport> {
    this.stopped = true;
    clearInterval(this.timer);
    this.recovery.stop();
    this.setPaused(true);
    this.retryWait.wake();
    await this.flushing;
    let ok = true;
    while (this.pending.size > 0 && ok) ok = await this.flush();
    const report: ConsumerStopReport = { projection: this.projection.name, notCommitted: this.pending.size };
    if (report.notCommitted > 0) report.failure = this.lastFailure;
    try {
      await this.consumer.disconnect();
    } catch (error) {
      report.leaveError = (error as Error).message;
    }
    return report;
  }

  private runConfig(): ConsumerRunConfig {
    return {
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.receive(payload),
    };
  }

  /**
   * After a (re)join kafkajs fetches every assigned partition again from its committed offset, so
   * whatever is waiting here will come again: keep none of it, and relearn what is stored.
   */
  private joined(): void {
    this.generation++;
    const dropped = this.pending.clear();
    if (dropped > 0)
      this.logger.info(
        { projection: this.projection.name, dropped },
        'rebalance: re-reading uncommitted records',
      );
    // Nothing is left to retry, so nothing would resume a pause: read again (a kafkajs restart
    // forgot the pause anyway). A store that still fails pauses again on the re-read records.
    this.setPaused(this.stopped);
    // Fails only when the ClickHouse process is gone; the next store then fails and is retried.
    this.worker
      .forget(this.projection.name)
      .catch((error: Error) =>
        this.logger.warn(
          { projection: this.projection.name, err: error.message },
          'forget after rebalance failed',
        ),
      );
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
    if (this.pending.size >= this.settings.batchRows) this.flushInBackground();
    while (this.pending.size >= this.settings.maxPendingRecords && isRunning() && !this.stopped) {
      await Promise.race([this.flush(), new Promise((r) => setTimeout(r, 1000))]);
      await heartbeat();
    }
  }

  private flushInBackground(): void {
    this.flush().catch((error: Error) =>
      this.logger.error({ projection: this.projection.name, err: error }, 'flush failed unexpectedly'),
    );
  }

  /** One flush at a time; resolves true when it stored and committed (or had nothing to do). */
  private flush(): Promise<boolean> {
    this.flushing ??= this.flushOnce().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async flushOnce(): Promise<boolean> {
    const records = this.pending.take(this.settings.batchRows);
    if (records.length === 0) return true;
    const generation = this.generation;
    const started = Date.now();
    let stage: FlushStage = 'store';
    try {
      const result = await this.worker.project(this.projection.name, records);
      this.insertFailingSince = undefined;
      stage = 'dlq';
      await this.deadLetter(records, result);
      stage = 'commit';
      await this.commit(records);
      this.metrics.recordSuccess(records, result, started);
      this.recovered();
      return true;
    } catch (error) {
      // Records taken before a rejoin are read again from the committed offsets.
      if (generation === this.generation) this.pending.restore(records);
      await this.backOff(stage, error as Error);
      return false;
    }
  }

  /** A commit counts once kafkajs reported it sent (see CommitLedger); else the batch is retried. */
  private async commit(records: SourceRecord[]): Promise<void> {
    const offsets = commitOffsets(this.settings.topic, records);
    await this.consumer.commitOffsets(offsets);
    const missing = this.committed.unconfirmed(offsets);
    if (missing.length > 0)
      throw new Error(
        `offsets not committed (Kafka consumer not running) for partitions ${missing.join(', ')}`,
      );
  }

  private async backOff(stage: FlushStage, error: Error): Promise<void> {
    if (stage === 'store') {
      this.insertFailingSince ??= Date.now();
      this.metrics.failures.inc();
    } else this.metrics.commitFailures.inc();
    this.lastFailure = `${stage}: ${error.message}`;
    const attempt = this.consecutiveFailures++;
    this.logger.warn(
      { projection: this.projection.name, stage, err: error.message, attempt },
      'flush failed, retrying',
    );
    if (this.stopped) return;
    // Paused only with records to retry: their success is what resumes reading.
    if (this.pending.size > 0) this.setPaused(true);
    await this.retryWait.wait(Math.min(this.settings.retryMaxMs, 100 * 2 ** Math.min(10, attempt)));
  }

  private recovered(): void {
    this.consecutiveFailures = 0;
    this.lastFailure = undefined;
    if (!this.pauseWanted || this.stopped) return;
    this.setPaused(false);
    this.logger.info({ projection: this.projection.name }, 'store recovered, consuming again');
  }

  private setPaused(paused: boolean): void {
    this.pauseWanted = paused;
    this.applyPause();
  }

  /**
   * kafkajs throws from pause/resume while its consumer group is being re-created after a crash
   * (D2: "Consumer group was not initialized"). The next join applies the wanted state again.
   */
  private applyPause(): void {
    const topics = [{ topic: this.settings.topic }];
    try {
      if (this.pauseWanted) this.consumer.pause(topics);
      else this.consumer.resume(topics);
    } catch (error) {
      this.logger.debug(
        { projection: this.projection.name, err: (error as Error).message },
        'pause/resume deferred',
      );
    }
  }

  /** Records no row can be made of go to the DLQ before their offsets are committed. */
  private async deadLetter(records: SourceRecord[], result: ProjectResult): Promise<void> {
    if (result.rejected.length === 0) return;
    await this.producer.send({
      topic: this.settings.dlqTopic,
      acks: -1,
      messages: deadLetterMessages(records, result.rejected, {
        topic: this.settings.topic,
        projection: this.projection.name,
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
