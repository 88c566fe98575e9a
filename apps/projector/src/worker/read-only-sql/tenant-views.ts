import { SCHEMA_OBJECTS } from '@app/clickhouse';
import { quoteIdentifier } from './reader-limits';

/** The database holding a tenant's views: what a tenant's reader session names without a prefix. */
export function tenantDatabase(projectDatabase: string, tenant: string): string {
  return `${projectDatabase}_tenant_${tenant}`;
}

/** The project's tables that carry rows of many tenants (every table the projector writes). */
export function tenantScopedTables(): string[] {
  return SCHEMA_OBJECTS.filter(
    (object) => object.kind === 'table' && object.columns.some((c) => c.name === 'tenant_id'),
  ).map((table) => table.name);
}

/**
 * One view per table, filtered by the tenant: the engine applies the filter to every read of the
 * view (subqueries, joins, IN, FINAL and the rollups' aggregate states included), so a tenant's
 * SQL is the operator's SQL with its rows only. Recreated at every start, so tables added by a
 * migration get their views.
 */
export function tenantViewStatements(projectDatabase: string, tenant: string): string[] {
  const database = quoteIdentifier(tenantDatabase(projectDatabase, tenant));
  const source = quoteIdentifier(projectDatabase);
  const literal = `'${tenant}'`;
  return [
    `CREATE DATABASE IF NOT EXISTS ${database}`,
    ...tenantScopedTables().map(
      (table) =>
        `CREATE OR REPLACE VIEW ${database}.${quoteIdentifier(table)} AS SELECT * FROM ${source}.${quoteIdentifier(table)} WHERE tenant_id = ${literal}`,
    ),
  ];
}
