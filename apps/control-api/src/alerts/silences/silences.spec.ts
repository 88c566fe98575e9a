import { alertspb } from '@app/contracts';
import { matchersProblem, regexProblem } from './silence-matchers';
import { silenceState, SilencesView } from './silences.view';

const m = (name: string, value: string, is_regex = false, is_equal = true) => ({
  name,
  value,
  is_regex,
  is_equal,
});
const silence = (
  id: string,
  tenantId: string,
  startsAtMs: number,
  endsAtMs: number,
  createdAtMs = startsAtMs,
) =>
  alertspb.SilenceRecord.fromPartial({
    id,
    tenantId,
    matchers: [{ name: 'alertname', value: 'x', isEqual: true }],
    startsAtMs: String(startsAtMs),
    endsAtMs: String(endsAtMs),
    createdAtMs: String(createdAtMs),
  });

describe('silence matchers', () => {
  it.each([
    ['docker-.*', undefined],
    ['a|b|c', undefined],
    ['[(]+x', undefined],
    ['(', /invalid regex/],
    ['a'.repeat(257), /longer than 256/],
    ['(?=x)y', /lookaround/],
    ['(a)\\1', /backreferences/],
    ['(a+)+', /nested quantifiers/],
    ['(\\w*x)*', /nested quantifiers/],
    ['(x+y?){2,}', /nested quantifiers/],
    ['(ab)+c*', undefined],
  ])('regex %s', (pattern, problem) => {
    if (problem) expect(regexProblem(pattern)).toMatch(problem);
    else expect(regexProblem(pattern)).toBeUndefined();
  });

  it('names the matcher whose regex is refused, and refuses matchers that all match the empty string', () => {
    expect(matchersProblem([m('a', 'x'), m('b', '(', true)])).toMatchObject({
      field: '/body/matchers/1/value',
    });
    expect(matchersProblem([m('a', '.*', true), m('b', 'x', false, false)])).toMatchObject({
      field: '/body/matchers',
    });
    expect(matchersProblem([m('a', '.*', true), m('b', 'x')])).toBeUndefined();
    expect(matchersProblem([m('a', '', false, false)])).toBeUndefined();
  });
});

describe('SilencesView', () => {
  let now = 10_000_000;
  const view = () => new SilencesView(1_000_000, () => now);

  it('states: pending before starts_at, active until ends_at, expired after', () => {
    const s = silence('s', 't', 100, 200);
    expect([silenceState(s, 99), silenceState(s, 100), silenceState(s, 199), silenceState(s, 200)]).toEqual([
      'pending',
      'active',
      'active',
      'expired',
    ]);
  });

  it('keeps the latest record per id, removes on a tombstone, forgets what ended before the retention', () => {
    const v = view();
    v.apply(silence('a', 'acme', now - 10, now + 100));
    v.apply(silence('b', 'globex', now + 10, now + 100, now - 5));
    v.apply(silence('c', '', now - 3_000_000, now - 2_000_000));
    expect(v.size).toBe(2);
    v.apply({ ...silence('a', 'acme', now - 10, now), deleted: true });
    expect(v.get('a')?.deleted).toBe(true);
    expect(v.page({ tenant: undefined, state: 'expired' }, 10).items.map((s) => s.id)).toEqual(['a']);
    expect(v.page({ tenant: 'globex' }, 10).items.map((s) => s.id)).toEqual(['b']);
    v.applyRecord({
      topic: 't',
      partition: 0,
      offset: '1',
      message: { key: Buffer.from('b'), value: null } as never,
    });
    expect(v.get('b')).toBeUndefined();
    now += 2_000_000;
    expect(v.page({ tenant: undefined }, 10).items).toEqual([]);
  });

  it('pages newest first', () => {
    const v = view();
    for (let i = 0; i < 5; i++) v.apply(silence(`s${i}`, 't', now, now + 100, now + i));
    const first = v.page({ tenant: undefined }, 2);
    const second = v.page({ tenant: undefined }, 2, first.next);
    const third = v.page({ tenant: undefined }, 2, second.next);
    expect([...first.items, ...second.items, ...third.items].map((s) => s.id)).toEqual([
      's4',
      's3',
      's2',
      's1',
      's0',
    ]);
    expect(third.next).toBeUndefined();
  });
});
