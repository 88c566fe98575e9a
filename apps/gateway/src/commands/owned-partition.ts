import { randomUUID } from 'node:crypto';
import type { Kafka, Message, Producer } from 'kafkajs';
import { commandspb } from '@app/contracts';
import { KeyPartitioner } from '@app/kafka';
import type { AppLogger } from '@app/observability';
import { CommandLedger, commandKey, Decision, LedgerTimings, watchKey } from './command-ledger';
import { logRecord, statusRecord } from './command-records';

export interface PartitionContext {
  kafka: Kafka;
  topics: { commands: string; commandStatus: string };
  /** Transactional ids are `<prefix>command-owner-<partition>`: one per partition, whoever owns it. */
  transactionalIdPrefix: string;
  ownerId: string;
  timings: LedgerTimings;
  logger: AppLogger;
  counted: (decision: Decision) => void;
}

/**
 * Errors that mean a newer producer epoch of the partition's transactional id exists: another
 * owner's claim, or a late claim of a closed instance (its InitProducerId, retried while the
 * transaction coordinator was loading, can land after the rebalance that closed it).
 */
const FENCE_BACKOFF_MS = 2000;
const FENCED = new Set([
  'PRODUCER_FENCED',
  'INVALID_PRODUCER_EPOCH',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
]);

/**
 * One partition of the command log while this gateway owns it. Claiming fences the previous owner
 * (a new producer epoch of the partition's transactional id aborts its open transaction and
 * refuses its next one) and writes a `claimed` record; the partition acts only once it has read
 * the log up to that record, so its state includes every decision the previous owner made.
 * Decisions go out in one transaction (log records and status events together). On an error that
 * is not a fence, it claims again, so no decision is ever taken twice on an unknown outcome.
 */
export class OwnedPartition {
  readonly ledger: CommandLedger;
  private producer: Producer | undefined;
  private claimId = '';
  private live = false;
  private closed = false;
  private needsClaim = true;
  private claiming = false;
  /** After a fence: claim again (while still assigned) no sooner than this, so two owners never ping-pong fast. */
  private claimNotBefore = 0;
  private readonly busy = new Set<string>();
  private acting: Promise<void> | undefined;
  private again = false;
  committed = -1n;

  constructor(
    readonly partition: number,
    private readonly ctx: PartitionContext,
  ) {
    this.ledger = new CommandLedger(ctx.timings);
  }

  get isLive(): boolean {
    return this.live && !this.closed;
  }

  /** Claims the partition when it has to (at first, and after a failed transaction); called by every tick. */
  ensureClaimed(): void {
    if (!this.needsClaim || this.claiming || this.closed || Date.now() < this.claimNotBefore) return;
    this.claiming = true;
    this.needsClaim = false;
    this.claim()
      .catch((error: Error) => {
        this.needsClaim = true;
        this.ctx.logger.warn(
          { partition: this.partition, err: error },
          'cannot claim the command log partition yet',
        );
      })
      .finally(() => (this.claiming = false));
  }

