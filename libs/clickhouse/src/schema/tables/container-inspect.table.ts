import type { TableDef } from '../table-schema';
import { latestStateOf } from './latest-state';
import { SOURCE_COLUMNS, SOURCE_INDEX } from './source-columns';

/** Inspect data flattened into columns: nested config, network, ports and mounts stay queryable. */
const columns = [
  { name: 'ts', type: "DateTime64(3, 'UTC')", codec: 'DoubleDelta, ZSTD(1)' },
  { name: 'tenant_id', type: 'LowCardinality(String)' },
  { name: 'agent_id', type: 'LowCardinality(String)' },
  { name: 'host', type: 'LowCardinality(String)' },
  { name: 'container_id', type: 'String' },
  { name: 'name', type: 'String' },
  { name: 'image', type: 'LowCardinality(String)' },
  { name: 'created', type: 'String' },
  { name: 'platform', type: 'LowCardinality(String)' },
  { name: 'state_status', type: 'LowCardinality(String)' },
  { name: 'state_running', type: 'Bool' },
  { name: 'state_paused', type: 'Bool' },
  { name: 'state_restarting', type: 'Bool' },
  { name: 'state_exit_code', type: 'Int32' },
  { name: 'state_started_at', type: 'String' },
  { name: 'state_finished_at', type: 'String' },
  { name: 'config_hostname', type: 'String' },
  { name: 'config_user', type: 'String' },
  { name: 'config_env', type: 'Array(String)' },
  { name: 'config_cmd', type: 'Array(String)' },
  { name: 'config_entrypoint', type: 'Array(String)' },
  { name: 'config_working_dir', type: 'String' },
  { name: 'config_labels', type: 'Map(String, String)' },
  { name: 'network_ip_address', type: 'String' },
  { name: 'network_gateway', type: 'String' },
  { name: 'network_mac_address', type: 'String' },
  {
    name: 'ports',
    type: 'Nested',
    nested: { container_port: 'String', host_ip: 'String', host_port: 'String' },
  },
  {
    name: 'networks',
    type: 'Nested',
    nested: {
      name: 'String',
      network_id: 'String',
      ip_address: 'String',
      gateway: 'String',
      mac_address: 'String',
    },
  },
  {
    name: 'mounts',
    type: 'Nested',
    nested: {
      type: 'String',
      name: 'String',
      source: 'String',
      destination: 'String',
      mode: 'String',
      rw: 'Bool',
    },
  },
  ...SOURCE_COLUMNS,
] as const;

export const containerInspectHistory = {
  kind: 'table',
  name: 'container_inspect_history',
  comment: 'Every inspect of every container (topic inspect)',
  columns,
  engine: { kind: 'MergeTree' },
  partitionBy: 'toYYYYMMDD(ts)',
  orderBy: ['tenant_id', 'agent_id', 'host', 'container_id', 'ts'],
  ttl: 'toDateTime(ts) + INTERVAL {ttlDays} DAY',
  indexes: [SOURCE_INDEX],
  shardBy: 'cityHash64(tenant_id, agent_id, host)',
} as const satisfies TableDef;

export const [containerInspect, containerInspectView] = latestStateOf(containerInspectHistory, {
  name: 'container_inspect',
  comment: 'Latest inspect per container; use FINAL',
  version: 'ts',
  orderBy: ['tenant_id', 'agent_id', 'host', 'container_id'],
});
