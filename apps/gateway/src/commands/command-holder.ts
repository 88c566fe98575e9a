import type { Kafka, Message, Producer } from 'kafkajs';
import { agentpb, commandspb } from '@app/contracts';
import { FollowedRecord, KeyPartitioner, murmur2, TopicFollower } from '@app/kafka';
import type { AppLogger, Metrics } from '@app/observability';
import type { OpenStream, StreamRegistry } from '../streams/stream-registry';
import { decodeLogRecord, LogEntry, logRecord, statusRecord } from './command-records';
import { OutcomeWatches } from './outcome-watches';
import { SerialLogWriter } from './serial-log-writer';

const { CommandAction, CommandStatus } = commandspb;

export interface CommandHolderOptions {
  topics: { commands: string; commandStatus: string };
  gatewayId: string;
  /** Open streams are announced again this often, so an owner never reads back further to find them. */
  presenceRefreshMs: number;
  /** Longest a shutdown waits to read back its own last records (see `drain`). */
  drainTimeoutMs: number;
}

/**
 * The gateway's part as the holder of agent streams: it tells the command log where each agent's
 * streams are (stream_opened / stream_closed, refreshed while open), follows the log for the
 * dispatches addressed to this gateway, writes each command to its stream at most once, and
 * reports what it did (delivered, or returned when the stream had closed) and the container
 * events that follow (for the outcome). Holds no command state beyond its open streams.
 */
