import { AstNode, nodeName } from './parse-tree';

/** Who asks: an operator reads the project's database; a tenant reads only its own views. */
export type SqlScope = { kind: 'operator' } | { kind: 'tenant'; tenant: string };

/** What the engine has, read from its own system tables when the reader starts. */
export interface SqlCatalog {
  /** The project's database (`containeragent`): an operator may name it. */
  projectDatabase: string;
  /** Every database name, lower-cased: a dotted identifier starting with one names a table. */
  databases: ReadonlySet<string>;
  /** Every table function the engine knows, lower-cased (system.table_functions). */
  tableFunctions: ReadonlySet<string>;
}

export type PolicyVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Table functions that compute their rows from their arguments alone: no file, URL, process,
 * other server or table outside the query. Everything else the engine offers, including what a
 * newer ClickHouse adds, is refused. `view` is allowed because its subquery is part of the tree
 * and checked like the rest.
 */
export const PURE_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'values',
  'generate_series',
  'generateseries',
  'generaterandom',
  'primes',
  'null',
  'format',
  'view',
]);

/** Plain functions that reach outside the query: files, other servers, dictionaries, join tables. */
const OUTSIDE_FUNCTIONS: ReadonlySet<string> = new Set([
  'file',
  'joinget',
  'joingetornull',
  'hascolumnintable',
  'catboostevaluate',
  'getserversetting',
]);

/** System tables that describe the engine, not anybody's data or queries. */
const SYSTEM_TABLES_FOR_EVERYONE: ReadonlySet<string> = new Set([
  'one',
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'functions',
  'table_functions',
  'aggregate_function_combinators',
  'data_type_families',
  'formats',
  'time_zones',
]);
/** Also for operators: the catalog of databases, tables and parts (names of tenants' views included). */
const SYSTEM_TABLES_FOR_OPERATORS: ReadonlySet<string> = new Set([
  ...SYSTEM_TABLES_FOR_EVERYONE,
  'databases',
  'tables',
  'columns',
  'parts',
]);

const READ_STATEMENTS: ReadonlySet<string> = new Set(['SelectWithUnionQuery', 'DescribeQuery', 'Explain']);
const PLAIN_NAME = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?$/;

/**
 * Decides on the engine's own parse tree (`EXPLAIN AST`) whether a statement may run on a reader
 * session. The session is `readonly=1` as well; this adds what readonly does not cover: output
 * clauses (`INTO OUTFILE` is carried out by the client side of chDB even at readonly=1), table
 * functions and plain functions that read files or the network, and which tables a scope may name.
 */
export function checkStatement(
  nodes: readonly AstNode[],
  scope: SqlScope,
  catalog: SqlCatalog,
): PolicyVerdict {
  const root = nodes[0];
  if (!root) return refuse('empty statement');
  const statement = checkStatementShape(nodes, scope);
  if (!statement.ok) return statement;
  for (const node of nodes) {
    const verdict = checkNode(node, scope, catalog);
    if (!verdict.ok) return verdict;
  }
  return { ok: true };
}

function checkStatementShape(nodes: readonly AstNode[], scope: SqlScope): PolicyVerdict {
  const root = nodes[0];
  const showTables = root.type === 'ShowTables' && scope.kind === 'operator' && root.children === 0;
  if (!READ_STATEMENTS.has(root.type) && !showTables) {
    return refuse(
      `only one read statement is allowed (SELECT, WITH … SELECT, DESCRIBE, EXPLAIN${scope.kind === 'operator' ? ', SHOW TABLES' : ''}); got ${root.type}`,
    );
  }
  // INTO OUTFILE, FORMAT and SETTINGS of the statement are extra children of its root.
  if (READ_STATEMENTS.has(root.type) && root.children !== 1) {
    return refuse(
      'INTO OUTFILE, FORMAT and SETTINGS clauses are not allowed: choose the output with ?format=',
    );
  }
  if (root.type === 'Explain' && nodes[1]?.type !== 'SelectWithUnionQuery') {
    return refuse('EXPLAIN is allowed for SELECT statements only');
  }
  return { ok: true };
}

function checkNode(node: AstNode, scope: SqlScope, catalog: SqlCatalog): PolicyVerdict {
  switch (node.type) {
    case 'Set':
    case 'SetQuery':
      return refuse('SETTINGS and SET are not allowed: the limits of this endpoint are fixed');
    case 'Function':
      return checkFunction(nodeName(node), catalog);
    case 'TableIdentifier':
      return checkTableName(nodeName(node), scope, catalog, true);
    case 'Identifier':
      return checkTableName(nodeName(node), scope, catalog, false);
    default:
      return { ok: true };
  }
}

/**
 * Table function names are checked wherever they appear: `loop(file(…))` nests one in another's
 * arguments, and `file` is a plain function too. Names compare lower-cased as the engine resolves
 * many of them regardless of case.
 */
function checkFunction(name: string, catalog: SqlCatalog): PolicyVerdict {
  const lower = name.toLowerCase();
  if (OUTSIDE_FUNCTIONS.has(lower) || lower.startsWith('dict')) {
    return refuse(`function ${name} reads outside the query and is not allowed`);
  }
  if (catalog.tableFunctions.has(lower) && !PURE_TABLE_FUNCTIONS.has(lower)) {
    return refuse(
      `table function ${name} is not allowed (allowed: ${[...PURE_TABLE_FUNCTIONS].sort().join(', ')})`,
    );
  }
  return { ok: true };
}

/**
 * A table names a database when it has a dot (`db.table`), an identifier when its first part is a
 * database (`system.processes` in `x IN system.processes`, `db.table.column`). Unqualified names
 * resolve in the session's own database (the project's, or the tenant's views) or to a CTE.
 */
function checkTableName(name: string, scope: SqlScope, catalog: SqlCatalog, isTable: boolean): PolicyVerdict {
  if (isTable && !PLAIN_NAME.test(name)) {
    return refuse(`table names must be plain identifiers: ${JSON.stringify(name)}`);
  }
  const dot = name.indexOf('.');
  if (dot < 0) return { ok: true };
  const database = name.slice(0, dot);
  if (!isTable && !namesDatabase(database, catalog)) return { ok: true };
  const table = name.slice(dot + 1).split('.')[0];
  if (database === 'system') {
    const allowed = scope.kind === 'operator' ? SYSTEM_TABLES_FOR_OPERATORS : SYSTEM_TABLES_FOR_EVERYONE;
    if (allowed.has(table)) return { ok: true };
    return refuse(`system.${table} is not readable here (readable: ${[...allowed].sort().join(', ')})`);
  }
  if (scope.kind === 'operator' && database === catalog.projectDatabase) return { ok: true };
  if (scope.kind === 'tenant') {
    return refuse(
      `a tenant token names tables without a database (container_stats, not ${catalog.projectDatabase}.container_stats): ${name}`,
    );
  }
  return refuse(`only the ${catalog.projectDatabase} database is readable: ${name}`);
}

/** Databases the engine has, plus any name shaped like one of ours (a tenant added after the catalog was read). */
function namesDatabase(first: string, catalog: SqlCatalog): boolean {
  const lower = first.toLowerCase();
  return (
    catalog.databases.has(lower) ||
    lower === 'system' ||
    lower === 'information_schema' ||
    lower.startsWith(catalog.projectDatabase.toLowerCase())
  );
}

function refuse(reason: string): PolicyVerdict {
  return { ok: false, reason };
}
