import { regexProblem } from '@app/alerting';

export { regexProblem };

export interface MatcherInput {
  name: string;
  value: string;
  is_regex: boolean;
  is_equal: boolean;
}

/**
 * What the alerter can apply (the regex checks are the alerter's own, from @app/alerting). Its matchers follow Alertmanager: a regex matches the whole label
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

function matchesEmpty(m: MatcherInput): boolean {
  const equal = m.is_regex ? new RegExp(`^(?:${m.value})$`).test('') : m.value === '';
  return m.is_equal ? equal : !equal;
}
