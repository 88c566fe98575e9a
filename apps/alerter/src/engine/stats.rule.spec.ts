import { M, S, T0, brief, harness, rule, stats } from './engine.test-kit';

const highCpu = (extra: Record<string, unknown> = {}) =>
  rule({
    name: 'high-cpu',
    source: 'stats',
    when: 'stats.cpu_percent > 90',
    for: '2m',
    keep_firing_for: '1m',
    ...extra,
  });

/** Samples every 30 s from `from` with these cpu values. */
const run = (from: number, values: number[]) => values.map((v, i) => stats(T0 + from + i * 30 * S, v));

describe('stats rules: for', () => {
  it('pending on the first true sample, firing once true samples cover for', () => {
    const h = harness([highCpu()]);
    const changes = h.feed(...run(0, [10, 95, 95, 95, 95, 95, 95]));
    expect(brief(changes)).toEqual([
      ['pending', 30 * S],
      ['firing', 150 * S],
    ]);
    expect(changes[0].startsAtMs).toBe(T0 + 30 * S);
    expect(changes[1]).toMatchObject({ startsAtMs: T0 + 150 * S, value: '95', state: 'firing' });
    expect(h.engine.alerts().map((a) => a.state)).toEqual(['firing']);
  });

  it('drops a pending alert on a false sample, emitting resolved', () => {
    const h = harness([highCpu()]);
    const changes = h.feed(...run(0, [95, 95, 50, 95]));
    expect(brief(changes)).toEqual([
      ['pending', 0],
      ['resolved', 60 * S],
      ['pending', 90 * S],
    ]);
    expect(changes[1].endsAtMs).toBe(T0 + 60 * S);
  });

  it('fires on the first true sample with for = 0', () => {
    const h = harness([highCpu({ for: '0s', keep_firing_for: '0s' })]);
    expect(brief(h.feed(...run(0, [95, 50])))).toEqual([
      ['firing', 0],
      ['resolved', 30 * S],
    ]);
  });
});

describe('stats rules: keep_firing_for', () => {
  it('flapping true/false/true within keep_firing_for stays firing: one change only', () => {
    const h = harness([highCpu()]);
    h.feed(...run(0, [95, 95, 95, 95, 95]));
    expect(h.feed(...run(150 * S, [50, 95, 50, 95, 40, 96]))).toEqual([]);
    expect(h.engine.alerts()).toHaveLength(1);
  });

  it('resolves once a sample at ≥ tf + keep_firing_for is still false', () => {
    const h = harness([highCpu()]);
    h.feed(...run(0, [95, 95, 95, 95, 95]));
    expect(brief(h.feed(...run(150 * S, [50, 50, 50, 50])))).toEqual([['resolved', 210 * S]]);
  });
});

describe('stats rules: out of order', () => {
  it('inserts a late sample inside the bound in event-time order', () => {
    const h = harness([highCpu({ for: '1m' })], 60 * S);
    h.feed(stats(T0, 95), stats(T0 + 60 * S, 95, { receivedAtMs: T0 + 60 * S }));
    // Fired at 60 s already (true at 0 and 60 with nothing between): the late false at 30 s
    // cannot undo it, and is not reported late.
    expect(h.engine.alerts().map((a) => a.state)).toEqual(['firing']);
    expect(h.feed(stats(T0 + 30 * S, 10, { receivedAtMs: T0 + 61 * S }))).toEqual([]);
    expect(h.late).toEqual([]);
  });

  it('a late false sample breaks a pending run; a late true one extends it', () => {
    const h = harness([highCpu()], 90 * S);
    h.feed(stats(T0, 95), stats(T0 + 60 * S, 95));
    h.feed(stats(T0 + 30 * S, 10));
    // The run now starts at 60 s: 150 s is only 90 s of it.
    expect(h.feed(stats(T0 + 150 * S, 95))).toEqual([]);
    expect(brief(h.feed(stats(T0 + 180 * S, 95)))).toEqual([['firing', 180 * S]]);

    const g = harness([highCpu()], 90 * S);
    g.feed(stats(T0 + 60 * S, 95), stats(T0 + 120 * S, 95));
    expect(brief(g.feed(stats(T0 + 30 * S, 95)))).toEqual([]);
    expect(brief(g.feed(stats(T0 + 150 * S, 95)))).toEqual([['firing', 150 * S]]);
  });

  it('reports and ignores a sample later than the bound', () => {
    const h = harness([highCpu({ for: '0s', keep_firing_for: '0s' })], 30 * S);
    h.feed(stats(T0 + 5 * M, 95));
    const late = stats(T0 + 4 * M, 10);
    expect(h.feed(late)).toEqual([]);
    expect(h.late).toEqual([late]);
    expect(h.engine.alerts()).toHaveLength(1);
  });
});

describe('stats rules: silence', () => {
  it('a firing alert of a container that stops sending resolves after max(keep_firing_for, 5 m)', () => {
    const h = harness([highCpu({ for: '0s' })]);
    h.feed(stats(T0, 99, { receivedAtMs: T0 + S }));
    expect(h.engine.tick(T0 + 5 * M)).toEqual([]);
    const resolved = h.engine.tick(T0 + 5 * M + S);
    expect(brief(resolved)).toEqual([['resolved', 5 * M + S]]);
    // Samples resuming later start from scratch.
    expect(brief(h.feed(stats(T0 + 10 * M, 99)))).toEqual([['firing', 10 * M]]);
  });

  it('reports the field the condition names as the value', () => {
    const h = harness([rule({ name: 'mem', source: 'stats', when: 'stats.memory_percent > 5.0' })]);
    expect(h.feed(stats(T0, 1))[0].value).toBe('10');
  });
});
