import { celEnv, isCelError, isCelList, isCelMap, isCelUint, parse, plan } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { checkReferences } from './cel.check';
import { conjunctionGuard, fastComparison } from './cel.fast-path';
import { SOURCE_VARIABLES } from './cel.variables';
import type { RuleSource } from './rule.types';

export const MAX_CONDITION_LENGTH = 4096;

/** Variables bound for one evaluation; build them with the `activationFor…` helpers. */
export type Activation = Record<string, unknown>;

export type EvaluationResult = { ok: true; value: boolean } | { ok: false; error: string };

export interface Condition {
  readonly source: RuleSource;
  readonly text: string;
  /** Never throws: CEL errors, non-bool results and exceptions all come back as `{ ok: false }`. */
  evaluate(activation: Activation): EvaluationResult;
}

export type CompileResult = { ok: true; condition: Condition } | { ok: false; message: string };

// The strings extension (lowerAscii, replace, split, …) on top of the standard library; one env,
// shared by every rule, since it holds no per-rule state.
const env = celEnv({ funcs: strings });

/**
 * Parses `when` with CEL and checks that it only names the source's variables, fields and known
 * functions. An empty `when` compiles to a condition that always holds (the agents/containers
 * filter is optional; whether '' is allowed for a source is the rule validator's decision).
 */
export function compileCondition(source: RuleSource, when: string): CompileResult {
  if (when.length > MAX_CONDITION_LENGTH) {
    return { ok: false, message: `condition is longer than ${MAX_CONDITION_LENGTH} characters` };
  }
  if (when.trim() === '') return { ok: true, condition: alwaysTrue(source, when) };
  let program: ReturnType<typeof plan>;
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(when);
    const problem = checkReferences(parsed.expr, SOURCE_VARIABLES[source], env);
    if (problem !== undefined) return { ok: false, message: problem };
    program = plan(env, parsed);
  } catch (error) {
    return { ok: false, message: errorMessage(error) };
  }
  const evaluate = (activation: Activation): EvaluationResult => {
    try {
      const value = program(activation as Parameters<typeof program>[0]);
      if (isCelError(value)) return { ok: false, error: value.message };
      if (typeof value !== 'boolean')
        return { ok: false, error: `condition returned ${celTypeName(value)}, not bool` };
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error: errorMessage(error) };
    }
  };
  return {
    ok: true,
    condition: {
      source,
      text: when,
      evaluate: fastComparison(when, evaluate) ?? conjunctionGuard(parsed.expr, evaluate) ?? evaluate,
    },
  };
}

function alwaysTrue(source: RuleSource, text: string): Condition {
  return { source, text, evaluate: () => ({ ok: true, value: true }) };
}

function celTypeName(value: unknown): string {
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'double';
  if (typeof value !== 'object') return typeof value;
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return 'bytes';
  if (isCelUint(value)) return 'uint';
  if (isCelList(value)) return 'list';
  if (isCelMap(value)) return 'map';
  return 'object';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
