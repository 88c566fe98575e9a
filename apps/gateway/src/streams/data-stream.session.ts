import { randomUUID } from 'node:crypto';
import { ServerDuplexStream, status } from '@grpc/grpc-js';
import { agentpb, eventspb } from '@app/contracts';
import type { BatchingProducer } from '@app/kafka';
import type { AppLogger } from '@app/observability';
import type { AgentPrincipal } from '../auth/key-registry';
import type { AgentMessageIngest, IngestOutcome, IngestStream } from '../ingest/agent-message.ingest';
import type { LifecyclePublisher } from '../lifecycle/lifecycle.publisher';
import { encodeAck } from './ack-message';
import { AckWatermark } from './ack-watermark';
import type { OpenStream, StreamRegistry } from './stream-registry';

const { LifecycleKind } = eventspb;
type Call = ServerDuplexStream<Buffer, agentpb.ServerMessage | Buffer>;

export interface SessionDependencies {
  ingest: AgentMessageIngest;
  lifecycle: LifecyclePublisher;
  registry: StreamRegistry;
  producer: BatchingProducer;
  logger: AppLogger;
  gatewayId: string;
  maxInFlight: number;
  ackIntervalMs: number;
  /** ACTIVITY lifecycle events: at most one per stream per this interval while messages arrive. */
  activityIntervalMs: number;
  /** Command outcomes: a stream with a delivered command is watched for that container's events. */
  commands?: { isWatching(streamId: string): boolean; observe(streamId: string, bytes: Buffer): void };
}

/** Hosts are not tracked per stream yet: every stream shares this empty set. */
const NO_HOSTS: ReadonlySet<string> = new Set();

/**
 * One agent's DataStream. Reads only while its messages waiting for Kafka stay under the stream
 * and gateway limits (pausing the call stops HTTP/2 window updates, so the agent slows down).
 * ACKs report how many messages, counted from the stream's first, are durably stored.
 * It is its own entry in the stream registry: an idle agent costs one object, not three.
 */
export class DataStreamSession implements IngestStream, OpenStream {
  readonly streamId = randomUUID();
  readonly since = Date.now();
  readonly hosts = NO_HOSTS;
  readonly peer: string;
  private readonly watermark = new AckWatermark();
  private sequence = 0;
  private inFlight = 0;
  private rejected = 0;
  private open = false;
  private halfClosed = false;
  private ended = false;
  /** Whether this session paused the call: resume() and the `drain` handler do nothing otherwise. */
  private paused = false;
  private ackTimer: NodeJS.Timeout | undefined;
  private lastAcked = 0;
  private lastActivity = 0;
  /** The publishing lane of this agent's records: its saturation pauses this stream. */
  readonly lane: number;
  private readonly onDrain = (lane: number) => {
    if (this.paused && lane === this.lane) this.maybeResume();
  };
  private idleWaiters: (() => void)[] | undefined;

  constructor(
    private readonly call: Call,
    readonly principal: AgentPrincipal,
    readonly agentKey: string,
    private readonly deps: SessionDependencies,
    private readonly onClosed: () => void = () => undefined,
  ) {
    this.lane = deps.producer.laneFor(principal.agentId);
    this.peer = call.getPeer();
  }

  start(): void {
    this.open = true;
    this.deps.registry.add(this);
    this.deps.producer.on('drain', this.onDrain);
    this.call.on('data', (bytes: Buffer) => this.receive(bytes));
    this.call.on('end', () => {
      this.halfClosed = true;
      this.finishIfIdle();
    });
    this.call.on('cancelled', () => this.closed('CANCELLED', 'agent cancelled the stream'));
    this.call.on('error', (error) => this.closed('ERROR', error.message));
    this.call.on('close', () => this.closed('CLOSED', 'stream closed'));
    this.emitLifecycle(LifecycleKind.LIFECYCLE_KIND_STREAM_OPENED, {});
  }

  /** Gateway shutdown: stop reading, let accepted messages reach Kafka, ACK them, end UNAVAILABLE. */
  async drainAndClose(reason: string): Promise<void> {
    this.pause();
    await this.idle();
    this.fail(status.UNAVAILABLE, reason);
  }

