import { parseAstText } from './parse-tree';
import { checkStatement, PURE_TABLE_FUNCTIONS, SqlCatalog, SqlScope } from './statement-policy';

const catalog: SqlCatalog = {
  projectDatabase: 'containeragent',
  databases: new Set([
    'containeragent',
    'containeragent_tenant_acme',
    'system',
    'information_schema',
    'default',
  ]),
  tableFunctions: new Set(['file', 'url', 'numbers', 'view', 'loop', 'format', 'remote', 'merge', 'values']),
};
const operator: SqlScope = { kind: 'operator' };
const tenant: SqlScope = { kind: 'tenant', tenant: 'acme' };

/** Builds `EXPLAIN AST`-shaped text from `[depth, line]` pairs, children counted. */
function ast(...lines: [number, string][]): string {
  return lines
    .map(([depth, line], i) => {
      let children = 0;
      for (let j = i + 1; j < lines.length && lines[j][0] > depth; j++)
        if (lines[j][0] === depth + 1) children++;
      return `${' '.repeat(depth)}${line}${children ? ` (children ${children})` : ''}`;
    })
    .join('\n');
}

const selectFrom = (...table: [number, string][]) =>
  ast(
    [0, 'SelectWithUnionQuery'],
    [1, 'ExpressionList'],
    [2, 'SelectQuery'],
    [3, 'ExpressionList'],
    [4, 'Asterisk'],
    [3, 'TablesInSelectQuery'],
    [4, 'TablesInSelectQueryElement'],
    [5, 'TableExpression'],
    ...table.map(([d, l]): [number, string] => [6 + d, l]),
  );

function verdict(text: string, scope: SqlScope = operator) {
  return checkStatement(parseAstText(text), scope, catalog);
}

describe('checkStatement', () => {
  it('accepts a plain select of a project table, qualified or not', () => {
    expect(verdict(selectFrom([0, 'TableIdentifier containeragent.container_stats']))).toEqual({ ok: true });
    expect(verdict(selectFrom([0, 'TableIdentifier container_stats (alias s)']))).toEqual({ ok: true });
    expect(verdict(selectFrom([0, 'TableIdentifier container_stats']), tenant)).toEqual({ ok: true });
  });

  it('refuses statements other than reads', () => {
    expect(verdict('Set')).toMatchObject({ ok: false, reason: /only one read statement/ });
    expect(verdict('InsertQuery   (children 2)\n Function file\n SelectWithUnionQuery')).toMatchObject({
      ok: false,
    });
    expect(verdict('SYSTEM query')).toMatchObject({ ok: false });
    expect(verdict('ShowTables', tenant)).toMatchObject({ ok: false });
    expect(verdict('ShowTables')).toEqual({ ok: true });
    expect(verdict('ShowTables (children 1)\n Identifier system')).toMatchObject({ ok: false });
  });

  it('refuses output clauses: INTO OUTFILE and FORMAT are extra children of the root', () => {
    const outfile = `${selectFrom([0, 'TableIdentifier t'])}\n Literal \\'/tmp/x\\'`.replace(
      'SelectWithUnionQuery (children 1)',
      'SelectWithUnionQuery (children 2)',
    );
    expect(verdict(outfile)).toMatchObject({ ok: false, reason: /INTO OUTFILE/ });
    expect(verdict("Explain EXPLAIN (children 2)\n SelectWithUnionQuery\n Literal \\'z\\'")).toMatchObject({
      ok: false,
    });
  });

  it('refuses EXPLAIN of anything but a select', () => {
    expect(verdict('Explain EXPLAIN (children 1)\n InsertQuery')).toMatchObject({
      ok: false,
      reason: /EXPLAIN/,
    });
  });

  it('refuses SETTINGS anywhere', () => {
    const withSettings = selectFrom([0, 'TableIdentifier t']).replace('Asterisk', 'Asterisk\n   Set');
    expect(verdict(withSettings)).toMatchObject({ ok: false, reason: /SETTINGS/ });
  });

  it('allows pure table functions and refuses the others by name, in any case and nesting', () => {
    expect(verdict(selectFrom([0, 'Function numbers']))).toEqual({ ok: true });
    expect(verdict(selectFrom([0, 'Function FILE']))).toMatchObject({
      ok: false,
      reason: /FILE is not allowed/,
    });
    expect(
      verdict(selectFrom([0, 'Function loop'], [1, 'ExpressionList'], [2, 'Function numbers'])),
    ).toMatchObject({
      ok: false,
    });
    expect(
      verdict(selectFrom([0, 'Function view'], [1, 'ExpressionList'], [2, 'Function url'])),
    ).toMatchObject({
      ok: false,
      reason: /url/,
    });
  });

  it('refuses plain functions that read outside the query', () => {
    for (const name of ['file', 'dictGet', 'dictGetString', 'joinGet', 'hasColumnInTable']) {
      const text = ast(
        [0, 'SelectWithUnionQuery'],
        [1, 'ExpressionList'],
        [2, 'SelectQuery'],
        [3, 'ExpressionList'],
        [4, `Function ${name}`],
      );
      expect(verdict(text)).toMatchObject({ ok: false });
    }
  });

  it('lets everyone read the engine-describing system tables and operators the catalog', () => {
    expect(verdict(selectFrom([0, 'TableIdentifier system.numbers']), tenant)).toEqual({ ok: true });
    expect(verdict(selectFrom([0, 'TableIdentifier system.tables']))).toEqual({ ok: true });
    expect(verdict(selectFrom([0, 'TableIdentifier system.tables']), tenant)).toMatchObject({ ok: false });
    expect(verdict(selectFrom([0, 'TableIdentifier system.processes']))).toMatchObject({ ok: false });
    expect(verdict(selectFrom([0, 'TableIdentifier system.query_log']))).toMatchObject({ ok: false });
    expect(verdict(selectFrom([0, 'TableIdentifier INFORMATION_SCHEMA.TABLES']))).toMatchObject({
      ok: false,
    });
  });

  it('keeps a tenant to its own views: no database may be named', () => {
    for (const table of ['containeragent.container_stats', 'containeragent_tenant_other.container_stats']) {
      expect(verdict(selectFrom([0, `TableIdentifier ${table}`]), tenant)).toMatchObject({
        ok: false,
        reason: /without a database/,
      });
    }
  });

  it('treats a dotted identifier that starts with a database as a table (x IN db.table)', () => {
    const inTable = (name: string) =>
      ast(
        [0, 'SelectWithUnionQuery'],
        [1, 'ExpressionList'],
        [2, 'SelectQuery'],
        [3, 'ExpressionList'],
        [4, 'Function in'],
        [5, 'ExpressionList'],
        [6, 'Identifier x'],
        [6, `Identifier ${name}`],
      );
    expect(verdict(inTable('system.processes'))).toMatchObject({ ok: false });
    expect(verdict(inTable('containeragent.container_stats'), tenant)).toMatchObject({ ok: false });
    expect(verdict(inTable('containeragent_tenant_new-one.container_stats'), tenant)).toMatchObject({
      ok: false,
    });
    expect(verdict(inTable('q.cpu_percent'), tenant)).toEqual({ ok: true });
  });

  it('refuses table names that are not plain identifiers', () => {
    expect(verdict(selectFrom([0, 'TableIdentifier my table']))).toMatchObject({ ok: false });
  });

  it('lists only table functions that read nothing outside the query as pure', () => {
    for (const name of ['file', 'url', 'remote', 's3', 'merge', 'loop', 'executable', 'eval', 'filesystem']) {
      expect(PURE_TABLE_FUNCTIONS.has(name)).toBe(false);
    }
  });
});
