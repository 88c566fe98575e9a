import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouseClient } from './clickhouse.factory';
import { migrate, MIGRATIONS } from './migrations';
import { renderDdl, SCHEMA_OBJECTS } from './schema';

const options = { database: 'ca_test', ttlDays: 30, rollupTtlDays: 400 };

describe('migrations on the embedded engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chdb-migrate-'));
  let client: ClickHouseClient;

  beforeAll(() => {
    client = createClickHouseClient({ path: dir });
  });

  afterAll(async () => {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies every migration once, and nothing on the second run', async () => {
    expect(await migrate(client, options)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await migrate(client, options)).toEqual([]);
    const tables = await client.query({
      query: 'SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name',
      query_params: { db: options.database },
      format: 'JSONEachRow',
    });
    const names = (await tables.json<{ name: string }>()).map((t) => t.name);
    for (const object of SCHEMA_OBJECTS) expect(names).toContain(object.name);
  });

  it('sets the configured TTL on time-series tables', async () => {
    const result = await client.query({
      query: `SELECT create_table_query FROM system.tables WHERE database = 'ca_test' AND name = 'container_stats'`,
      format: 'JSONEachRow',
    });
    const [{ create_table_query }] = await result.json<{ create_table_query: string }>();
    expect(create_table_query).toMatch(/TTL toDateTime\(ts\) \+ toIntervalDay\(30\)/);
    expect(create_table_query).toMatch(/CODEC\(DoubleDelta, ZSTD\(1\)\)/);
  });
});

describe('cluster variant', () => {
  it('renders ReplicatedMergeTree local tables, Distributed tables and views over the local tables', () => {
    const ddl = SCHEMA_OBJECTS.flatMap((o) => renderDdl(o, { ...options, cluster: 'main' })).join('\n');
    expect(ddl).toContain('CREATE TABLE IF NOT EXISTS ca_test.container_stats_local ON CLUSTER main');
    expect(ddl).toContain(
      "ReplicatedMergeTree('/clickhouse/tables/{shard}/ca_test/container_stats_local', '{replica}')",
    );
    expect(ddl).toContain(
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/ca_test/container_inspect_local', '{replica}', ts)",
    );
    expect(ddl).toContain(
      'ENGINE = Distributed(main, ca_test, container_stats_local, cityHash64(tenant_id, agent_id, host))',
    );
    expect(ddl).toContain('TO ca_test.container_stats_1m_local');
    expect(ddl).toContain('FROM ca_test.container_stats_local');
  });

  it('refuses a hostile cluster name', () => {
    expect(() => renderDdl(SCHEMA_OBJECTS[0], { ...options, cluster: 'x; DROP' })).toThrow(/identifier/);
  });
});
