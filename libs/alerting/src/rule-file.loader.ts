import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { pointerKeys } from './json-pointer';
import { parseRule } from './rule.parse';
import type { RuleDefinition } from './rule.types';

export const MAX_RULES = 1000;
export const MAX_RULES_FILE_BYTES = 1024 * 1024;

export type LoadRulesResult = { ok: true; rules: RuleDefinition[] } | { ok: false; error: string };

/**
 * Loads `{ rules: [...] }` from YAML. The first problem refuses the whole file, reported as
 * `<file>:<line>:<col>: <reason>` at the node at fault (the `when` value for a CEL error, the
 * rule itself for a missing field), so a bad deploy fails loudly instead of running half the rules.
 */
export function loadRulesFile(text: string, fileName: string): LoadRulesResult {
  const at = (line: number, col: number, reason: string) => ({
    ok: false as const,
    error: `${fileName}:${line}:${col}: ${reason}`,
  });
  if (Buffer.byteLength(text, 'utf8') > MAX_RULES_FILE_BYTES) {
    return at(1, 1, `rules file is larger than ${MAX_RULES_FILE_BYTES} bytes`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const pos = syntax.linePos?.[0] ?? lines.linePos(syntax.pos[0]);
    return at(pos.line, pos.col, syntax.message.split('\n')[0]);
  }
  const position = (node: Node | null | undefined) => lines.linePos(node?.range?.[0] ?? 0);
  const fail = (node: Node | null | undefined, reason: string) => {
    const pos = position(node);
    return at(pos.line, pos.col, reason);
  };

  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { ok: true, rules: [] };
  if (!isMap(root)) return fail(root, 'the file must be a map with one key, rules: a list of rules');
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (key !== 'rules')
      return fail(pair.key, `unknown top-level key ${JSON.stringify(key)}: expected rules`);
  }
  const list = root.get('rules', true);
  if (list === undefined || (isScalar(list) && list.value === null)) return { ok: true, rules: [] };
  if (!isSeq(list)) return fail(list, 'rules must be a list');
  if (list.items.length > MAX_RULES) return fail(list, `too many rules: ${list.items.length} > ${MAX_RULES}`);

  const rules: RuleDefinition[] = [];
  const seen = new Map<string, number>();
  for (const [index, item] of list.items.entries()) {
    const node = item as Node;
    let value: unknown;
    try {
      value = node.toJS(doc, { maxAliasCount: 100 });
    } catch (error) {
      return fail(node, `rule ${index + 1}: ${(error as Error).message}`);
    }
    const parsed = parseRule(value);
    if (!parsed.ok) {
      const first = parsed.errors[0];
      const label = ruleLabel(value, index);
      const extra = parsed.errors.length > 1 ? ` (and ${parsed.errors.length - 1} more)` : '';
      return fail(nodeAt(node, first.field), `${label}: ${first.field || 'rule'}: ${first.message}${extra}`);
    }
    const firstLine = seen.get(parsed.rule.name);
    if (firstLine !== undefined) {
      return fail(
        nodeAt(node, '/name'),
        `duplicate rule name "${parsed.rule.name}" (first at line ${firstLine})`,
      );
    }
    seen.set(parsed.rule.name, position(node).line);
    rules.push(parsed.rule);
  }
  return { ok: true, rules };
}

/** The deepest node along a JSON pointer: the value if present, else its key, else its parent. */
function nodeAt(rule: Node, field: string): Node {
  let node: Node = rule;
  for (const key of pointerKeys(field)) {
    if (!isMap(node)) return node;
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
    if (!pair) return node;
    const next = (pair.value ?? pair.key) as Node | null;
    if (!next?.range) return (pair.key as Node) ?? node;
    node = next;
  }
  return node;
}

function ruleLabel(value: unknown, index: number): string {
  const name = typeof value === 'object' && value !== null ? (value as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? `rule "${name}"` : `rule ${index + 1}`;
}