export class CommandHolder {
  private producer: Producer | undefined;
  private writer: SerialLogWriter | undefined;
  private follower: TopicFollower | undefined;
  private partitions = 0;
  private refresher: NodeJS.Timeout | undefined;
  /** Per stream that had any: the commands written to it (a dispatch read twice is written once). */
  private readonly written = new Map<string, Set<string>>();
  private readonly watches = new OutcomeWatches();
  /** Per partition: the highest offset of the log the follower has read. */
  private readonly readUpTo = new Map<number, bigint>();
  private readonly handled;
  private gaveUp = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: CommandHolderOptions,
    private readonly streams: StreamRegistry,
    private readonly logger: AppLogger,
    metrics: Metrics,
  ) {
    this.handled = metrics.counter({
      name: 'gateway_commands_handled_total',
      help: 'Dispatches addressed to this gateway, by result (delivered, returned, duplicate)',
      labelNames: ['result'],
    });
    metrics.gauge({
      name: 'gateway_command_outcome_watches',
      help: 'Commands whose outcome this gateway watches its streams for',
      value: () => this.watches.size,
    });
  }

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [this.options.topics.commands] });
      this.partitions = meta.topics[0].partitions.length;
    } finally {
      await admin.disconnect();
    }
    this.producer = this.kafka.producer({
      createPartitioner: KeyPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Idempotence needs kafkajs to retry without a limit; the serial writer waits meanwhile.
      retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 1000 },
    });
    await this.producer.connect();
    this.writer = new SerialLogWriter(this.producer, this.options.topics.commands, (error) =>
      this.logger.warn({ err: error }, 'command log records not written yet, retrying'),
    );
    this.follower = new TopicFollower(
      this.kafka,
      {
        topics: [this.options.topics.commands],
        groupPrefix: `gateway-commands-${this.options.gatewayId}`,
        from: 'end',
      },
      (record) => this.read(record),
      this.logger,
    );
    await this.follower.start();
    this.streams.listen({ added: (s) => this.announce(s, true), removed: (s) => this.announce(s, false) });
    this.refresher = setInterval(
      () => this.streams.all().forEach((s) => this.announce(s, true)),
      this.options.presenceRefreshMs,
    );
    this.refresher.unref();
  }

  /** Whether a stream's messages must be looked at for command outcomes (cheap; per message). */
  isWatching(streamId: string): boolean {
    return this.watches.has(streamId);
  }

  /** A message that arrived on a watched stream: report the events that tell an outcome. */
  observe(streamId: string, bytes: Buffer): void {
    for (const seen of this.watches.match(streamId, bytes)) {
      this.append(seen.request, {
        observed: {
          commandId: seen.request.commandId,
          streamId,
          action: seen.action,
          exitCode: seen.exitCode,
          containerId: seen.containerId,
          eventTimeMs: String(seen.eventTimeMs),
        },
      });
    }
  }

  /**
   * Shutdown, after the streams closed: writes what is queued (their stream_closed records), then
   * keeps following the log until it has read past them, returning every dispatch to a closed
   * stream that was decided before the owner read the close. Dispatches after it are void.
   */
  async drain(): Promise<void> {
    clearInterval(this.refresher);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>(
      (r) => (timer = setTimeout(() => r(true), this.options.drainTimeoutMs)),
    );
    const done = await Promise.race([this.readBackOwnRecords().then(() => false), timedOut]);
    clearTimeout(timer);
    this.gaveUp = done;
    if (done) this.logger.warn("shutdown: command log not read back to this gateway's last records in time");
  }

  private async readBackOwnRecords(): Promise<void> {
    await this.writer?.idle();
    const target = new Map(this.writer?.lastWritten ?? []);
    const behind = () => [...target].some(([p, offset]) => (this.readUpTo.get(p) ?? -1n) < offset);
    while (behind() && !this.gaveUp) await new Promise((r) => setTimeout(r, 20));
    await this.writer?.idle(); // the returns written meanwhile
  }

  async stop(): Promise<void> {
    clearInterval(this.refresher);
    await this.follower?.stop();
    this.writer?.stop();
    await this.producer?.disconnect();
  }

  private read(record: FollowedRecord): void {
    const offset = BigInt(record.offset);
    if (offset > (this.readUpTo.get(record.partition) ?? -1n)) this.readUpTo.set(record.partition, offset);
    const entry = decodeLogRecord(record.message.value);
    if (entry?.concluded) this.watches.forget(entry.concluded.commandId);
    const d = entry?.dispatched;
    if (d?.command && d.gatewayId === this.options.gatewayId) this.dispatched(d, d.command);
  }

  private dispatched(d: commandspb.CommandDispatch, request: commandspb.CommandRequest): void {
    const stream = this.streams.get(d.streamId);
    if (d.watchOnly) {
      if (stream) this.watches.add(d.streamId, request);
      return;
    }
    const written = this.written.get(d.streamId);
    if (written?.has(request.commandId)) {
      this.handled.inc({ result: 'duplicate' });
      return;
    }
    const type = commandTypeOf(request.action);
    const sent =
      type !== undefined &&
      (stream?.send({ command: type, targetContainer: request.container, host: request.host }) ?? false);
    if (!sent) {
      this.handled.inc({ result: 'returned' });
      this.append(request, {
        returned: { commandId: request.commandId, streamId: d.streamId, reason: 'stream closed' },
      });
      return;
    }
    this.handled.inc({ result: 'delivered' });
    // `sent`: the stream is open, announced, and removed from `written` when it closes.
    if (written) written.add(request.commandId);
    else this.written.set(d.streamId, new Set([request.commandId]));
    this.watches.add(d.streamId, request);
    this.append(request, { delivered: { commandId: request.commandId, streamId: d.streamId } }, [
      statusRecord(request, CommandStatus.COMMAND_STATUS_DELIVERED, this.options.gatewayId, {
        streamId: d.streamId,
        gatewayId: this.options.gatewayId,
      }),
    ]);
  }

  private announce(stream: OpenStream, open: boolean): void {
    if (!open) {
      this.written.delete(stream.streamId);
      this.watches.dropStream(stream.streamId);
    }
    const presence = {
      streamId: stream.streamId,
      gatewayId: this.options.gatewayId,
      openedAtMs: String(stream.since),
    };
    this.append(stream.principal, open ? { streamOpened: presence } : { streamClosed: presence });
  }

  private append(
    agent: { tenantId: string; agentId: string },
    entry: LogEntry,
    status: Message[] = [],
  ): void {
    const message = logRecord(agent, this.options.gatewayId, entry, this.partitionOf(agent.agentId));
    const records = [{ topic: this.options.topics.commands, message }];
    status.forEach((m) => records.push({ topic: this.options.topics.commandStatus, message: m }));
    this.writer
      ?.write(records)
      .catch((error: Error) =>
        this.logger.warn({ err: error, agentId: agent.agentId }, 'command log record not written'),
      );
  }

  /** The agent's partition, as every producer's partitioner computes it (so the offsets are known). */
  private partitionOf(agentId: string): number {
    return (murmur2(Buffer.from(agentId)) & 0x7fffffff) % this.partitions;
  }
}

function commandTypeOf(action: commandspb.CommandAction): agentpb.CommandType | undefined {
  switch (action) {
    case CommandAction.COMMAND_ACTION_START:
      return agentpb.CommandType.START_CONTAINER;
    case CommandAction.COMMAND_ACTION_STOP:
      return agentpb.CommandType.STOP_CONTAINER;
    case CommandAction.COMMAND_ACTION_RESTART:
      return agentpb.CommandType.RESTART_CONTAINER;
    case CommandAction.COMMAND_ACTION_UNSPECIFIED:
    case CommandAction.UNRECOGNIZED:
      return undefined;
  }
}
