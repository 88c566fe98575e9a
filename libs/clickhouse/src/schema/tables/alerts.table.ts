import type { TableDef } from '../table-schema';
import { SOURCE_COLUMNS, SOURCE_INDEX } from './source-columns';

/**
 * One row per alert transition (topic alerts): pending, firing, resolved. The alerter's other
 * records on that topic (notifications, remediation) are not rows here. The projector stores a
 * transition once per (fingerprint, state, starts_at), so an alerter that emits it again after a
 * restart adds nothing.
 */
export const alerts = {
  kind: 'table',
  name: 'alerts',
  comment: 'Alert transitions: pending, firing, resolved (topic alerts); one row per transition',
  columns: [
    { name: 'ts', type: "DateTime64(3, 'UTC')", codec: 'DoubleDelta, ZSTD(1)' },
    { name: 'emitted_at', type: "DateTime64(3, 'UTC')" },
    { name: 'tenant_id', type: 'LowCardinality(String)' },
    { name: 'agent_id', type: 'LowCardinality(String)' },
    { name: 'host', type: 'LowCardinality(String)' },
    { name: 'container_id', type: 'String' },
    { name: 'container_name', type: 'String' },
    { name: 'rule_name', type: 'LowCardinality(String)' },
    { name: 'fingerprint', type: 'String' },
    { name: 'state', type: 'LowCardinality(String)' },
    { name: 'starts_at', type: "DateTime64(3, 'UTC')" },
    { name: 'ends_at', type: "Nullable(DateTime64(3, 'UTC'))" },
    { name: 'severity', type: 'LowCardinality(String)' },
    { name: 'labels', type: 'Map(String, String)' },
    { name: 'annotations', type: 'Map(String, String)' },
    { name: 'value', type: 'String' },
    { name: 'writer', type: 'LowCardinality(String)' },
    { name: 'record_id', type: 'String' },
    ...SOURCE_COLUMNS,
  ],
  engine: { kind: 'MergeTree' },
  partitionBy: 'toYYYYMM(ts)',
  orderBy: ['tenant_id', 'rule_name', 'fingerprint', 'ts'],
  ttl: 'toDateTime(ts) + INTERVAL {ttlDays} DAY',
  indexes: [SOURCE_INDEX],
  shardBy: 'cityHash64(tenant_id, fingerprint)',
} as const satisfies TableDef;
