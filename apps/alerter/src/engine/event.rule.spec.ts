import { M, S, T0, brief, event, harness, rule } from './engine.test-kit';
import { insertSorted, windowEnd } from './event.rule';

const died = rule({
  name: 'container-died',
  source: 'events',
  when: 'event.action == "die" && !(event.attrs["exitCode"] in ["0", "143"])',
  severity: 'critical',
  labels: { team: 'ops' },
  annotations: { summary: '{{ .container }} on {{ .host }} exited with {{ .attrs.exitCode }}' },
});
const loop = rule({
  name: 'restart-loop',
  source: 'events',
  when: 'event.action == "die"',
  count: { at_least: 3, within: '5m' },
});

describe('event rules without count', () => {
  it('fires at the event time, renders annotations and labels, stays firing on repeats', () => {
    const h = harness([died]);
    const first = h.feed(event(T0, 'die', { attrs: { exitCode: '137' }, receivedAtMs: T0 + 2 * S }));
    expect(brief(first)).toEqual([['firing', 0]]);
    expect(first[0]).toMatchObject({
      ruleName: 'container-died',
      startsAtMs: T0,
      containerName: 'web',
      containerId: 'c0ffee',
      value: 'die',
      annotations: { summary: 'web on h1 exited with 137' },
      labels: {
        team: 'ops',
        alertname: 'container-died',
        severity: 'critical',
        tenant: 't1',
        agent_id: 'a1',
        host: 'h1',
        container: 'web',
      },
    });
    expect(h.feed(event(T0 + M, 'die', { attrs: { exitCode: '1' } }))).toEqual([]);
    expect(h.feed(event(T0 + M, 'die', { attrs: { exitCode: '0' } }), event(T0, 'start'))).toEqual([]);
    expect(h.engine.alerts()).toHaveLength(1);
  });

  it('resolves after the quiet period since the last match, on the receive clock', () => {
    const h = harness([died]);
    h.feed(event(T0, 'die', { attrs: { exitCode: '1' } }));
    h.feed(event(T0 + 3 * M, 'die', { attrs: { exitCode: '1' } }));
    expect(h.engine.tick(T0 + 7 * M)).toEqual([]);
    const resolved = h.engine.tick(T0 + 8 * M);
    expect(brief(resolved)).toEqual([['resolved', 8 * M]]);
    expect(resolved[0]).toMatchObject({ endsAtMs: T0 + 8 * M, startsAtMs: T0 });
    expect(h.engine.alerts()).toEqual([]);
    expect(brief(h.feed(event(T0 + 9 * M, 'die', { attrs: { exitCode: '1' } })))).toEqual([
      ['firing', 9 * M],
    ]);
  });

  it('keys by container name: another container is another alert; a recreated one (new id) is the same alert, which keeps the id it fired with', () => {
    const h = harness([died]);
    const a = h.feed(event(T0, 'die', { name: '/web', id: 'id1', attrs: { exitCode: '1' } }));
    const b = h.feed(event(T0, 'die', { name: 'db', id: 'id2', attrs: { exitCode: '1' } }));
    expect(a[0].fingerprint).not.toEqual(b[0].fingerprint);
    expect(h.feed(event(T0 + S, 'die', { name: 'web', id: 'id3', attrs: { exitCode: '1' } }))).toEqual([]);
    expect(
      h.engine
        .tick(T0 + 6 * M)
        .map((c) => c.containerId)
        .sort(),
    ).toEqual(['id1', 'id2']);
  });
});

describe('event rule annotations', () => {
  it('render Prometheus-style $labels and $value and the event facts', () => {
    const r = rule({
      name: 'oom',
      source: 'events',
      when: 'event.action == "oom"',
      labels: { team: 'web' },
      annotations: {
        summary:
          '{{ $labels.team }}: {{ .container }} ({{ .container_id }}) {{ $value }} {{ .attrs.signal }}{{ .missing }}',
      },
    });
    const [fired] = harness([r]).feed(event(T0, 'oom', { attrs: { signal: '9' } }));
    expect(fired.annotations).toEqual({ summary: 'web: web (c0ffee) oom 9' });
  });
});

describe('event rules with count (restart loop)', () => {
  it('fires when at least N matches fall within the window, then resolves after the quiet period', () => {
    const h = harness([loop]);
    expect(h.feed(event(T0, 'die'), event(T0 + M, 'die'))).toEqual([]);
    const fired = h.feed(event(T0 + 2 * M, 'die'));
    expect(brief(fired)).toEqual([['firing', 2 * M]]);
    expect(fired[0].value).toBe('3');
    expect(h.feed(event(T0 + 3 * M, 'die'))).toEqual([]);
    expect(h.engine.tick(T0 + 7 * M)).toEqual([]);
    expect(brief(h.engine.tick(T0 + 8 * M))).toEqual([['resolved', 8 * M]]);
    // A fresh loop needs three fresh matches.
    expect(h.feed(event(T0 + 9 * M, 'die'))).toEqual([]);
  });

  it('does not fire when the matches are spread wider than the window', () => {
    const h = harness([loop]);
    expect(h.feed(event(T0, 'die'), event(T0 + 3 * M, 'die'), event(T0 + 6 * M, 'die'))).toEqual([]);
  });

  it('counts a late event inside the lateness bound at its place in event time', () => {
    const h = harness([loop], 2 * M);
    h.feed(event(T0, 'die'), event(T0 + 4 * M, 'die', { receivedAtMs: T0 + 4 * M }));
    // Arrives after the 4 m event but happened at 2 m: 3 matches within [0, 4 m].
    const fired = h.feed(event(T0 + 2 * M, 'die', { receivedAtMs: T0 + 4 * M + S }));
    expect(brief(fired)).toEqual([['firing', 4 * M]]);
    expect(h.late).toEqual([]);
  });

  it('ignores and reports an event later than the bound', () => {
    const h = harness([loop], 30 * S);
    h.feed(event(T0 + 2 * M, 'die'), event(T0 + 3 * M, 'die'));
    const tooLate = event(T0 + M, 'die', { receivedAtMs: T0 + 3 * M + S });
    expect(h.feed(tooLate)).toEqual([]);
    expect(h.late).toEqual([tooLate]);
    expect(brief(h.feed(event(T0 + 4 * M, 'die')))).toEqual([['firing', 4 * M]]);
  });

  it('keeps counting per container', () => {
    const h = harness([loop]);
    expect(
      h.feed(
        event(T0, 'die', { name: 'a' }),
        event(T0 + S, 'die', { name: 'b' }),
        event(T0 + 2 * S, 'die', { name: 'a' }),
      ),
    ).toEqual([]);
    expect(h.feed(event(T0 + 3 * S, 'die', { name: 'a' }))).toHaveLength(1);
  });
});

describe('window helpers', () => {
  it('insertSorted keeps order and puts equal times after', () => {
    const times = [1, 3, 5];
    insertSorted(times, 4);
    insertSorted(times, 0);
    insertSorted(times, 9);
    expect(times).toEqual([0, 1, 3, 4, 5, 9]);
  });

  it('windowEnd finds the first run of N within the span, inclusive', () => {
    expect(windowEnd([0, 10, 20, 100], 3, 20)).toBe(20);
    expect(windowEnd([0, 10, 21, 100], 3, 20)).toBeUndefined();
    expect(windowEnd([0], 1, 0)).toBe(0);
  });
});
