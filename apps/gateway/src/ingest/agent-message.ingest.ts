import { dataTopicName, HEADER, SCHEMA, Topics } from '@app/contracts';
import type { BatchingProducer, PackedHeaders, PublishError } from '@app/kafka';
import type { Metrics } from '@app/observability';
import type { AgentPrincipal } from '../auth/key-registry';
import { AgentMessageReader, ReaderSettings, ReadResult } from './agent-message.reader';
import { messageHeaders, packedStreamHeaders, recordHeaders } from './record-headers';
import type { Rejection } from './rejection';

export type IngestOutcome = { kind: 'published'; topic: string } | { kind: 'rejected'; rejection: Rejection };

/**
 * Where a stream's messages come from, and where their outcomes go: each message's `stored` or
 * `notStored` is called exactly once, never before `ingest` returns. `stored` once Kafka
 * acknowledged the message (or its DLQ record); `notStored` with the error that kept it from
 * being stored (the agent must send it again).
 */
export interface IngestStream {
  readonly streamId: string;
  readonly principal: AgentPrincipal;
  /** The key from the call's metadata: the body's key must equal it. */
  readonly agentKey: string;
  /** The publishing lane of this agent (BatchingProducer.laneFor its agent id). */
  readonly lane: number;
  stored(sequence: number, outcome: IngestOutcome): void;
  notStored(sequence: number, error: Error): void;
}

export interface IngestSettings extends ReaderSettings {
  topics: Topics;
  gatewayId: string;
}

/** Per DataType: its topic, its counter and its (immutable) outcome, so that the hot path allocates neither. */
interface DataTopic {
  topic: string;
  counter: { inc(): void };
  outcome: IngestOutcome;
}

/** What the ingest keeps per stream: computed once, used by every message. */
interface StreamRecordParts {
  fixedHeaders: PackedHeaders;
  keyPrefix: string;
  lastHost: string;
  lastKey: string;
}

/**
 * One AgentMessage from bytes to Kafka: the reader decides (and splices the record value), then the
 * record goes to its data topic, or to the DLQ with its reason.
 */
export class AgentMessageIngest {
  private readonly outcomes;
  private readonly reader: AgentMessageReader;
  private readonly dataTopics: (DataTopic | undefined)[] = [];
  private readonly parts = new WeakMap<IngestStream, StreamRecordParts>();

  constructor(
    private readonly producer: BatchingProducer,
    private readonly settings: IngestSettings,
    metrics: Metrics,
  ) {
    this.outcomes = metrics.fastCounter({
      name: 'gateway_messages_total',
      help: 'AgentMessages by outcome (topic or DLQ reason)',
      labelNames: ['outcome'] as const,
    });
    this.reader = new AgentMessageReader(settings);
  }

  /** Message number `sequence` of `stream` (counted from 1), received at `receivedAtMs`. */
  ingest(stream: IngestStream, sequence: number, bytes: Buffer, receivedAtMs: number): void {
    const read = this.reader.read(bytes, stream.agentKey, receivedAtMs);
    const target = read.rejection ? undefined : this.dataTopic(read.type);
    if (!target) return this.deadLetter(stream, sequence, receivedAtMs, read);
    const parts = this.partsOf(stream);
    if (read.host !== parts.lastHost) {
      parts.lastHost = read.host;
      parts.lastKey = parts.keyPrefix + read.host;
    }
    this.producer.send(
      {
        topic: target.topic,
        key: parts.lastKey,
        orderKey: stream.principal.agentId,
        lane: stream.lane,
        value: read.value,
        headers: messageHeaders(`${stream.streamId}:${sequence}`, receivedAtMs),
        fixedHeaders: parts.fixedHeaders,
      },
      (error?: PublishError) => {
        if (error) return stream.notStored(sequence, error);
        target.counter.inc();
        stream.stored(sequence, target.outcome);
      },
    );
  }

  private partsOf(stream: IngestStream): StreamRecordParts {
    let parts = this.parts.get(stream);
    if (!parts) {
      const keyPrefix = `${stream.principal.agentId}/`;
      parts = {
        fixedHeaders: packedStreamHeaders(stream.principal, this.settings.gatewayId, SCHEMA.agentMessage),
        keyPrefix,
        lastHost: '',
        lastKey: keyPrefix,
      };
      this.parts.set(stream, parts);
    }
    return parts;
  }

  private dataTopic(type: number): DataTopic | undefined {
    const known = this.dataTopics[type];
    if (known) return known;
    const name = dataTopicName(type);
    if (!name) return undefined;
    const topic = this.settings.topics[name];
    const created: DataTopic = {
      topic,
      counter: this.outcomes.labels({ outcome: name }),
      outcome: Object.freeze({ kind: 'published', topic }),
    };
    this.dataTopics[type] = created;
    return created;
  }

  private deadLetter(stream: IngestStream, sequence: number, receivedAtMs: number, read: ReadResult): void {
    const rejection: Rejection = read.rejection ?? { reason: 'unknown_type', detail: 'unknown type' };
    const origin = {
      principal: stream.principal,
      gatewayId: this.settings.gatewayId,
      messageId: `${stream.streamId}:${sequence}`,
      receivedAtMs,
    };
    this.producer.send(
      {
        topic: this.settings.topics.dlq,
        key: `${stream.principal.agentId}/${read.host}`,
        orderKey: stream.principal.agentId,
        value: read.value,
        headers: {
          ...recordHeaders(origin, SCHEMA.rejectedAgentMessage),
          [HEADER.dlqReason]: rejection.reason,
          [HEADER.dlqDetail]: rejection.detail.slice(0, 1024),
          [HEADER.dlqSource]: 'gateway',
        },
      },
      (error?: PublishError) => {
        if (error) return stream.notStored(sequence, error);
        this.outcomes.labels({ outcome: `dlq_${rejection.reason}` }).inc();
        stream.stored(sequence, { kind: 'rejected', rejection });
      },
    );
  }
}
