import type { TableDef } from '../table-schema';
import { SOURCE_COLUMNS, SOURCE_INDEX } from './source-columns';

export const containerEvents = {
  kind: 'table',
  name: 'container_events',
  comment: 'One row per Docker event (topic events); ts is the event time',
  columns: [
    { name: 'ts', type: "DateTime64(3, 'UTC')", codec: 'DoubleDelta, ZSTD(1)' },
    { name: 'tenant_id', type: 'LowCardinality(String)' },
    { name: 'agent_id', type: 'LowCardinality(String)' },
    { name: 'host', type: 'LowCardinality(String)' },
    { name: 'event_type', type: 'LowCardinality(String)' },
    { name: 'action', type: 'LowCardinality(String)' },
    { name: 'actor_id', type: 'String' },
    { name: 'actor_name', type: 'String' },
    { name: 'attrs', type: 'Map(String, String)' },
    { name: 'message_ts', type: "DateTime64(3, 'UTC')" },
    ...SOURCE_COLUMNS,
  ],
  engine: { kind: 'MergeTree' },
  partitionBy: 'toYYYYMMDD(ts)',
  orderBy: ['tenant_id', 'agent_id', 'host', 'actor_id', 'ts'],
  ttl: 'toDateTime(ts) + INTERVAL {ttlDays} DAY',
  indexes: [SOURCE_INDEX],
  shardBy: 'cityHash64(tenant_id, agent_id, host)',
} as const satisfies TableDef;
