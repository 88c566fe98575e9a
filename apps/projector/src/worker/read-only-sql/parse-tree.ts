/**
 * One node of ClickHouse's `EXPLAIN AST` output: `<indent><Type>[ <text>][ (children N)]`, one
 * node per line, one space of indentation per level.
 */
export interface AstNode {
  depth: number;
  type: string;
  /** What follows the type: a name, alias or literal as the engine prints it (may be empty). */
  text: string;
  children: number;
}

const CHILDREN_SUFFIX = / \(children (\d+)\)$/;

/**
 * Reads the engine's parse tree. Literals are printed escaped, but aliases are not, so a line may
 * be the tail of the previous node's alias: such lines are kept as nodes of an unknown type. Every
 * check over the tree looks at every line, so a fake line can only add a refusal, never hide a
 * node the engine will execute; the first line is always the statement itself.
 */
export function parseAstText(text: string): AstNode[] {
  const nodes: AstNode[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const depth = line.length - line.trimStart().length;
    let body = line.slice(depth);
    let children = 0;
    const suffix = CHILDREN_SUFFIX.exec(body);
    if (suffix) {
      children = Number(suffix[1]);
      body = body.slice(0, suffix.index);
    }
    const space = body.indexOf(' ');
    nodes.push({
      depth,
      type: space < 0 ? body : body.slice(0, space),
      text: space < 0 ? '' : body.slice(space + 1),
      children,
    });
  }
  return nodes;
}

/** The object a `TableIdentifier`, `Identifier` or `Function` node names: its text up to an alias. */
export function nodeName(node: AstNode): string {
  const alias = node.text.indexOf(' (alias ');
  return alias < 0 ? node.text : node.text.slice(0, alias);
}
