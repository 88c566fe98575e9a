import type { containerInventoryHistory, RowOf } from '@app/clickhouse';
import { decodeAgentMessage } from './agent-message.decode';
import { epochMs, SourceRecord, sourceColumns } from './source-record';

export type InventoryRow = RowOf<typeof containerInventoryHistory>;

export function inventoryRows(record: SourceRecord): InventoryRow[] {
  const message = decodeAgentMessage(record, 'listData');
  const { tenant_id, agent_id, ...source } = sourceColumns(record);
  const snapshotTs = epochMs(message.timestamp);
  return message.listData.containers.map((c) => ({
    snapshot_ts: snapshotTs,
    tenant_id,
    agent_id,
    host: message.host,
    container_id: c.id,
    name: c.name,
    image: c.image,
    state: c.state,
    status: c.status,
    ...source,
  }));
}
