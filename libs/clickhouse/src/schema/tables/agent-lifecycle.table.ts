import type { TableDef } from '../table-schema';
import { SOURCE_COLUMNS, SOURCE_INDEX } from './source-columns';

export const agentLifecycle = {
  kind: 'table',
  name: 'agent_lifecycle',
  comment: 'Agent registrations, heartbeats and stream open/close (topic lifecycle)',
  columns: [
    { name: 'ts', type: "DateTime64(3, 'UTC')", codec: 'DoubleDelta, ZSTD(1)' },
    { name: 'tenant_id', type: 'LowCardinality(String)' },
    { name: 'agent_id', type: 'LowCardinality(String)' },
    { name: 'kind', type: 'LowCardinality(String)' },
    { name: 'event_id', type: 'String' },
    { name: 'gateway_id', type: 'LowCardinality(String)' },
    { name: 'agent_name', type: 'String' },
    { name: 'hosts', type: 'Nested', nested: { name: 'String', addr: 'String' } },
    { name: 'stream_id', type: 'String' },
    { name: 'close_status', type: 'LowCardinality(String)' },
    { name: 'close_reason', type: 'String' },
    { name: 'messages_accepted', type: 'UInt64' },
    { name: 'messages_rejected', type: 'UInt64' },
    { name: 'agent_time', type: "Nullable(DateTime64(3, 'UTC'))" },
    { name: 'peer', type: 'String' },
    ...SOURCE_COLUMNS,
  ],
  engine: { kind: 'MergeTree' },
  partitionBy: 'toYYYYMM(ts)',
  orderBy: ['tenant_id', 'agent_id', 'ts'],
  ttl: 'toDateTime(ts) + INTERVAL {ttlDays} DAY',
  indexes: [SOURCE_INDEX],
  shardBy: 'cityHash64(tenant_id, agent_id)',
} as const satisfies TableDef;
