import {
  agentLifecycle,
  containerEvents,
  containerInspectHistory,
  containerInventoryHistory,
  containerStats,
  TableDef,
} from '@app/clickhouse';
import type { TopicName } from '@app/contracts';
import { eventRows } from './events.projection';
import { inspectRows } from './inspect.projection';
import { inventoryRows } from './inventory.projection';
import { lifecycleRows } from './lifecycle.projection';
import type { SourceRecord } from './source-record';
import { statsRows } from './stats.projection';

/** One projection: a topic, the table its rows go to, and the pure mapping from record to rows. */
export interface Projection {
  name: string;
  topic: TopicName;
  table: TableDef;
  toRows(record: SourceRecord): object[];
}

export const PROJECTIONS: readonly Projection[] = [
  { name: 'stats', topic: 'stats', table: containerStats, toRows: statsRows },
  { name: 'events', topic: 'events', table: containerEvents, toRows: eventRows },
  { name: 'inventory', topic: 'list', table: containerInventoryHistory, toRows: inventoryRows },
  { name: 'inspect', topic: 'inspect', table: containerInspectHistory, toRows: inspectRows },
  { name: 'lifecycle', topic: 'lifecycle', table: agentLifecycle, toRows: lifecycleRows },
];

export function projectionNamed(name: string): Projection {
  const projection = PROJECTIONS.find((p) => p.name === name);
  if (!projection) throw new Error(`unknown projection ${name}`);
  return projection;
}
