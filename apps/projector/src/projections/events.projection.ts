import type { containerEvents, RowOf } from '@app/clickhouse';
import { decodeAgentMessage } from './agent-message.decode';
import { epochMs, SourceRecord, sourceColumns } from './source-record';

export type EventRow = RowOf<typeof containerEvents>;

export function eventRows(record: SourceRecord): EventRow[] {
  const message = decodeAgentMessage(record, 'eventData');
  const { tenant_id, agent_id, ...source } = sourceColumns(record);
  const event = message.eventData;
  const messageTs = epochMs(message.timestamp);
  return [
    {
      ts: event.timestamp === '0' ? messageTs : epochMs(event.timestamp),
      tenant_id,
      agent_id,
      host: message.host,
      event_type: event.type,
      action: event.action,
      actor_id: event.actorId,
      actor_name: event.actorName,
      attrs: event.attrs,
      message_ts: messageTs,
      ...source,
    },
  ];
}
