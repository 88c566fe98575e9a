import type { Consumer, Kafka } from 'kafkajs';
import { commandspb } from '@app/contracts';
import type { AppLogger, Metrics } from '@app/observability';
import type { Decision, LedgerTimings } from './command-ledger';
import { decodeLogRecord } from './command-records';
import { OwnedPartition } from './owned-partition';

export interface CommandOwnerOptions {
  topics: { commands: string; commandStatus: string };
  /** Every gateway of a deployment joins this group; each partition has one owner at a time. */
  groupId: string;
  transactionalIdPrefix: string;
  ownerId: string;
  timings: LedgerTimings;
  /** How often pending work (expiry, timeouts, claims, offset commits) is looked at. */
  tickMs: number;
}

/**
 * The gateway's part as an owner of command log partitions: it joins the owners' consumer group on
 * the `commands` topic, claims each partition it is given (OwnedPartition), folds the partition's
 * records into its ledger, and takes the decisions (dispatch to the agent's current stream,
 * expire, conclude the outcome). Its committed offset is not where it has read to but where a
 * rebuild must start: the oldest record the partition's live state still needs (CommandLedger
 * .neededOffset), so a new owner rebuilds exactly that state.
 */
export class CommandOwner {
  private consumer: Consumer | undefined;
  private partitions = new Map<number, OwnedPartition>();
  private ticker: NodeJS.Timeout | undefined;
  private readonly decisions;
  private readonly skipped;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: CommandOwnerOptions,
    private readonly logger: AppLogger,
    metrics: Metrics,
  ) {
    this.decisions = metrics.counter({
      name: 'gateway_command_decisions_total',
      help: 'Decisions written by this gateway as owner of command log partitions, by kind and status',
      labelNames: ['kind', 'status'],
    });
    this.skipped = metrics.counter({
      name: 'gateway_command_log_records_skipped_total',
      help: 'Command log records that could not be decoded (skipped)',
    });
    metrics.gauge({
      name: 'gateway_command_partitions_owned',
      help: 'Command log partitions this gateway owns and acts for',
      value: () => [...this.partitions.values()].filter((p) => p.isLive).length,
    });
    metrics.gauge({
      name: 'gateway_command_open',
      help: 'Commands not concluded yet in the partitions this gateway owns',
      value: () => [...this.partitions.values()].reduce((n, p) => n + p.ledger.size.commands, 0),
    });
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assigned(payload.memberAssignment[this.options.topics.commands] ?? []);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.options.topics.commands], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        const owned = this.partitions.get(batch.partition) ?? this.adopt(batch.partition);
        for (const message of batch.messages) {
          const record = decodeLogRecord(message.value);
          if (!record) {
            this.skipped.inc();
            continue;
          }
          owned.fold(record, BigInt(message.offset));
        }
        owned.act();
        await heartbeat();
      },
    });
    this.ticker = setInterval(() => this.tick(), this.options.tickMs);
    this.ticker.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.ticker);
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
    await Promise.all([...this.partitions.values()].map((p) => p.close()));
    this.partitions.clear();
  }

  /**
   * Every (re)join: the consumer goes back to the committed offsets, so every partition's state is
   * rebuilt from there, and claimed again.
   */
  private assigned(partitions: number[]): void {
    const previous = this.partitions;
    this.partitions = new Map();
    previous.forEach((p) =>
      p
        .close()
        .catch((error: Error) =>
          this.logger.warn({ err: error, partition: p.partition }, 'closing a command log partition failed'),
        ),
    );
    partitions.forEach((partition) => this.adopt(partition));
    this.logger.info({ partitions }, 'command log partitions assigned to this gateway');
  }

  private adopt(partition: number): OwnedPartition {
    const owned = new OwnedPartition(partition, {
      kafka: this.kafka,
      topics: this.options.topics,
      transactionalIdPrefix: this.options.transactionalIdPrefix,
      ownerId: this.options.ownerId,
      timings: this.options.timings,
      logger: this.logger,
      counted: (d) => this.count(d),
    });
    this.partitions.set(partition, owned);
    owned.ensureClaimed();
    return owned;
  }

  private tick(): void {
    const now = Date.now();
    for (const owned of this.partitions.values()) {
      owned.ensureClaimed();
      owned.act();
      if (owned.isLive) this.commit(owned, owned.ledger.neededOffset(now));
    }
  }

  private commit(owned: OwnedPartition, offset: bigint): void {
    if (offset <= owned.committed || offset < 0n || !this.consumer) return;
    owned.committed = offset;
    this.consumer
      .commitOffsets([
        { topic: this.options.topics.commands, partition: owned.partition, offset: String(offset) },
      ])
      .catch((error: Error) => {
        owned.committed = -1n;
        this.logger.debug({ err: error, partition: owned.partition }, 'command log offset not committed yet');
      });
  }

  private count(d: Decision): void {
    const status =
      d.kind === 'conclude'
        ? commandspb.CommandStatus[d.status].replace('COMMAND_STATUS_', '').toLowerCase()
        : '';
    this.decisions.inc({ kind: d.kind === 'dispatch' && d.watchOnly ? 'watch' : d.kind, status });
  }
}
