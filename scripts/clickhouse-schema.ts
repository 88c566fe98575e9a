import { MIGRATIONS } from '@app/clickhouse';

/**
 * `npm run clickhouse:schema [-- --cluster <name>]`: prints the DDL the projector applies, for the
 * single-node schema or the cluster variant (ReplicatedMergeTree + Distributed), e.g. for review
 * or to run by hand on a production cluster.
 */
const args = process.argv.slice(2);
const clusterAt = args.indexOf('--cluster');
const options = {
  database: process.env.CLICKHOUSE_DATABASE ?? 'containeragent',
  ttlDays: Number(process.env.CLICKHOUSE_TTL_DAYS ?? 30),
  rollupTtlDays: Number(process.env.CLICKHOUSE_ROLLUP_TTL_DAYS ?? 400),
  cluster: clusterAt >= 0 ? args[clusterAt + 1] : undefined,
};
for (const migration of MIGRATIONS) {
  process.stdout.write(`-- migration ${migration.version}: ${migration.name}\n`);
  for (const statement of migration.statements(options)) process.stdout.write(`${statement};\n\n`);
}
