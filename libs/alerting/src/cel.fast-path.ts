import { parse, unparse } from '@bufbuild/cel';
import type { Activation, EvaluationResult } from './cel.condition';

type ParsedExpr = ReturnType<typeof parse>['expr'];

/** `<variable>.<field> <op> <number>`: the shape of most stats thresholds. */
const SIMPLE_COMPARISON = /^\s*(stats)\.([a-z_]+)\s*(>=|<=|>|<)\s*(\d{1,15}(?:\.\d{1,15})?)\s*$/;

/**
 * A shortcut for the commonest condition, a numeric field against a number literal
 * (`stats.cpu_percent > 90`): read the field from the activation and compare, with CEL's own
 * semantics (ints are bigint, doubles number; int and double compare by value; NaN compares
 * false), instead of walking the CEL program. It is only taken when the value has the type CEL
 * would see; anything else goes to the CEL program. `cel.fast-path.spec.ts` runs both on the same
 * inputs and requires the same results. Returns undefined for every other condition.
 */
export function fastComparison(
  text: string,
  fallback: (activation: Activation) => EvaluationResult,
): ((activation: Activation) => EvaluationResult) | undefined {
  const m = SIMPLE_COMPARISON.exec(text);
  if (!m) return undefined;
  const [, variable, field, op, literal] = m;
  const key = `${variable}.${field}`;
  const isInt = !literal.includes('.');
  const asNumber = Number(literal);
  const asBigInt = isInt ? BigInt(literal) : undefined;
  const compare = COMPARE[op];
  return (activation) => {
    const value = activation[key];
    if (typeof value === 'number') return { ok: true, value: compare(value, asNumber) };
    if (typeof value === 'bigint') {
      return {
        ok: true,
        value: asBigInt !== undefined ? compare(value, asBigInt) : compareMixed(op, value, asNumber),
      };
    }
    return fallback(activation);
  };
}

type Comparable = number | bigint;
const COMPARE: Record<string, (a: Comparable, b: Comparable) => boolean> = {
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
};

/** An int against a double literal: JavaScript compares bigint and number by value, as CEL does. */
function compareMixed(op: string, value: bigint, literal: number): boolean {
  return COMPARE[op](value, literal);
}

/** The part of a guard's answer that lets the full program be skipped. */
const UNDECIDED: EvaluationResult = { ok: false, error: 'undecided' };

/**
 * `A && B && …` where some conjuncts are simple comparisons: when one of them is false, the whole
 * condition is false in CEL (false && anything, errors included, is false), so the program is
 * skipped; otherwise the CEL program decides. Thresholds are false for almost every sample, so
 * compound conditions such as `stats.cpu_percent > 90 && container.name.startsWith("db-")` mostly
 * cost one comparison. Returns undefined when no conjunct has the simple shape.
 */
export function conjunctionGuard(
  expr: ParsedExpr,
  program: (activation: Activation) => EvaluationResult,
): ((activation: Activation) => EvaluationResult) | undefined {
  const guards = conjuncts(expr)
    .map((c) => fastComparison(textOf(c), () => UNDECIDED))
    .filter((g): g is (a: Activation) => EvaluationResult => g !== undefined);
  if (guards.length === 0) return undefined;
  return (activation) => {
    for (const guard of guards) {
      const r = guard(activation);
      if (r.ok && !r.value) return r;
    }
    return program(activation);
  };
}

function conjuncts(expr: ParsedExpr): ParsedExpr[] {
  const kind = expr.exprKind;
  if (kind.case === 'callExpr' && kind.value.function === '_&&_' && !kind.value.target) {
    return kind.value.args.flatMap((a) => conjuncts(a));
  }
  return [expr];
}

/** The conjunct as text, for the shape test; '' for what the unparser does not print (macros). */
function textOf(expr: ParsedExpr): string {
  try {
    return unparse(expr);
  } catch {
    return '';
  }
}
