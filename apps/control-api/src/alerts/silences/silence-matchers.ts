import { MAX_SILENCE_REGEX_LENGTH } from '../alerting.schemas';

export interface MatcherInput {
  name: string;
  value: string;
  is_regex: boolean;
  is_equal: boolean;
}

/**
 * What the alerter can apply. Its matchers follow Alertmanager: a regex matches the whole label
 * value and is RE2 (no lookaround, no backreferences); a missing label is the empty string. The
 * alerter treats a regex it refuses as "never matches", so the API refuses it up front: too long,
 * not compiling, RE2-only features, or a quantified group that contains a quantifier (`(a+)+`,
 * the shape of catastrophic backtracking in JavaScript's engine). A silence whose every matcher
 * also matches the empty string would mute everything lacking the label: refused too.
 */
export function matchersProblem(
  matchers: readonly MatcherInput[],
): { field: string; message: string } | undefined {
  for (const [i, m] of matchers.entries()) {
    if (!m.is_regex) continue;
    const problem = regexProblem(m.value);
    if (problem) return { field: `/body/matchers/${i}/value`, message: problem };
  }
  if (matchers.every((m) => matchesEmpty(m))) {
    return { field: '/body/matchers', message: 'at least one matcher must not match the empty string' };
  }
  return undefined;
}

export function regexProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_SILENCE_REGEX_LENGTH)
    return `a regex of at most ${MAX_SILENCE_REGEX_LENGTH} characters`;
  try {
    new RegExp(pattern);
  } catch (error) {
    return `invalid regex: ${(error as Error).message}`;
  }
  if (/\(\?<?[=!]/.test(pattern)) return 'lookaround is not supported (RE2, as in Alertmanager)';
  if (/\\[1-9]|\\k</.test(pattern)) return 'backreferences are not supported (RE2, as in Alertmanager)';
  if (nestedQuantifier(pattern)) return 'a quantified group containing a quantifier (like (a+)+) is refused';
  return undefined;
}

function matchesEmpty(m: MatcherInput): boolean {
  const equal = m.is_regex ? new RegExp(`^(?:${m.value})$`).test('') : m.value === '';
  return m.is_equal ? equal : !equal;
}

/** A group followed by a repeating quantifier (*, +, {n,}, {n,m>1}) whose content has a quantifier. */
function nestedQuantifier(pattern: string): boolean {
  const stack: boolean[] = [];
  let inner = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '[') i = classEnd(pattern, i);
    else if (c === '(') {
      stack.push(inner);
      inner = false;
    } else if (c === ')') {
      const q = quantifier(pattern, i + 1);
      if (inner && q.repeats) return true;
      inner = (stack.pop() ?? false) || inner || q.length > 0;
      i += q.length;
    } else {
      const q = quantifier(pattern, i);
      if (q.repeats) inner = true;
      if (q.length > 0) i += q.length - 1;
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

function quantifier(pattern: string, i: number): { length: number; repeats: boolean } {
  let length = 0;
  let repeats = false;
  if (pattern[i] === '*' || pattern[i] === '+') [length, repeats] = [1, true];
  else if (pattern[i] === '?') length = 1;
  else if (pattern[i] === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
    if (m) {
      length = m[0].length;
      repeats = (m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3])) > 1;
    }
  }
  if (length > 0 && pattern[i + length] === '?') length++;
  return { length, repeats };
}
