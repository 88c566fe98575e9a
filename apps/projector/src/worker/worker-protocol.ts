import type { ClickHouseOptions, DdlOptions } from '@app/clickhouse';
import type { SourceRecord } from '../projections/source-record';
import type { OutputFormat, ReaderLimits } from './read-only-sql/reader-limits';
import type { SqlScope } from './read-only-sql/statement-policy';

/** Read-only SQL in embedded mode: the readers' limits and the tenants that get views. */
export interface ReaderOptions {
  limits: ReaderLimits;
  tenants: string[];
}

/** Messages between the projector process and its ClickHouse worker process. */
export type WorkerRequest =
  | { op: 'init'; clickhouse: ClickHouseOptions; ddl: DdlOptions; reader?: ReaderOptions }
  | { op: 'project'; projection: string; records: SourceRecord[] }
  | { op: 'forget'; projection: string }
  | { op: 'query'; sql: string; format: OutputFormat; scope: SqlScope }
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
