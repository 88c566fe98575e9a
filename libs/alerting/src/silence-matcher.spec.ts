import type { alertspb } from '@app/contracts';
import {
  hasNestedQuantifier,
  isSilenced,
  matcherMatches,
  regexProblem,
  validateMatchers,
  type SilenceMatcherLike,
} from './silence-matcher';

const eq = (name: string, value: string): SilenceMatcherLike => ({
  name,
  value,
  isRegex: false,
  isEqual: true,
});
const ne = (name: string, value: string): SilenceMatcherLike => ({
  name,
  value,
  isRegex: false,
  isEqual: false,
});
const re = (name: string, value: string): SilenceMatcherLike => ({
  name,
  value,
  isRegex: true,
  isEqual: true,
});
const nre = (name: string, value: string): SilenceMatcherLike => ({
  name,
  value,
  isRegex: true,
  isEqual: false,
});

const labels = { alertname: 'HighCpu', severity: 'critical', container: 'web-1', tenant: 'acme' };

function silence(over: Partial<alertspb.SilenceRecord> = {}): alertspb.SilenceRecord {
  return {
    id: 's1',
    matchers: [eq('alertname', 'HighCpu')],
    startsAtMs: '1000',
    endsAtMs: '2000',
    createdBy: 'tok_1',
    comment: '',
    tenantId: '',
    createdAtMs: '900',
    deleted: false,
    ...over,
  };
}

describe('matcherMatches', () => {
  it.each<[string, SilenceMatcherLike, boolean]>([
    ['= equal', eq('severity', 'critical'), true],
    ['= different', eq('severity', 'warning'), false],
    ['= missing label is ""', eq('zone', ''), true],
    ['= missing label vs value', eq('zone', 'eu'), false],
    ['!= different', ne('severity', 'warning'), true],
    ['!= equal', ne('severity', 'critical'), false],
    ['!= missing label', ne('zone', 'eu'), true],
    ['=~ whole value', re('container', 'web-.*'), true],
    ['=~ is anchored at the start', re('container', 'eb-1'), false],
    ['=~ is anchored at the end', re('container', 'web'), false],
    ['=~ alternation anchored as a whole', re('severity', 'warning|crit'), false],
    ['=~ alternation', re('severity', 'warning|critical'), true],
    ['=~ missing label matches empty-matching regex', re('zone', '.*'), true],
    ['!~ matching', nre('container', 'web-.*'), false],
    ['!~ not matching', nre('container', 'db-.*'), true],
    ['=~ invalid regex never matches', re('container', 'web-('), false],
    ['!~ invalid regex never matches either', nre('container', 'web-('), false],
    ['=~ nested quantifier refused', re('container', '(w+)+'), false],
  ])('%s', (_name, matcher, expected) => {
    expect(matcherMatches(matcher, labels)).toBe(expected);
  });
});

describe('isSilenced', () => {
  it('needs every matcher to match', () => {
    const s = silence({ matchers: [eq('alertname', 'HighCpu'), re('container', 'web-.*')] });
    expect(isSilenced(labels, [s], 1500, 'acme')).toBe(s);
    const t = silence({ matchers: [eq('alertname', 'HighCpu'), eq('container', 'db-1')] });
    expect(isSilenced(labels, [t], 1500, 'acme')).toBeUndefined();
  });

  it.each([
    [999, false],
    [1000, true],
    [1999, true],
    [2000, false],
  ])('is active from starts_at (inclusive) to ends_at (exclusive): now=%d → %s', (now, silenced) => {
    expect(isSilenced(labels, [silence()], now, 'acme') !== undefined).toBe(silenced);
  });

  it('ignores deleted silences', () => {
    expect(isSilenced(labels, [silence({ deleted: true })], 1500, 'acme')).toBeUndefined();
  });

  it("scopes a tenant's silence to its tenant; the operator's (empty tenant) covers all", () => {
    expect(isSilenced(labels, [silence({ tenantId: 'acme' })], 1500, 'acme')).toBeDefined();
    expect(isSilenced(labels, [silence({ tenantId: 'globex' })], 1500, 'acme')).toBeUndefined();
    expect(isSilenced(labels, [silence({ tenantId: '' })], 1500, 'globex')).toBeDefined();
  });

  it('never silences with an empty matcher list', () => {
    expect(isSilenced(labels, [silence({ matchers: [] })], 1500, 'acme')).toBeUndefined();
  });

  it('returns the first matching silence, and accepts plain numbers for times', () => {
    const a = {
      id: 'a',
      matchers: [eq('alertname', 'Other')],
      startsAtMs: 0,
      endsAtMs: 5000,
      tenantId: '',
      deleted: false,
    };
    const b = { ...a, id: 'b', matchers: [eq('alertname', 'HighCpu')] };
    const c = { ...b, id: 'c' };
    expect(isSilenced(labels, [a, b, c], 1500, 'acme')?.id).toBe('b');
  });

  it('does not throw on an invalid regex', () => {
    const s = silence({ matchers: [re('container', '[')] });
    expect(() => isSilenced(labels, [s], 1500, 'acme')).not.toThrow();
    expect(isSilenced(labels, [s], 1500, 'acme')).toBeUndefined();
  });
});

describe('validateMatchers', () => {
  it('accepts valid matchers', () => {
    expect(
      validateMatchers([eq('alertname', 'HighCpu'), re('container', 'web-[0-9]+'), nre('zone', 'eu|us')]),
    ).toEqual([]);
  });

  it.each<[string, SilenceMatcherLike[], RegExp]>([
    ['no matchers', [], /at least one matcher/],
    ['bad label name', [eq('1abc', 'x')], /invalid label name/],
    ['invalid regex', [re('container', 'web-(')], /matcher 0 .*invalid regex/],
    ['too long regex', [re('container', 'a'.repeat(257))], /longer than 256/],
    ['nested quantifier', [re('container', '(a+)+$')], /nested quantifiers/],
    ['nested star in class-free group', [re('container', '(\\w*)*')], /nested quantifiers/],
    ['lookahead', [re('container', '(?=web)web')], /lookaround/],
    ['backreference', [re('container', '(a)\\1')], /backreferences/],
    ['all match the empty string', [re('container', '.*')], /must not match the empty string/],
    ['!= of a value', [ne('severity', 'warning')], /must not match the empty string/],
  ])('rejects %s', (_name, matchers, error) => {
    const errors = validateMatchers(matchers);
    expect(errors.join('\n')).toMatch(error);
  });
});

describe('regex guards', () => {
  it.each([
    ['(a+)+', true],
    ['(a*)*', true],
    ['(a+){2,}', true],
    ['(x+y?){2,5}', true],
    ['((ab)+c)*', true],
    ['(?:a|b+)+', true],
    ['(a+)?', false],
    ['(a+){1}', false],
    ['(ab)+', false],
    ['[(+]+', false],
    ['\\(a+\\)+', false],
    ['web-[0-9]+', false],
    ['(web|db)-\\d+', false],
  ])('%s nested=%s', (pattern, nested) => {
    expect(hasNestedQuantifier(pattern)).toBe(nested);
  });

  it('refuses the classic catastrophic pattern quickly instead of running it', () => {
    const t0 = Date.now();
    expect(regexProblem('(a+)+$')).toMatch(/nested/);
    expect(matcherMatches(re('x', '(a+)+b'), { x: `${'a'.repeat(40)}c` })).toBe(false);
    expect(Date.now() - t0).toBeLessThan(100);
  });
});
