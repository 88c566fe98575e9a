/**
 * Baseline, forked by projector.bench.ts (chDB wants its own process and data folder): the same
 * stats rows inserted straight into container_stats with @clickhouse/client JSONEachRow, one insert
 * at a time, no Kafka. argv[2]: BaselineSettings as JSON; the result goes back over IPC.
 */
import { performance } from 'node:perf_hooks';
import { createClickHouseClient, migrate } from '@app/clickhouse';
import { statsRows } from '../../apps/projector/src/projections/stats.projection';
import type { SourceRecord } from '../../apps/projector/src/projections/source-record';
import { StatsRecordSource } from './stats-records';

export interface BaselineSettings {
  path: string;
  messages: number;
  batchRecords: number;
  agents: number;
}

export interface BaselineResult {
  rows: number;
  counted: number;
  inserts: number;
  /** Time spent in client.insert (JSON encoding included), and in statsRows (decode, build rows). */
  insertMs: number;
  buildMs: number;
  cpuPercent: number;
}

async function run(s: BaselineSettings): Promise<BaselineResult> {
  const client = createClickHouseClient({ path: s.path });
  await migrate(client, { database: 'containeragent', ttlDays: 30, rollupTtlDays: 400 });
  const source = new StatsRecordSource(s.agents);
  let made = 0;
  let rows = 0;
  let inserts = 0;
  let insertMs = 0;
  let buildMs = 0;
  let cpuMs = 0;
  while (made < s.messages) {
    const records: SourceRecord[] = [];
    for (let n = Math.min(s.batchRecords, s.messages - made); n > 0; n--, made++) {
      const { value, headers } = source.next();
      records.push({ partition: made % 3, offset: String(Math.floor(made / 3)), value, headers });
    }
    const built = performance.now();
    const values = records.flatMap(statsRows);
    const began = performance.now();
    buildMs += began - built;
    const cpu = process.cpuUsage();
    await client.insert({ table: 'containeragent.container_stats', values, format: 'JSONEachRow' });
    const used = process.cpuUsage(cpu);
    cpuMs += (used.user + used.system) / 1000;
    insertMs += performance.now() - began;
    rows += values.length;
    inserts++;
  }
  const result = await client.query({
    query: 'SELECT count() AS n FROM containeragent.container_stats',
    format: 'JSONEachRow',
  });
  const [{ n }] = await result.json<{ n: string }>();
  await client.close();
  return { rows, counted: Number(n), inserts, insertMs, buildMs, cpuPercent: (cpuMs / insertMs) * 100 };
}

run(JSON.parse(process.argv[2]) as BaselineSettings).then(
  (result) => process.send!(result, undefined, undefined, () => process.exit(0)),
  (error: Error) => {
    console.error(`baseline insert: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
