import { nodeName, parseAstText } from './parse-tree';

// Recorded from `EXPLAIN AST` of ClickHouse 26.7 (chDB 3.4).
const JOIN_AST = `SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 2)
   ExpressionList (children 1)
    Asterisk
   TablesInSelectQuery (children 1)
    TablesInSelectQueryElement (children 1)
     TableExpression (children 1)
      Function file (alias f) (children 1)
       ExpressionList (children 1)
        Literal \\'/etc/passwd\\'
`;

describe('parseAstText', () => {
  it('reads depth, type, text and the number of children of every line', () => {
    const nodes = parseAstText(JOIN_AST);
    expect(nodes).toHaveLength(11);
    expect(nodes[0]).toEqual({ depth: 0, type: 'SelectWithUnionQuery', text: '', children: 1 });
    expect(nodes[8]).toEqual({ depth: 6, type: 'Function', text: 'file (alias f)', children: 1 });
    expect(nodes[10]).toEqual({ depth: 8, type: 'Literal', text: "\\'/etc/passwd\\'", children: 0 });
  });

  it('keeps the tail of a multi-line alias as a node of its own, so nothing after it is lost', () => {
    const nodes = parseAstText(
      'SelectWithUnionQuery (children 1)\n Literal 1 (alias a\nb)\n Function file (children 1)',
    );
    expect(nodes.map((n) => n.type)).toEqual(['SelectWithUnionQuery', 'Literal', 'b)', 'Function']);
  });
});

describe('nodeName', () => {
  it('cuts the alias', () => {
    const [table] = parseAstText('TableIdentifier containeragent.t (alias q)');
    expect(nodeName(table)).toBe('containeragent.t');
    const [fn] = parseAstText('Function numbers (children 1)');
    expect(nodeName(fn)).toBe('numbers');
  });
});
