import {
  agentLifecycle,
  alerts,
  commands,
  containerEvents,
  containerInspectHistory,
  containerInventoryHistory,
  containerStats,
  TableDef,
} from '@app/clickhouse';
import type { TopicName } from '@app/contracts';
import { alertRows } from './alerts.projection';
import { commandRows } from './commands.projection';
import { eventRows } from './events.projection';
import { inspectRows } from './inspect.projection';
import { inventoryRows } from './inventory.projection';
import { lifecycleRows } from './lifecycle.projection';
import {
  ALERTS_IDENTITY,
  COMMANDS_IDENTITY,
  EVENTS_IDENTITY,
  INSPECT_IDENTITY,
  INVENTORY_IDENTITY,
  LIFECYCLE_IDENTITY,
  RowIdentity,
  STATS_IDENTITY,
} from './row-identity';
import type { SourceRecord } from './source-record';
import { statsRows } from './stats.projection';

/** One projection: a topic, the table its rows go to, and the pure mapping from record to rows. */
export interface Projection {
  name: string;
  topic: TopicName;
  table: TableDef;
  toRows(record: SourceRecord): object[];
  /** What makes two rows the same row (a resend, a retry): they are stored once. */
  identity: RowIdentity;
}

export const PROJECTIONS: readonly Projection[] = [
  { name: 'stats', topic: 'stats', table: containerStats, toRows: statsRows, identity: STATS_IDENTITY },
  { name: 'events', topic: 'events', table: containerEvents, toRows: eventRows, identity: EVENTS_IDENTITY },
  {
    name: 'inventory',
    topic: 'list',
    table: containerInventoryHistory,
    toRows: inventoryRows,
    identity: INVENTORY_IDENTITY,
  },
  {
    name: 'inspect',
    topic: 'inspect',
    table: containerInspectHistory,
    toRows: inspectRows,
    identity: INSPECT_IDENTITY,
  },
  {
    name: 'lifecycle',
    topic: 'lifecycle',
    table: agentLifecycle,
    toRows: lifecycleRows,
    identity: LIFECYCLE_IDENTITY,
  },
  {
    name: 'commands',
    topic: 'command-status',
    table: commands,
    toRows: commandRows,
    identity: COMMANDS_IDENTITY,
  },
  { name: 'alerts', topic: 'alerts', table: alerts, toRows: alertRows, identity: ALERTS_IDENTITY },
];

export function projectionNamed(name: string): Projection {
  const projection = PROJECTIONS.find((p) => p.name === name);
  if (!projection) throw new Error(`unknown projection ${name}`);
  return projection;
}
