import type { TableDef, ViewDef } from '../table-schema';
import { SOURCE_COLUMNS, SOURCE_INDEX } from './source-columns';

export const containerStats = {
  kind: 'table',
  name: 'container_stats',
  comment: 'One row per container per stats sample (topic stats)',
  columns: [
    { name: 'ts', type: "DateTime64(3, 'UTC')", codec: 'DoubleDelta, ZSTD(1)' },
    { name: 'tenant_id', type: 'LowCardinality(String)' },
    { name: 'agent_id', type: 'LowCardinality(String)' },
    { name: 'host', type: 'LowCardinality(String)' },
    { name: 'container_id', type: 'String', codec: 'ZSTD(1)' },
    { name: 'container_name', type: 'LowCardinality(String)' },
    { name: 'cpu_percent', type: 'Float64', codec: 'Gorilla, ZSTD(1)' },
    { name: 'memory_usage', type: 'UInt64', codec: 'T64, ZSTD(1)' },
    { name: 'memory_limit', type: 'UInt64', codec: 'T64, ZSTD(1)' },
    { name: 'memory_percent', type: 'Float64', codec: 'Gorilla, ZSTD(1)' },
    { name: 'network_rx', type: 'UInt64', codec: 'DoubleDelta, ZSTD(1)' },
    { name: 'network_tx', type: 'UInt64', codec: 'DoubleDelta, ZSTD(1)' },
    ...SOURCE_COLUMNS,
  ],
  engine: { kind: 'MergeTree' },
  partitionBy: 'toYYYYMMDD(ts)',
  orderBy: ['tenant_id', 'agent_id', 'host', 'container_id', 'ts'],
  ttl: 'toDateTime(ts) + INTERVAL {ttlDays} DAY',
  indexes: [SOURCE_INDEX],
  shardBy: 'cityHash64(tenant_id, agent_id, host)',
} as const satisfies TableDef;

const rollupColumns = [
  { name: 'tenant_id', type: 'LowCardinality(String)' },
  { name: 'agent_id', type: 'LowCardinality(String)' },
  { name: 'host', type: 'LowCardinality(String)' },
  { name: 'container_id', type: 'String' },
  { name: 'bucket', type: "DateTime('UTC')" },
  { name: 'container_name', type: 'SimpleAggregateFunction(anyLast, LowCardinality(String))' },
  { name: 'samples', type: 'SimpleAggregateFunction(sum, UInt64)' },
  { name: 'cpu_avg', type: 'AggregateFunction(avg, Float64)' },
  { name: 'cpu_max', type: 'SimpleAggregateFunction(max, Float64)' },
  { name: 'memory_avg', type: 'AggregateFunction(avg, UInt64)' },
  { name: 'memory_max', type: 'SimpleAggregateFunction(max, UInt64)' },
  { name: 'memory_percent_max', type: 'SimpleAggregateFunction(max, Float64)' },
  { name: 'network_rx_max', type: 'SimpleAggregateFunction(max, UInt64)' },
  { name: 'network_tx_max', type: 'SimpleAggregateFunction(max, UInt64)' },
] as const;

function rollup(name: string, bucket: string, partitionBy: string): [TableDef, ViewDef] {
  return [
    {
      kind: 'table',
      name,
      comment: `Stats rolled up per container per ${bucket}; query with avgMerge/max`,
      columns: rollupColumns,
      engine: { kind: 'AggregatingMergeTree' },
      partitionBy,
      orderBy: ['tenant_id', 'agent_id', 'host', 'container_id', 'bucket'],
      ttl: 'bucket + INTERVAL {rollupTtlDays} DAY',
      shardBy: 'cityHash64(tenant_id, agent_id, host)',
    },
    {
      kind: 'view',
      name: `${name}_mv`,
      to: name,
      from: 'container_stats',
      select: `SELECT tenant_id, agent_id, host, container_id, ${bucket}(ts) AS bucket,
  anyLast(container_name) AS container_name, count() AS samples,
  avgState(cpu_percent) AS cpu_avg, max(cpu_percent) AS cpu_max,
  avgState(memory_usage) AS memory_avg, max(memory_usage) AS memory_max,
  max(memory_percent) AS memory_percent_max,
  max(network_rx) AS network_rx_max, max(network_tx) AS network_tx_max
FROM {from}
GROUP BY tenant_id, agent_id, host, container_id, bucket`,
    },
  ];
}

export const containerStats1m = rollup('container_stats_1m', 'toStartOfMinute', 'toYYYYMMDD(bucket)');
export const containerStats1h = rollup('container_stats_1h', 'toStartOfHour', 'toYYYYMM(bucket)');
