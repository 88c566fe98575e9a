import { agentpb, dataTopicName, HEADER, SCHEMA, Topics } from '@app/contracts';
import type { BatchingProducer, PublishError } from '@app/kafka';
import type { Metrics } from '@app/observability';
import { validateAgentMessage, ValidationContext } from './agent-message.validator';
import { toEpochMs } from './epoch-time';
import { MessageOrigin, recordHeaders } from './record-headers';
import { Rejection, reject } from './rejection';
import { checkAgentMessageWire, forwardedBytes, newWireVerdict } from './wire-check';
import { encodeVarintField, rebuildWithout, scanTopLevelFields, WireField } from './wire-format';

const { AgentMessage, DataType } = agentpb;
const AGENT_KEY_FIELD = 1;
const TIMESTAMP_FIELD = 4;
const DROP_KEY = new Set([AGENT_KEY_FIELD]);
const DROP_KEY_AND_TIME = new Set([AGENT_KEY_FIELD, TIMESTAMP_FIELD]);

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

export interface IngestSettings extends Omit<ValidationContext, 'nowMs'> {
  topics: Topics;
}

/**
 * One AgentMessage from bytes to Kafka: decode and validate it, then forward the agent's own bytes
 * with `agent_key` removed and `timestamp` normalized to epoch ms. Bad messages go to the DLQ with
 * their reason. Both resolve only after Kafka acknowledged the record; a PublishError means the
 * message was not stored and the agent must send it again.
 */