  /** Fences the previous owner and writes our claim. */
  private async claim(): Promise<void> {
    this.live = false;
    this.busy.clear();
    await this.producer?.disconnect().catch(() => undefined);
    const producer = this.ctx.kafka.producer({
      transactionalId: `${this.ctx.transactionalIdPrefix}command-owner-${this.partition}`,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: KeyPartitioner,
      // Idempotence needs kafkajs to retry without a limit; a close() does not wait for it (see close).
      // Short first back-off: a transaction begun right after a commit is answered
      // CONCURRENT_TRANSACTIONS until the coordinator has written the markers (milliseconds).
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 10, maxRetryTime: 1000 },
    });
    this.producer = producer;
    await producer.connect();
    const claimId = randomUUID();
    this.claimId = claimId; // before the write: the consumer may read it back before commit() returns
    const txn = await producer.transaction();
    try {
      if (this.closed) throw new Error('partition closed while claiming');
      await txn.send({
        topic: this.ctx.topics.commands,
        messages: [
          logRecord(
            { tenantId: '', agentId: '' },
            this.ctx.ownerId,
            { claimed: { ownerId: this.ctx.ownerId, partition: this.partition, claimId } },
            this.partition,
          ),
        ],
      });
      await txn.commit();
    } catch (error) {
      await txn.abort().catch(() => undefined);
      throw error;
    }
  }

  /** Folds one record read from the log, in order. */
  fold(record: commandspb.CommandLogRecord, offset: bigint): void {
    this.ledger.fold(record, offset);
    if (record.claimed) {
      if (record.claimed.claimId === this.claimId && this.claimId) {
        this.live = true;
        this.ctx.logger.info(
          { partition: this.partition },
          'command log partition caught up: acting as its owner',
        );
      }
    } else if (record.dispatched) {
      const id = record.dispatched.command?.commandId ?? '';
      this.busy.delete(
        record.dispatched.watchOnly ? watchKey(id, record.dispatched.streamId) : commandKey(id),
      );
    } else if (record.concluded) {
      this.busy.delete(commandKey(record.concluded.commandId));
    }
  }

  /** Takes the decisions the state calls for (serially: one transaction at a time per partition). */
  act(): void {
    if (!this.isLive) return;
    if (this.acting) {
      this.again = true;
      return;
    }
    this.acting = this.actNow().finally(() => {
      this.acting = undefined;
      if (this.again) {
        this.again = false;
        this.act();
      }
    });
  }

  /** Stops acting; a transaction still retrying (brokers down) is left to be aborted by the next owner's claim. */
  async close(timeoutMs = 5000): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.acting, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    await this.producer?.disconnect().catch(() => undefined);
  }

  private async actNow(): Promise<void> {
    const decisions = this.ledger.decide(Date.now(), this.busy);
    if (decisions.length === 0 || !this.producer) return;
    decisions.forEach((d) => this.busy.add(d.key));
    const txn = await this.producer.transaction().catch((error: Error) => this.failed(error));
    if (!txn) return;
    try {
      const log: Message[] = [];
      const status: Message[] = [];
      for (const d of decisions) {
        const agent = { tenantId: d.request.tenantId, agentId: d.request.agentId };
        if (d.kind === 'dispatch') {
          log.push(
            logRecord(
              agent,
              this.ctx.ownerId,
              {
                dispatched: {
                  command: d.request,
                  streamId: d.streamId,
                  gatewayId: d.gatewayId,
                  watchOnly: d.watchOnly,
                },
              },
              this.partition,
            ),
          );
        } else {
          log.push(
            logRecord(
              agent,
              this.ctx.ownerId,
              { concluded: { commandId: d.request.commandId, status: d.status, detail: d.detail } },
              this.partition,
            ),
          );
          status.push(statusRecord(d.request, d.status, this.ctx.ownerId, { detail: d.detail }));
        }
      }
      const topicMessages = [{ topic: this.ctx.topics.commands, messages: log }];
      if (status.length > 0) topicMessages.push({ topic: this.ctx.topics.commandStatus, messages: status });
      await txn.sendBatch({ topicMessages });
      await txn.commit();
      decisions.forEach((d) => this.ctx.counted(d));
    } catch (error) {
      await txn.abort().catch(() => undefined);
      this.failed(error as Error);
    }
  }

  /** Fenced: stop acting (the group will hand the partition to its new owner). Otherwise claim again. */
  private failed(error: Error): undefined {
    this.live = false;
    const type = (error as { type?: string }).type ?? '';
    if (FENCED.has(type)) {
      this.needsClaim = true;
      this.claimNotBefore = Date.now() + FENCE_BACKOFF_MS;
      this.ctx.logger.warn(
        { partition: this.partition, err: error },
        `fenced by a newer producer of this command log partition: claiming it again in ${FENCE_BACKOFF_MS} ms if still assigned`,
      );
    } else {
      this.needsClaim = true;
      this.ctx.logger.warn(
        { partition: this.partition, err: error },
        'command decisions not written; claiming the partition again',
      );
    }
    return undefined;
  }
}
