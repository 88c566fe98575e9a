import type { TableDef } from '../table-schema';
import { SOURCE_COLUMNS, SOURCE_INDEX } from './source-columns';

/**
 * One row per transition of a command (topic command-status): pending, delivered, succeeded,
 * failed, timed_out, expired. Each row repeats the request, so a command's history reads from its
 * own rows. The projector stores a transition once per (command_id, status).
 */
export const commands = {
  kind: 'table',
  name: 'commands',
  comment:
    'Command status transitions: pending, delivered, succeeded, failed, timed_out, expired (topic command-status)',
  columns: [
    { name: 'ts', type: "DateTime64(3, 'UTC')", codec: 'DoubleDelta, ZSTD(1)' },
    { name: 'tenant_id', type: 'LowCardinality(String)' },
    { name: 'agent_id', type: 'LowCardinality(String)' },
    { name: 'command_id', type: 'String' },
    { name: 'status', type: 'LowCardinality(String)' },
    { name: 'action', type: 'LowCardinality(String)' },
    { name: 'host', type: 'LowCardinality(String)' },
    { name: 'container', type: 'String' },
    { name: 'container_id', type: 'String' },
    { name: 'container_name', type: 'String' },
    { name: 'requested_at', type: "DateTime64(3, 'UTC')" },
    { name: 'expires_at', type: "DateTime64(3, 'UTC')" },
    { name: 'requested_by', type: 'LowCardinality(String)' },
    { name: 'detail', type: 'String' },
    { name: 'writer', type: 'LowCardinality(String)' },
    { name: 'gateway_id', type: 'LowCardinality(String)' },
    { name: 'stream_id', type: 'String' },
    { name: 'event_id', type: 'String' },
    ...SOURCE_COLUMNS,
  ],
  engine: { kind: 'MergeTree' },
  partitionBy: 'toYYYYMM(ts)',
  orderBy: ['tenant_id', 'agent_id', 'command_id', 'ts'],
  ttl: 'toDateTime(ts) + INTERVAL {ttlDays} DAY',
  indexes: [SOURCE_INDEX],
  shardBy: 'cityHash64(tenant_id, agent_id)',
} as const satisfies TableDef;
