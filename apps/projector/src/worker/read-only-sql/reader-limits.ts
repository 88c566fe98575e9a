/** Limits of every reader session, set before `readonly=1` so no query can lift them. */
export interface ReaderLimits {
  maxResultRows: number;
  maxResultBytes: number;
  maxExecutionSeconds: number;
  maxMemoryBytes: number;
}

export const OUTPUT_FORMATS = [
  'PrettyCompactMonoBlock',
  'TabSeparatedWithNames',
  'CSVWithNames',
  'JSON',
  'JSONEachRow',
  'JSONCompact',
] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `SET` statements run once per reader session, in this order; the last one locks the rest. */
export function readerSessionSetup(database: string, limits: ReaderLimits): string[] {
  return [
    `USE ${quoteIdentifier(database)}`,
    `SET max_result_rows = ${limits.maxResultRows}`,
    `SET max_result_bytes = ${limits.maxResultBytes}`,
    "SET result_overflow_mode = 'throw'",
    `SET max_execution_time = ${limits.maxExecutionSeconds}`,
    "SET timeout_overflow_mode = 'throw'",
    `SET max_memory_usage = ${limits.maxMemoryBytes}`,
    'SET allow_introspection_functions = 0',
    'SET output_format_json_quote_64bit_integers = 1',
    'SET readonly = 1',
  ];
}

/** Back-quotes a database or table name; the names quoted here come from our own configuration. */
export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(name)) throw new Error(`not a plain name: ${JSON.stringify(name)}`);
  return `\`${name}\``;
}
