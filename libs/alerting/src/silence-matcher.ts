/**
 * Silences with Alertmanager's semantics, applied by the alerter to the direct webhook path
 * (teams with an Alertmanager keep its own silences). Exported for the control-api, which
 * validates silences with validateMatchers before writing them.
 *
 * Regex safety: JavaScript regexes backtrack, Go's (Alertmanager's) do not. A matcher regex is
 * accepted only if it is at most MAX_REGEX_LENGTH characters, compiles, avoids what RE2 lacks
 * (lookaround, backreferences) and has no quantified group that itself contains a quantifier
 * (`(a+)+`, `(\w*)*`, `(x+y?){2,}`), the usual shape of catastrophic backtracking. This is a
 * syntactic check, not a proof: overlapping alternatives under a quantifier (`(a|a)+`) pass it,
 * but the length bound and the label values it runs against (short, from our own agents) keep
 * those cheap. An invalid regex never throws at match time: its matcher simply does not match.
 */

export interface SilenceMatcherLike {
  name: string;
  value: string;
  isRegex: boolean;
  /** false: the label must NOT match. */
  isEqual: boolean;
}

/** alertspb.SilenceRecord, or a plain equivalent (int64 fields as string, number or bigint). */
export interface SilenceLike {
  id: string;
  matchers: readonly SilenceMatcherLike[];
  startsAtMs: string | number | bigint;
  endsAtMs: string | number | bigint;
  /** Empty: an operator's silence over every tenant. */
  tenantId: string;
  deleted: boolean;
}

export const MAX_REGEX_LENGTH = 256;
export const MAX_MATCHERS = 64;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The first active silence whose matchers all match these labels, or undefined. */
export function isSilenced<S extends SilenceLike>(
  labels: Readonly<Record<string, string>>,
  silences: Iterable<S>,
  nowMs: number,
  tenantId: string,
): S | undefined {
  for (const silence of silences) {
    if (silence.deleted) continue;
    if (silence.tenantId !== '' && silence.tenantId !== tenantId) continue;
    if (!(Number(silence.startsAtMs) <= nowMs && nowMs < Number(silence.endsAtMs))) continue;
    // A silence without matchers would silence everything; Alertmanager refuses it, so do we.
    if (silence.matchers.length === 0) continue;
    if (silence.matchers.every((m) => matcherMatches(m, labels))) return silence;
  }
  return undefined;
}

/** A missing label matches as the empty string, as in Alertmanager. */
export function matcherMatches(m: SilenceMatcherLike, labels: Readonly<Record<string, string>>): boolean {
  const value = Object.prototype.hasOwnProperty.call(labels, m.name) ? labels[m.name] : '';
  let equal: boolean;
  if (m.isRegex) {
    const re = compiled(m.value);
    if (!re) return false;
    equal = re.test(value);
  } else {
    equal = value === m.value;
  }
  return m.isEqual ? equal : !equal;
}

/** Everything wrong with these matchers, as messages naming the matcher; [] when valid. */
export function validateMatchers(matchers: readonly SilenceMatcherLike[]): string[] {
  const errors: string[] = [];
  if (matchers.length === 0) errors.push('at least one matcher is required');
  if (matchers.length > MAX_MATCHERS) errors.push(`at most ${MAX_MATCHERS} matchers are allowed`);
  matchers.forEach((m, i) => {
    const at = `matcher ${i} (${m.name}${operator(m)}${JSON.stringify(m.value)})`;
    if (!LABEL_NAME.test(m.name)) errors.push(`${at}: invalid label name`);
    if (m.isRegex) {
      const problem = regexProblem(m.value);
      if (problem) errors.push(`${at}: ${problem}`);
    }
  });
  // Alertmanager: a silence whose every matcher also matches an absent label would mute
  // everything that lacks the label, which is never what was meant.
  if (errors.length === 0 && matchers.length > 0 && matchers.every((m) => matcherMatches(m, {}))) {
    errors.push('at least one matcher must not match the empty string');
  }
  return errors;
}

export function operator(m: SilenceMatcherLike): '=' | '!=' | '=~' | '!~' {
  if (m.isRegex) return m.isEqual ? '=~' : '!~';
  return m.isEqual ? '=' : '!=';
}

/** Why this pattern is refused, or undefined if it is usable. */
export function regexProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_REGEX_LENGTH) return `regex longer than ${MAX_REGEX_LENGTH} characters`;
  try {
    new RegExp(pattern);
  } catch (error) {
    return `invalid regex: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (/\(\?<?[=!]/.test(pattern)) return 'lookaround is not supported (Alertmanager uses RE2)';
  if (/\\[1-9]|\\k</.test(pattern)) return 'backreferences are not supported (Alertmanager uses RE2)';
  if (hasNestedQuantifier(pattern))
    return 'nested quantifiers (like (a+)+) are refused: catastrophic backtracking';
  return undefined;
}

/**
 * True if a group carrying an unbounded or repeating quantifier (*, +, {n,}, {n,m} with m > 1)
 * contains a quantifier itself. Escapes and character classes are skipped.
 */
export function hasNestedQuantifier(pattern: string): boolean {
  const groups: boolean[] = [];
  let containsQuantifier = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
    } else if (c === '[') {
      i = classEnd(pattern, i);
    } else if (c === '(') {
      groups.push(containsQuantifier);
      containsQuantifier = false;
    } else if (c === ')') {
      const inner: boolean = containsQuantifier;
      const q = quantifierAt(pattern, i + 1);
      if (inner && q.repeats) return true;
      containsQuantifier = (groups.pop() ?? false) || inner || q.length > 0;
      i += q.length;
    } else {
      const q = quantifierAt(pattern, i);
      if (q.length > 0) {
        if (q.repeats) containsQuantifier = true;
        i += q.length - 1;
      }
    }
  }
  return false;
}

function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === ']') return i;
  }
  return pattern.length;
}

/** The quantifier starting at i (with its lazy '?'), and whether it can repeat its atom. */
function quantifierAt(pattern: string, i: number): { length: number; repeats: boolean } {
  const c = pattern[i];
  let length = 0;
  let repeats = false;
  if (c === '*' || c === '+') {
    length = 1;
    repeats = true;
  } else if (c === '?') {
    length = 1;
  } else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
    if (m) {
      length = m[0].length;
      const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
      repeats = max > 1;
    }
  }
  if (length > 0 && pattern[i + length] === '?') length++;
  return { length, repeats };
}

const cache = new Map<string, RegExp | null>();
const CACHE_LIMIT = 1000;

// Anchored like Alertmanager's matchers: the whole value must match.
function compiled(pattern: string): RegExp | null {
  let re = cache.get(pattern);
  if (re !== undefined) return re;
  re = regexProblem(pattern) ? null : new RegExp(`^(?:${pattern})$`);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(pattern, re);
  return re;
}
