import { dataTopicName, HEADER, SCHEMA, Topics } from '@app/contracts';
import type { BatchingProducer, PublishError } from '@app/kafka';
import type { Metrics } from '@app/observability';
import { AgentMessageReader, ReaderSettings, ReadResult } from './agent-message.reader';
import { MessageOrigin, recordHeaders } from './record-headers';
import type { Rejection } from './rejection';

export interface IngestInput extends MessageOrigin {
  bytes: Buffer;
  /** The key from the call's metadata: the body's key must equal it. */
  agentKey: string;
}

export type IngestOutcome = { kind: 'published'; topic: string } | { kind: 'rejected'; rejection: Rejection };

/**
 * Called once per message, never before `ingest` returns: with the outcome once Kafka acknowledged
 * the message (or its DLQ record), or with the error that kept it from being stored.
 */
export type IngestCallback = (error: Error | undefined, outcome?: IngestOutcome) => void;

export interface IngestSettings extends ReaderSettings {
  topics: Topics;
}

/** Per DataType: its topic, its counter and its (immutable) outcome, so that the hot path allocates neither. */
interface DataTopic {
  topic: string;
  counter: { inc(): void };
  outcome: IngestOutcome;
}

/**
 * One AgentMessage from bytes to Kafka: the reader decides (and splices the record value), then the
 * record goes to its data topic, or to the DLQ with its reason. The callback runs only after Kafka
 * acknowledged the record; a PublishError means the message was not stored and the agent must send
 * it again.
 */
export class AgentMessageIngest {
  private readonly outcomes;
  private readonly reader: AgentMessageReader;
  private readonly dataTopics: (DataTopic | undefined)[] = [];

  constructor(
    private readonly producer: BatchingProducer,
    private readonly settings: IngestSettings,
    metrics: Metrics,
  ) {
    this.outcomes = metrics.counter({
      name: 'gateway_messages_total',
      help: 'AgentMessages by outcome (topic or DLQ reason)',
      labelNames: ['outcome'] as const,
    });
    this.reader = new AgentMessageReader(settings);
  }

  ingest(input: IngestInput, done: IngestCallback): void {
    const read = this.reader.read(input.bytes, input.agentKey, input.receivedAtMs);
    const target = read.rejection ? undefined : this.dataTopic(read.type);
    if (!target) return this.deadLetter(input, read, done);
    this.producer.send(
      {
        topic: target.topic,
        key: `${input.principal.agentId}/${read.host}`,
        orderKey: input.principal.agentId,
        value: read.value,
        headers: recordHeaders(input, SCHEMA.agentMessage),
      },
      (error?: PublishError) => {
        if (error) return done(error);
        target.counter.inc();
        done(undefined, target.outcome);
      },
    );
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

  private deadLetter(input: IngestInput, read: ReadResult, done: IngestCallback): void {
    const rejection: Rejection = read.rejection ?? { reason: 'unknown_type', detail: 'unknown type' };
    this.producer.send(
      {
        topic: this.settings.topics.dlq,
        key: `${input.principal.agentId}/${read.host}`,
        orderKey: input.principal.agentId,
        value: read.value,
        headers: {
          ...recordHeaders(input, SCHEMA.rejectedAgentMessage),
          [HEADER.dlqReason]: rejection.reason,
          [HEADER.dlqDetail]: rejection.detail.slice(0, 1024),
          [HEADER.dlqSource]: 'gateway',
        },
      },
      (error?: PublishError) => {
        if (error) return done(error);
        this.outcomes.inc({ outcome: `dlq_${rejection.reason}` });
        done(undefined, { kind: 'rejected', rejection });
      },
    );
  }
}
