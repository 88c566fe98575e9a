import type { ClickHouseClient, ClickHouseSettings, DataFormat } from '@clickhouse/client';

export const SQL_FORMATS = [
  'PrettyCompactMonoBlock',
  'TabSeparatedWithNames',
  'CSVWithNames',
  'JSON',
  'JSONEachRow',
  'JSONCompact',
] as const;
export type SqlFormat = (typeof SQL_FORMATS)[number];

export class ReadOnlyViolation extends Error {
  readonly code = 'READONLY';
}

const READ_STATEMENT = /^(SELECT|WITH|SHOW|DESCRIBE|DESC|EXPLAIN|EXISTS)\b/i;
/** Table functions that reach outside the database (files, network, processes) are not data-team SQL. */
const OUTSIDE_WORLD =
  /\b(url|urlCluster|file|fileCluster|remote|remoteSecure|cluster|clusterAllReplicas|s3|s3Cluster|gcs|hdfs|azureBlobStorage|mysql|postgresql|mongodb|redis|sqlite|jdbc|odbc|executable|input|deltaLake|iceberg|hudi)\s*\(/i;

/** Strips comments and whitespace so the first keyword is what ClickHouse will execute. */
export function leadingStatement(sql: string): string {
  return sql
    .replace(/--[^\n]*\n?/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .trim()
    .replace(/;\s*$/, '');
}

/** Rejects anything but a single read statement; ClickHouse enforces `readonly=1` as well. */
export function assertReadOnly(sql: string): string {
  const statement = leadingStatement(sql);
  if (!READ_STATEMENT.test(statement)) {
    throw new ReadOnlyViolation(
      'only read queries are allowed (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, EXISTS)',
    );
  }
  if (statement.includes(';')) throw new ReadOnlyViolation('one statement per request');
  if (OUTSIDE_WORLD.test(statement)) {
    throw new ReadOnlyViolation('table functions that read files, URLs or other servers are not allowed');
  }
  if (/\bFORMAT\s+\w+\s*$/i.test(statement))
    throw new ReadOnlyViolation('choose the output format with ?format=');
  return statement;
}

/**
 * Settings of the dedicated reader client. readonly=2 refuses every write and any attempt to lift
 * readonly, while still letting the client send its own settings; 64-bit integers stay exact in JSON.
 */
export function readerSettings(maxRows: number, timeoutSeconds: number): ClickHouseSettings {
  return {
    readonly: '2',
    max_result_rows: String(maxRows),
    result_overflow_mode: 'throw',
    max_execution_time: timeoutSeconds,
    output_format_json_quote_64bit_integers: 1,
  };
}

export async function readOnlyQuery(reader: ClickHouseClient, sql: string, format: string): Promise<string> {
  const statement = assertReadOnly(sql);
  const result = await reader.query({ query: statement, format: format as DataFormat });
  return result.text();
}
