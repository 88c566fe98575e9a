import type { ClickHouseClient } from '@clickhouse/client';
import { DdlOptions, renderDdl, SCHEMA_OBJECTS_V1, SCHEMA_OBJECTS_V2, SCHEMA_OBJECTS_V3 } from './schema';

export interface Migration {
  version: number;
  name: string;
  statements(options: DdlOptions): string[];
}

/** Versioned schema changes, applied in order, each once (recorded in `schema_migrations`). */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'projections: stats with 1m/1h rollups, events, inventory, inspect, agent lifecycle',
    statements: (o) => SCHEMA_OBJECTS_V1.flatMap((object) => renderDdl(object, o)),
  },
  {
    version: 2,
    name: 'commands: one row per command status transition (topic command-status)',
    statements: (o) => SCHEMA_OBJECTS_V2.flatMap((object) => renderDdl(object, o)),
  },
  {
    version: 3,
    name: 'alerts: one row per alert transition (topic alerts)',
    statements: (o) => SCHEMA_OBJECTS_V3.flatMap((object) => renderDdl(object, o)),
  },
];

/** Brings the database to the newest version; safe to run at every start and from several processes. */
export async function migrate(client: ClickHouseClient, options: DdlOptions): Promise<number[]> {
  const db = options.database;
  const onCluster = options.cluster ? ` ON CLUSTER ${options.cluster}` : '';
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}${onCluster}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations${onCluster}
      (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
      ENGINE = ${options.cluster ? `ReplicatedReplacingMergeTree('/clickhouse/tables/${db}/schema_migrations', '{replica}')` : 'ReplacingMergeTree'} ORDER BY version`,
  });
  const result = await client.query({
    query: `SELECT version FROM ${db}.schema_migrations FINAL`,
    format: 'JSONEachRow',
  });
  const applied = new Set((await result.json<{ version: number }>()).map((r) => Number(r.version)));
  const done: number[] = [];
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.statements(options)) await client.command({ query: statement });
    await client.insert({
      table: `${db}.schema_migrations`,
      values: [{ version: migration.version, name: migration.name }],
      format: 'JSONEachRow',
    });
    done.push(migration.version);
  }
  return done;
}
