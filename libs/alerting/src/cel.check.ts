import type { celEnv, parse } from '@bufbuild/cel';
import type { VariableShape } from './cel.variables';

type Expr = ReturnType<typeof parse>['expr'];
type CelEnv = ReturnType<typeof celEnv>;

// @bufbuild/cel 0.6.1 has no public type checker: an undeclared variable, a misspelt field or an
// unknown function only shows up as an error at run time, on every message. This walk over the
// parsed expression turns those three mistakes into compile errors; everything else (types of
// operands, overloads) stays CEL's business at run time.

/** Operators the planner handles itself rather than through the function resolver. */
const PLANNER_OPERATORS = new Set([
  '_[_]',
  '_[?_]',
  '_?._',
  '_?_:_',
  '_&&_',
  '_||_',
  '@not_strictly_false',
  '__not_strictly_false__',
]);
const TYPE_NAMES = new Set([
  'int',
  'uint',
  'double',
  'bool',
  'string',
  'bytes',
  'list',
  'map',
  'null_type',
  'type',
]);

export function checkReferences(
  expr: Expr,
  variables: Readonly<Record<string, VariableShape>>,
  env: CelEnv,
): string | undefined {
  const problems: string[] = [];
  const visit = (node: Expr | undefined, scope: ReadonlySet<string>): void => {
    if (!node) return;
    const kind = node.exprKind;
    switch (kind.case) {
      case 'identExpr': {
        const name = kind.value.name;
        if (!scope.has(name) && !(name in variables) && !TYPE_NAMES.has(name)) {
          problems.push(`undeclared reference to '${name}' (known: ${Object.keys(variables).join(', ')})`);
        }
        return;
      }
      case 'selectExpr': {
        const operand = kind.value.operand;
        if (operand?.exprKind.case === 'identExpr' && !scope.has(operand.exprKind.value.name)) {
          const shape = variables[operand.exprKind.value.name];
          if (typeof shape === 'object' && !(kind.value.field in shape)) {
            const owner = operand.exprKind.value.name;
            problems.push(
              `'${owner}' has no field '${kind.value.field}' (fields: ${Object.keys(shape).join(', ')})`,
            );
          }
        }
        visit(operand, scope);
        return;
      }
      case 'callExpr': {
        const call = kind.value;
        if (qualifiedFunction(call, env)) {
          for (const arg of call.args) visit(arg, scope);
          return;
        }
        if (!PLANNER_OPERATORS.has(call.function) && !env.funcs.find(call.function)) {
          problems.push(`unknown function '${call.function}'`);
        }
        visit(call.target, scope);
        for (const arg of call.args) visit(arg, scope);
        return;
      }
      case 'listExpr':
        for (const element of kind.value.elements) visit(element, scope);
        return;
      case 'structExpr':
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === 'mapKey') visit(entry.keyKind.value, scope);
          visit(entry.value, scope);
        }
        return;
      case 'comprehensionExpr': {
        const c = kind.value;
        visit(c.iterRange, scope);
        visit(c.accuInit, scope);
        const inner = new Set([...scope, c.iterVar, c.iterVar2, c.accuVar].filter((name) => name !== ''));
        visit(c.loopCondition, inner);
        visit(c.loopStep, inner);
        visit(c.result, new Set([...scope, c.accuVar]));
        return;
      }
      case 'constExpr':
      case undefined:
        return;
    }
  };
  visit(expr, new Set());
  return problems.length > 0 ? [...new Set(problems)].join('; ') : undefined;
}

function qualifiedFunction(call: { function: string; target?: Expr }, env: CelEnv): boolean {
  const parts: string[] = [];
  let node = call.target;
  while (node?.exprKind.case === 'selectExpr') {
    parts.unshift(node.exprKind.value.field);
    node = node.exprKind.value.operand;
  }
  if (node?.exprKind.case !== 'identExpr') return false;
  parts.unshift(node.exprKind.value.name);
  return env.funcs.find(`${parts.join('.')}.${call.function}`) !== undefined;
}