export class AgentMessageIngest {
  private readonly outcomes;
  /** Per data topic: its counter and its (immutable) outcome, so that the hot path allocates neither. */
  private readonly accepted = new Map<string, { counter: { inc(): void }; outcome: IngestOutcome }>();
  /** Reused by every fast-path check: the hot path allocates no verdict. */
  private readonly verdict = newWireVerdict();

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
  }

  ingest(input: IngestInput, done: IngestCallback): void {
    // Hot path: a wire-level walk that builds no objects. Whenever it is not certain that the
    // message is accepted (rejections, events, anything unusual), the reference path decides.
    const v = this.verdict;
    if (checkAgentMessageWire(input.bytes, input.agentKey, input.receivedAtMs, this.settings, v)) {
      const topicName = dataTopicName(v.type);
      if (topicName) {
        const accepted = this.acceptedOn(topicName);
        const host = input.bytes.toString('latin1', v.hostStart, v.hostEnd);
        this.producer.send(
          {
            topic: this.settings.topics[topicName],
            key: `${input.principal.agentId}/${host}`,
            orderKey: input.principal.agentId,
            value: forwardedBytes(input.bytes, v),
            headers: recordHeaders(input, SCHEMA.agentMessage),
          },
          (error?: PublishError) => {
            if (error) return done(error);
            accepted.counter.inc();
            done(undefined, accepted.outcome);
          },
        );
        return;
      }
    }
    this.ingestByDecoding(input).then(
      (outcome) => done(undefined, outcome),
      (error: Error) => done(error),
    );
  }

  private acceptedOn(topicName: NonNullable<ReturnType<typeof dataTopicName>>) {
    let accepted = this.accepted.get(topicName);
    if (!accepted) {
      const outcome: IngestOutcome = Object.freeze({
        kind: 'published',
        topic: this.settings.topics[topicName],
      });
      accepted = { counter: this.outcomes.labels({ outcome: topicName }), outcome };
      this.accepted.set(topicName, accepted);
    }
    return accepted;
  }

  /** The reference path: decode with ts-proto, validate the objects, forward. */
  private async ingestByDecoding(input: IngestInput): Promise<IngestOutcome> {
    const decoded = this.decode(input);
    if ('reason' in decoded) return this.deadLetter(input, decoded);
    const { message, fields } = decoded;
    const rejection = this.check(message, input);
    if (rejection) return this.deadLetter(input, rejection, fields, message.host);
    const timestampMs = this.timestampMs(message, input.receivedAtMs);
    if (typeof timestampMs !== 'number') return this.deadLetter(input, timestampMs, fields, message.host);
    const topicName = dataTopicName(message.type);
    if (!topicName)
      return this.deadLetter(input, reject('unknown_type', 'unknown type'), fields, message.host);
    const topic = this.settings.topics[topicName];
    await this.producer.publish({
      topic,
      key: `${input.principal.agentId}/${message.host}`,
      orderKey: input.principal.agentId,
      value: this.forwardedValue(input.bytes, fields, message, timestampMs, input.receivedAtMs),
      headers: recordHeaders(input, SCHEMA.agentMessage),
    });
    this.outcomes.inc({ outcome: topicName });
    return { kind: 'published', topic };
  }

  private decode(input: IngestInput): { message: agentpb.AgentMessage; fields: WireField[] } | Rejection {
    try {
      return { fields: scanTopLevelFields(input.bytes), message: AgentMessage.decode(input.bytes) };
    } catch (error) {
      return reject('undecodable', `not a valid AgentMessage: ${(error as Error).message}`);
    }
  }

  private check(message: agentpb.AgentMessage, input: IngestInput): Rejection | undefined {
    if (message.agentKey !== input.agentKey) {
      return reject('agent_key_mismatch', 'agent_key in the message differs from the authorization metadata');
    }
    return validateAgentMessage(message, { ...this.settings, nowMs: input.receivedAtMs });
  }

  /** An absent (zero) timestamp takes the gateway's receive time; an absurd one is rejected. */
  private timestampMs(message: agentpb.AgentMessage, receivedAtMs: number): number | Rejection {
    if (message.timestamp === '0') return receivedAtMs;
    const result = toEpochMs(message.timestamp, receivedAtMs, this.settings.maxFutureSkewMs);
    return result.ok ? result.ms : reject('absurd_timestamp', `timestamp: ${result.detail}`);
  }

  private forwardedValue(
    bytes: Buffer,
    fields: WireField[],
    message: agentpb.AgentMessage,
    timestampMs: number,
    receivedAtMs: number,
  ): Buffer {
    if (message.type !== DataType.CONTAINER_EVENT || !message.eventData) {
      return rebuildWithout(
        bytes,
        fields,
        DROP_KEY_AND_TIME,
        encodeVarintField(TIMESTAMP_FIELD, timestampMs),
      );
    }
    // Events carry a second, nested timestamp: re-encode (events are rare next to stats).
    const eventTs = message.eventData.timestamp;
    const eventMs = eventTs === '0' ? receivedAtMs : Number(toEpochMsOrThrow(eventTs, receivedAtMs));
    return Buffer.from(
      AgentMessage.encode({
        ...message,
        agentKey: '',
        timestamp: String(timestampMs),
        eventData: { ...message.eventData, timestamp: String(eventMs) },
      }).finish(),
    );
  }

  private async deadLetter(
    input: IngestInput,
    rejection: Rejection,
    fields?: WireField[],
    host = '',
  ): Promise<IngestOutcome> {
    const value = fields ? rebuildWithout(input.bytes, fields, DROP_KEY) : Buffer.from(input.bytes);
    scrubSecret(value, input.agentKey);
    await this.producer.publish({
      topic: this.settings.topics.dlq,
      key: `${input.principal.agentId}/${host}`,
      orderKey: input.principal.agentId,
      value,
      headers: {
        ...recordHeaders(input, SCHEMA.rejectedAgentMessage),
        [HEADER.dlqReason]: rejection.reason,
        [HEADER.dlqDetail]: rejection.detail.slice(0, 1024),
        [HEADER.dlqSource]: 'gateway',
      },
    });
    this.outcomes.inc({ outcome: `dlq_${rejection.reason}` });
    return { kind: 'rejected', rejection };
  }
}

/** Validation already proved the event timestamp plausible; this only converts it. */
function toEpochMsOrThrow(raw: string, nowMs: number): number {
  const result = toEpochMs(raw, nowMs, Number.MAX_SAFE_INTEGER);
  if (!result.ok) throw new Error(result.detail);
  return result.ms;
}

/** Defence in depth: no copy of the agent's key may reach Kafka, even inside unparsable bytes. */
function scrubSecret(value: Buffer, secret: string): void {
  const needle = Buffer.from(secret, 'utf8');
  for (let at = value.indexOf(needle); at >= 0; at = value.indexOf(needle, at + needle.length)) {
    value.fill(0x2a, at, at + needle.length);
  }
}
