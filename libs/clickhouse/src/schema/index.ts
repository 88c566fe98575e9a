import { agentLifecycle } from './tables/agent-lifecycle.table';
import { containerEvents } from './tables/container-events.table';
import {
  containerInspect,
  containerInspectHistory,
  containerInspectView,
} from './tables/container-inspect.table';
import {
  containerInventory,
  containerInventoryHistory,
  containerInventoryView,
} from './tables/container-inventory.table';
import { containerStats, containerStats1h, containerStats1m } from './tables/container-stats.table';
import type { SchemaObject } from './table-schema';

export * from './table-schema';
export * from './ddl';
export {
  agentLifecycle,
  containerEvents,
  containerInspect,
  containerInspectHistory,
  containerInventory,
  containerInventoryHistory,
  containerStats,
};

/** Creation order matters: a view's target and source exist before the view. */
export const SCHEMA_OBJECTS: readonly SchemaObject[] = [
  containerStats,
  ...containerStats1m,
  ...containerStats1h,
  containerEvents,
  containerInventoryHistory,
  containerInventory,
  containerInventoryView,
  containerInspectHistory,
  containerInspect,
  containerInspectView,
  agentLifecycle,
];
