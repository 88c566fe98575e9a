import { agentLifecycle } from './tables/agent-lifecycle.table';
import { alerts } from './tables/alerts.table';
import { commands } from './tables/commands.table';
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
  alerts,
  commands,
  containerEvents,
  containerInspect,
  containerInspectHistory,
  containerInventory,
  containerInventoryHistory,
  containerStats,
};

/**
 * The objects of migration 1. Creation order matters: a view's target and source exist before the
 * view.
 */
export const SCHEMA_OBJECTS_V1: readonly SchemaObject[] = [
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

/** Objects added by later migrations (see migrations.ts), in the order they were added. */
export const SCHEMA_OBJECTS_V2: readonly SchemaObject[] = [commands];
export const SCHEMA_OBJECTS_V3: readonly SchemaObject[] = [alerts];

/** Every object of the newest schema. */
export const SCHEMA_OBJECTS: readonly SchemaObject[] = [
  ...SCHEMA_OBJECTS_V1,
  ...SCHEMA_OBJECTS_V2,
  ...SCHEMA_OBJECTS_V3,
];
