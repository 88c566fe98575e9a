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
  table: string;
  toRows(record: SourceRecord): object[];
}

export const PROJECTIONS: readonly Projection[] = [
  { name: 'stats', topic: 'stats', table: 'container_stats', toRows: statsRows },
  { name: 'events', topic: 'events', table: 'container_events', toRows: eventRows },
  { name: 'inventory', topic: 'list', table: 'container_inventory_history', toRows: inventoryRows },
  { name: 'inspect', topic: 'inspect', table: 'container_inspect_history', toRows: inspectRows },
  { name: 'lifecycle', topic: 'lifecycle', table: 'agent_lifecycle', toRows: lifecycleRows },
];

export function projectionNamed(name: string): Projection {
  const projection = PROJECTIONS.find((p) => p.name === name);
  if (!projection) throw new Error(`unknown projection ${name}`);
  return projection;
}
