import type { TableDef, ViewDef } from '../table-schema';

/**
 * The latest row per key of a history table: a ReplacingMergeTree with the same columns, kept by a
 * materialized view, that keeps the row with the highest `version`. Read it with FINAL.
 */
export function latestStateOf(
  history: TableDef,
  latest: { name: string; comment: string; version: string; orderBy: readonly string[] },
): [TableDef, ViewDef] {
  return [
    {
      kind: 'table',
      name: latest.name,
      comment: latest.comment,
      columns: history.columns,
      engine: { kind: 'ReplacingMergeTree', version: latest.version },
      orderBy: latest.orderBy,
      shardBy: history.shardBy,
    },
    {
      kind: 'view',
      name: `${latest.name}_mv`,
      to: latest.name,
      from: history.name,
      select: 'SELECT * FROM {from}',
    },
  ];
}
