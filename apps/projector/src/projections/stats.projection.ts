import type { containerStats, RowOf } from '@app/clickhouse';
import { decodeAgentMessage } from './agent-message.decode';
import { epochMs, SourceRecord, sourceColumns } from './source-record';

export type StatsRow = RowOf<typeof containerStats>;

export function statsRows(record: SourceRecord): StatsRow[] {
  const message = decodeAgentMessage(record, 'statsData');
  const source = sourceColumns(record);
  const ts = epochMs(message.timestamp);
  return message.statsData.stats.map((s) => ({
    ts,
    tenant_id: source.tenant_id,
    agent_id: source.agent_id,
    host: message.host,
    container_id: s.id,
    container_name: s.name,
    cpu_percent: s.cpuPercent,
    memory_usage: s.memoryUsage,
    memory_limit: s.memoryLimit,
    memory_percent: s.memoryPercent,
    network_rx: s.networkRx,
    network_tx: s.networkTx,
    received_at: source.received_at,
    message_id: source.message_id,
    _src_partition: source._src_partition,
    _src_offset: source._src_offset,
  }));
}
