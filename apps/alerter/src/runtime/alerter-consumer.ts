import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { RuleDefinition } from '@app/alerting';
import { alertspb, Topics } from '@app/contracts';
import { murmur2 } from '@app/kafka';
import type { AppLogger, Metrics } from '@app/observability';
import type { AlertLog } from './alert-log';
import type { AlertOutput } from './alert-output';
import { CoPartitionAssigner } from './co-partition.assigner';
import { decodeInput } from './input-decoder';
import { PartitionWorker } from './partition-worker';
import type { RuleSet } from './rule-set';

/** Inputs evaluated between two returns to the event loop. */
const INPUTS_PER_SLICE = 200;

export interface AlerterConsumerOptions {
  topics: Topics;
  groupId: string;
  maxLatenessMs: number;
  lookbackMs: number;
  tickMs: number;
}

/**
 * The alerter's consumer group over events, stats, list and lifecycle, with partition N of every
 * topic on the same member (CoPartitionAssigner): instances split the work by partition. On every
 * assignment each partition is rebuilt (PartitionWorker) from the last `lookbackMs` of its inputs
 * — the consumer commits nothing, the inputs themselves are the state — and reconciled with the
 * alerts topic, so a restart or a rebalance neither notifies a firing alert again nor loses it.
 */
export class AlerterConsumer {
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private workers = new Map<number, PartitionWorker>();
  private partitions = 0;
  private ticker: NodeJS.Timeout | undefined;
  private readonly inputs;
  private readonly skipped;
  private readonly late;
  private readonly capped;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: AlerterConsumerOptions,
    private readonly rules: RuleSet,
    private readonly log: AlertLog,
    private readonly output: AlertOutput,
    private readonly logger: AppLogger,
    metrics: Metrics,
  ) {
    this.inputs = metrics.counter({
      name: 'alerter_inputs_total',
      help: 'Inputs evaluated (events, per-container samples, lists, lifecycle facts)',
      labelNames: ['topic'],
    });
    this.skipped = metrics.counter({
      name: 'alerter_records_skipped_total',
      help: 'Input records that could not be read (skipped)',
      labelNames: ['topic'],
    });
    this.late = metrics.counter({
      name: 'alerter_inputs_too_late_total',
      help: 'Samples or events older than ALERTER_MAX_LATENESS_MS behind their series (ignored)',
    });
    this.capped = metrics.counter({
      name: 'alerter_series_refused_total',
      help: 'Series (rule x container or agent) not tracked because a partition holds its maximum',
    });
    metrics.gauge({
      name: 'alerter_partitions_live',
      help: 'Input partitions rebuilt and evaluated live',
      value: () => [...this.workers.values()].filter((w) => w.isLive).length,
    });
  }

  private get inputTopics(): string[] {
    const t = this.options.topics;
    return [t.events, t.stats, t.list, t.lifecycle];
  }

  async start(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    const meta = await this.admin.fetchTopicMetadata({ topics: [this.options.topics.stats] });
    this.partitions = meta.topics[0].partitions.length;
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      partitionAssigners: [CoPartitionAssigner],
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const assigned = new Set<number>();
      for (const partitions of Object.values(payload.memberAssignment))
        partitions.forEach((p) => assigned.add(p));
      this.workers = new Map(); // batches wait for the rebuild's seeks (they are fetched again after them)
      void this.assigned([...assigned]).catch((error: Error) =>
        this.logger.error({ err: error }, 'cannot prepare the rebuild of the assigned partitions'),
      );
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.inputTopics, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      // Batches of different topic-partitions (events next to stats) are evaluated side by side.
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch, heartbeat }) => {
        const worker = this.workers.get(batch.partition);
        if (!worker) return; // before the rebuild's seeks: fetched again after them
        const { messages, gapAt } = worker.take(batch.topic, batch.messages);
        if (gapAt !== undefined) {
          this.consumer!.seek({ topic: batch.topic, partition: batch.partition, offset: String(gapAt) });
          return;
        }
        const inputs = [];
        for (const message of messages) {
          try {
            inputs.push(...decodeInput(this.options.topics, batch.topic, message));
          } catch (error) {
            this.skipped.inc({ topic: batch.topic });
            this.logger.debug(
              { err: error, topic: batch.topic, offset: message.offset },
              'input record skipped',
            );
          }
        }
        this.inputs.inc({ topic: batch.topic }, inputs.length);
        // In slices, giving the event loop back between them: the other partitions' batches (a
        // probe event behind a stats batch), the notifications and the ops endpoints go on.
        for (let i = 0; i < inputs.length; i += INPUTS_PER_SLICE) {
          await this.output.emit(worker.ingest(batch.topic, inputs.slice(i, i + INPUTS_PER_SLICE)));
          await new Promise((r) => setImmediate(r));
        }
        if (inputs.length === 0) worker.ingest(batch.topic, []);
        if (worker.rebuilt()) await this.goLive(worker);
        await heartbeat();
      },
    });
    this.ticker = setInterval(
      () => void this.tick().catch((e: Error) => this.logger.warn({ err: e }, 'alerter tick failed')),
      this.options.tickMs,
    );
    this.ticker.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.ticker);
    await this.consumer?.disconnect();
    await this.admin?.disconnect();
  }

  /** Partition of an alert: its container's `agent_id/host` key, or its agent's `agent_id` key. */
  partitionOfAlert(t: alertspb.AlertTransition): number {
    const key = t.host ? `${t.agentId}/${t.host}` : t.agentId;
    return (murmur2(Buffer.from(key)) & 0x7fffffff) % this.partitions;
  }

  private async assigned(partitions: number[]): Promise<void> {
    const since = Date.now() - this.options.lookbackMs;
    const plan: { topic: string; partition: number; from: bigint; end: bigint }[] = [];
    for (const topic of this.inputTopics) {
      const ends = await this.admin!.fetchTopicOffsets(topic);
      const starts = await this.admin!.fetchTopicOffsetsByTimestamp(topic, since);
      for (const partition of partitions) {
        const end = BigInt(ends.find((e) => e.partition === partition)?.high ?? '0');
        const at = BigInt(starts.find((s) => s.partition === partition)?.offset ?? '-1');
        plan.push({ topic, partition, from: at < 0n || at > end ? end : at, end });
      }
    }
    // Workers, their expectations and the seeks, all at once (no batch can slip in between).
    const workers = new Map<number, PartitionWorker>();
    for (const p of partitions) {
      workers.set(
        p,
        new PartitionWorker(p, () => this.rules.current(), this.options.maxLatenessMs, {
          ruleError: (rule, error) => this.rules.ruleError(rule, error),
          late: () => this.late.inc(),
          seriesCapped: () => this.capped.inc(),
        }),
      );
    }
    for (const step of plan) workers.get(step.partition)!.expect(step.topic, step.from, step.end);
    this.workers = workers;
    for (const step of plan)
      this.consumer!.seek({ topic: step.topic, partition: step.partition, offset: String(step.from) });
    this.logger.info({ partitions }, 'alerter partitions assigned: rebuilding from their inputs');
    for (const worker of workers.values()) if (worker.rebuilt()) await this.goLive(worker);
  }

  private async goLive(worker: PartitionWorker): Promise<void> {
    const known = [...this.log.known.values()].filter(
      (k) =>
        k.transition.state !== alertspb.AlertState.ALERT_STATE_RESOLVED &&
        this.partitionOfAlert(k.transition) === worker.partition,
    );
    const ruleOf = (name: string): RuleDefinition | undefined =>
      this.rules.current().find((r) => r.definition.name === name)?.definition;
    const { emit, unchanged } = worker.reconcile(known, ruleOf, Date.now());
    await this.output.emit(emit);
    const stillFiring = unchanged
      .map((f) => this.log.known.get(f)!)
      .filter((k) => k.transition.state === alertspb.AlertState.ALERT_STATE_FIRING);
    this.output.restoreFiring(stillFiring);
    unchanged.forEach((f) => this.output.ensureNotified(f));
    this.logger.info(
      { partition: worker.partition, emitted: emit.length, kept: unchanged.length },
      'alerter partition rebuilt: evaluating live',
    );
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    for (const worker of this.workers.values()) await this.output.emit(worker.tick(now));
    const firing = [...this.log.known.values()].filter(
      (k) =>
        k.transition.state === alertspb.AlertState.ALERT_STATE_FIRING &&
        this.workers.get(this.partitionOfAlert(k.transition))?.isLive,
    );
    this.output.tick(now, firing);
    this.log.prune(now);
  }
}
