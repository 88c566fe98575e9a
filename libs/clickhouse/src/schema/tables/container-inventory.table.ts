import type { TableDef } from '../table-schema';
import { latestStateOf } from './latest-state';
import { SOURCE_COLUMNS, SOURCE_INDEX } from './source-columns';

const columns = [
  { name: 'snapshot_ts', type: "DateTime64(3, 'UTC')", codec: 'DoubleDelta, ZSTD(1)' },
  { name: 'tenant_id', type: 'LowCardinality(String)' },
  { name: 'agent_id', type: 'LowCardinality(String)' },
  { name: 'host', type: 'LowCardinality(String)' },
  { name: 'container_id', type: 'String' },
  { name: 'name', type: 'String' },
  { name: 'image', type: 'LowCardinality(String)' },
  { name: 'state', type: 'LowCardinality(String)' },
  { name: 'status', type: 'String' },
  ...SOURCE_COLUMNS,
] as const;

/** Every container of every list snapshot (topic list). */
export const containerInventoryHistory = {
  kind: 'table',
  name: 'container_inventory_history',
  comment: 'Each container of each list snapshot',
  columns,
  engine: { kind: 'MergeTree' },
  partitionBy: 'toYYYYMMDD(snapshot_ts)',
  orderBy: ['tenant_id', 'agent_id', 'host', 'container_id', 'snapshot_ts'],
  ttl: 'toDateTime(snapshot_ts) + INTERVAL {ttlDays} DAY',
  indexes: [SOURCE_INDEX],
  shardBy: 'cityHash64(tenant_id, agent_id, host)',
} as const satisfies TableDef;

export const [containerInventory, containerInventoryView] = latestStateOf(containerInventoryHistory, {
  name: 'container_inventory',
  comment: 'Latest list entry per container; use FINAL',
  version: 'snapshot_ts',
  orderBy: ['tenant_id', 'agent_id', 'host', 'container_id'],
});
