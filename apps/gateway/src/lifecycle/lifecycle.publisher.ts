import { randomUUID } from 'node:crypto';
import { eventspb, SCHEMA, Topics } from '@app/contracts';
import type { BatchingProducer } from '@app/kafka';
import type { AgentPrincipal } from '../auth/key-registry';
import { recordHeaders } from '../ingest/record-headers';

const { AgentLifecycleEvent } = eventspb;
export type LifecycleDetails = Partial<
  Omit<eventspb.AgentLifecycleEvent, 'eventId' | 'kind' | 'tenantId' | 'agentId' | 'keyId' | 'gatewayId'>
>;

/** Agent lifecycle facts (registered, stream opened/closed, heartbeat) as events on the lifecycle topic. */
export class LifecyclePublisher {
  constructor(
    private readonly producer: BatchingProducer,
    private readonly topics: Topics,
    private readonly gatewayId: string,
  ) {}

  async publish(
    kind: eventspb.LifecycleKind,
    principal: AgentPrincipal,
    details: LifecycleDetails = {},
  ): Promise<void> {
    const now = Date.now();
    const eventId = randomUUID();
    const event = AgentLifecycleEvent.fromPartial({
      ...details,
      eventId,
      kind,
      tenantId: principal.tenantId,
      agentId: principal.agentId,
      keyId: principal.keyId,
      gatewayId: this.gatewayId,
      occurredAtMs: String(now),
    });
    await this.producer.publish({
      topic: this.topics.lifecycle,
      key: principal.agentId,
      value: Buffer.from(AgentLifecycleEvent.encode(event).finish()),
      headers: recordHeaders(
        { principal, gatewayId: this.gatewayId, messageId: eventId, receivedAtMs: now },
        SCHEMA.lifecycle,
      ),
    });
  }
}
