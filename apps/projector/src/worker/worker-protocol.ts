import type { ClickHouseOptions, DdlOptions } from '@app/clickhouse';
import type { SourceRecord } from '../projections/source-record';

/** Messages between the projector's main thread and its ClickHouse worker thread. */
export type WorkerRequest =
  | { op: 'init'; clickhouse: ClickHouseOptions; ddl: DdlOptions }
  | { op: 'project'; projection: string; records: SourceRecord[] }
  | { op: 'forget'; projection: string }
  | { op: 'query'; sql: string; format: string; maxRows: number; timeoutSeconds: number }
  | { op: 'maintenance'; sql: string }
  | { op: 'close' };

export interface ProjectResult {
  inserted: number;
  /** Records skipped because their rows are already in the table (replay, or crash before commit). */
  duplicates: number;
  rejected: { partition: number; offset: string; reason: string }[];
}

export type WorkerResponse =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string; code?: string };
