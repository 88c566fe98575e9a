import type { ColumnDef, SchemaObject, TableDef, ViewDef } from './table-schema';

export interface DdlOptions {
  database: string;
  ttlDays: number;
  rollupTtlDays: number;
  /** Set for the cluster variant: ReplicatedMergeTree `<name>_local` tables + Distributed `<name>`. */
  cluster?: string;
}

/** CREATE statements (idempotent) for one schema object. */
export function renderDdl(object: SchemaObject, options: DdlOptions): string[] {
  return object.kind === 'table' ? renderTable(object, options) : [renderView(object, options)];
}

function renderTable(table: TableDef, o: DdlOptions): string[] {
  const local = o.cluster ? `${table.name}_local` : table.name;
  const onCluster = o.cluster ? ` ON CLUSTER ${ident(o.cluster)}` : '';
  const body = [...table.columns.map(renderColumn), ...(table.indexes ?? []).map((i) => `INDEX ${i}`)];
  const clauses = [
    `ENGINE = ${renderEngine(table, o, local)}`,
    table.partitionBy ? `PARTITION BY ${table.partitionBy}` : '',
    `ORDER BY (${table.orderBy.join(', ')})`,
    table.ttl ? `TTL ${fill(table.ttl, o)}` : '',
    `COMMENT ${quote(table.comment)}`,
  ].filter(Boolean);
  const create = `CREATE TABLE IF NOT EXISTS ${o.database}.${local}${onCluster}\n(\n  ${body.join(',\n  ')}\n)\n${clauses.join('\n')}`;
  if (!o.cluster) return [create];
  const distributed = `CREATE TABLE IF NOT EXISTS ${o.database}.${table.name}${onCluster} AS ${o.database}.${local}
ENGINE = Distributed(${ident(o.cluster)}, ${o.database}, ${local}, ${table.shardBy})`;
  return [create, distributed];
}

function renderEngine(table: TableDef, o: DdlOptions, local: string): string {
  const replicated = o.cluster ? 'Replicated' : '';
  const path = o.cluster ? `'/clickhouse/tables/{shard}/${o.database}/${local}', '{replica}'` : '';
  switch (table.engine.kind) {
    case 'MergeTree':
      return `${replicated}MergeTree(${path})`;
    case 'AggregatingMergeTree':
      return `${replicated}AggregatingMergeTree(${path})`;
    case 'ReplacingMergeTree':
      return `${replicated}ReplacingMergeTree(${[path, table.engine.version].filter(Boolean).join(', ')})`;
  }
}

/** Views read and write the node-local tables; Distributed tables fan the reads out. */
function renderView(view: ViewDef, o: DdlOptions): string {
  const local = (name: string) => `${o.database}.${o.cluster ? `${name}_local` : name}`;
  const onCluster = o.cluster ? ` ON CLUSTER ${ident(o.cluster)}` : '';
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${o.database}.${view.name}${onCluster} TO ${local(view.to)}
AS ${view.select.replace('{from}', local(view.from))}`;
}

function renderColumn(column: ColumnDef): string {
  if (column.nested) {
    const fields = Object.entries(column.nested).map(([name, type]) => `${name} ${type}`);
    return `${column.name} Nested(${fields.join(', ')})`;
  }
  return `${column.name} ${column.type}${column.codec ? ` CODEC(${column.codec})` : ''}`;
}

function fill(expression: string, o: DdlOptions): string {
  return expression
    .replace('{ttlDays}', String(o.ttlDays))
    .replace('{rollupTtlDays}', String(o.rollupTtlDays));
}

function ident(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid ClickHouse identifier: ${name}`);
  return name;
}

function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