  private receive(bytes: Buffer): void {
    if (this.ended) return;
    const sequence = ++this.sequence;
    const receivedAtMs = Date.now();
    if (receivedAtMs - this.lastActivity >= this.deps.activityIntervalMs) {
      this.lastActivity = receivedAtMs;
      this.emitLifecycle(LifecycleKind.LIFECYCLE_KIND_ACTIVITY, {});
    }
    this.inFlight++;
    if (this.deps.commands?.isWatching(this.streamId)) this.deps.commands.observe(this.streamId, bytes);
    if (
      !this.paused &&
      (this.inFlight >= this.deps.maxInFlight || this.deps.producer.isSaturated(this.lane))
    ) {
      this.pause();
    }
    this.deps.ingest.ingest(this, sequence, bytes, receivedAtMs);
  }

  /** Kafka acknowledged message `sequence` (or its DLQ record). One handler, no `finally` chain. */
  stored(sequence: number, outcome: IngestOutcome): void {
    if (outcome.kind === 'rejected') {
      this.rejected++;
      if (outcome.rejection.reason === 'agent_key_mismatch') {
        this.fail(status.UNAUTHENTICATED, `message ${sequence}: ${outcome.rejection.detail}`);
      }
    }
    this.watermark.complete(sequence);
    this.scheduleAck();
    this.settled();
  }

  /**
   * The stream ends at its first message not stored. The producer has cut this agent's lane, so
   * none of this stream's later messages reaches Kafka either (they fail too, and the ACK stays
   * below `sequence`), and data arriving from now on is ignored: the agent resends from its ACK.
   */
  notStored(sequence: number, error: Error): void {
    this.fail(status.UNAVAILABLE, `message ${sequence} not stored, send again: ${error.message}`);
    this.settled();
  }

  private settled(): void {
    this.inFlight--;
    this.maybeResume();
    this.finishIfIdle();
  }

  private maybeResume(): void {
    if (!this.paused || this.ended || this.halfClosed) return;
    if (this.inFlight < this.deps.maxInFlight / 2 && !this.deps.producer.isSaturated(this.lane)) {
      this.paused = false;
      this.call.resume();
    }
  }

  private pause(): void {
    this.paused = true;
    this.call.pause();
  }

  private finishIfIdle(): void {
    if (this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = undefined;
    waiters?.forEach((w) => w());
    if (this.halfClosed && !this.ended) {
      this.sendAck();
      this.ended = true;
      this.call.end();
    }
  }

  private idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idleWaiters ??= []).push(resolve));
  }

  private scheduleAck(): void {
    this.ackTimer ??= setTimeout(() => this.sendAck(), this.deps.ackIntervalMs);
  }

  private sendAck(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    const acked = this.watermark.count;
    if (acked === this.lastAcked || this.ended) return;
    this.lastAcked = acked;
    this.write(encodeAck(acked));
  }

  /** OpenStream: a command for the agent. */
  send(message: { command: number; targetContainer: string; host: string }): boolean {
    return this.write(agentpb.ServerMessage.fromPartial(message));
  }

  /** OpenStream: ends the stream (after a final ACK of what is stored). */
  end(code: status, details: string): void {
    this.fail(code, details);
  }

  private write(message: agentpb.ServerMessage | Buffer): boolean {
    if (this.ended || this.call.destroyed) return false;
    this.call.write(message);
    return true;
  }

  private fail(code: status, details: string): void {
    if (this.ended) return;
    this.sendAck();
    this.ended = true;
    this.call.emit('error', { code, details });
  }

  private closed(statusName: string, reason: string): void {
    if (!this.open) return;
    this.open = false;
    this.ended = true;
    clearTimeout(this.ackTimer);
    this.deps.registry.remove(this.streamId);
    this.deps.producer.off('drain', this.onDrain);
    this.onClosed();
    this.emitLifecycle(LifecycleKind.LIFECYCLE_KIND_STREAM_CLOSED, {
      closeStatus: statusName,
      closeReason: reason,
      messagesAccepted: String(this.watermark.count - this.rejected),
      messagesRejected: String(this.rejected),
    });
  }

  private emitLifecycle(kind: eventspb.LifecycleKind, details: Partial<eventspb.AgentLifecycleEvent>): void {
    this.deps.lifecycle
      .publish(kind, this.principal, { ...details, streamId: this.streamId, peer: this.peer })
      .catch((error: Error) =>
        this.deps.logger.warn({ err: error, streamId: this.streamId, kind }, 'lifecycle event not published'),
      );
  }
}
