import type { agentLifecycle, RowOf } from '@app/clickhouse';
import { eventspb } from '@app/contracts';
import { epochMs, ProjectionError, SourceRecord, sourceColumns } from './source-record';

export type LifecycleRow = RowOf<typeof agentLifecycle>;

const KIND_NAMES: Record<number, string> = {
  [eventspb.LifecycleKind.LIFECYCLE_KIND_REGISTERED]: 'registered',
  [eventspb.LifecycleKind.LIFECYCLE_KIND_STREAM_OPENED]: 'stream_opened',
  [eventspb.LifecycleKind.LIFECYCLE_KIND_STREAM_CLOSED]: 'stream_closed',
  [eventspb.LifecycleKind.LIFECYCLE_KIND_HEARTBEAT]: 'heartbeat',
  [eventspb.LifecycleKind.LIFECYCLE_KIND_OFFLINE]: 'offline',
  [eventspb.LifecycleKind.LIFECYCLE_KIND_ACTIVITY]: 'activity',
};

export function lifecycleRows(record: SourceRecord): LifecycleRow[] {
  let event: eventspb.AgentLifecycleEvent;
  try {
    event = eventspb.AgentLifecycleEvent.decode(record.value);
  } catch (error) {
    throw new ProjectionError(`undecodable AgentLifecycleEvent: ${(error as Error).message}`);
  }
  const kind = KIND_NAMES[event.kind];
  if (!kind) throw new ProjectionError(`unknown lifecycle kind ${event.kind}`);
  const source = sourceColumns(record);
  return [
    {
      ts: epochMs(event.occurredAtMs),
      tenant_id: event.tenantId || source.tenant_id,
      agent_id: event.agentId || source.agent_id,
      kind,
      event_id: event.eventId,
      gateway_id: event.gatewayId,
      agent_name: event.agentName,
      'hosts.name': event.hosts.map((h) => h.name),
      'hosts.addr': event.hosts.map((h) => h.addr),
      stream_id: event.streamId,
      close_status: event.closeStatus,
      close_reason: event.closeReason,
      messages_accepted: event.messagesAccepted,
      messages_rejected: event.messagesRejected,
      agent_time: event.agentTimeMs === '0' ? null : epochMs(event.agentTimeMs),
      peer: event.peer,
      received_at: source.received_at,
      message_id: source.message_id,
      _src_partition: source._src_partition,
      _src_offset: source._src_offset,
    },
  ];
}
