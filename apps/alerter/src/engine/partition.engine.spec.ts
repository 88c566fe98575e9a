import { loadRulesFile } from '@app/alerting';
import { EXAMPLE_RULES_YAML } from '../../../../libs/alerting/src/example-rules.fixture';
import type { EngineRule } from './engine.types';
import { M, S, T0, agent, brief, event, harness, list, rule, stats } from './engine.test-kit';
import { fingerprintOf } from './fingerprint';
import { PartitionEngine } from './partition.engine';

const anyDie = rule({ name: 'any-die', source: 'events', when: 'event.action == "die"' });

describe('PartitionEngine: failure isolation', () => {
  it('a CEL error on one rule is reported, counts as no match, and does not stop another rule', () => {
    const broken = rule({ name: 'exit-code', source: 'events', when: 'int(event.attrs["exitCode"]) > 0' });
    const h = harness([broken, anyDie]);
    const changes = h.feed(event(T0, 'die'));
    expect(changes.map((c) => c.ruleName)).toEqual(['any-die']);
    expect(h.errors).toHaveLength(1);
    expect(h.errors[0][0]).toBe('exit-code');
    expect(
      h.feed(event(T0 + S, 'die', { name: 'db', attrs: { exitCode: '2' } })).map((c) => c.ruleName),
    ).toEqual(['exit-code', 'any-die']);
  });

  it('an exception thrown by a rule never escapes ingest or tick', () => {
    const throwing: EngineRule = {
      definition:
        anyDie.definition.name === 'x' ? anyDie.definition : { ...anyDie.definition, name: 'throws' },
      condition: {
        source: 'events',
        text: 'boom',
        evaluate: () => {
          throw new Error('boom');
        },
      },
    };
    const h = harness([throwing, anyDie]);
    expect(h.feed(event(T0, 'die')).map((c) => c.ruleName)).toEqual(['any-die']);
    expect(h.errors).toEqual([['throws', 'boom']]);
    expect(() => h.engine.tick(T0 + M)).not.toThrow();
  });

  it('hooks that throw do not change the outcome', () => {
    const fail = () => {
      throw new Error('metrics down');
    };
    const bad = rule({ name: 'bad', source: 'events', when: 'int(event.attrs["x"]) > 0' });
    const engine = new PartitionEngine(
      () => [bad, anyDie],
      { maxLatenessMs: 0 },
      { ruleError: fail, late: fail },
    );
    expect(engine.ingest(event(T0, 'die'))).toHaveLength(1);
    expect(engine.ingest(event(T0 - M, 'die'))).toEqual([]);
  });
});

describe('PartitionEngine: scope and labels', () => {
  it('a tenant-scoped rule only sees its tenant', () => {
    const h = harness([
      rule({ name: 'only-t2', source: 'events', when: 'event.action == "die"', tenant: 't2' }),
    ]);
    expect(h.feed(event(T0, 'die', { tenantId: 't1' }))).toEqual([]);
    expect(h.feed(event(T0, 'die', { tenantId: 't2' }))).toHaveLength(1);
  });

  it('fingerprints are sha256 of rule and sorted labels, stable across runs', () => {
    const labels = { team: 'ops', alertname: 'r', severity: 'warning' };
    expect(fingerprintOf('r', labels)).toBe(
      fingerprintOf('r', { severity: 'warning', alertname: 'r', team: 'ops' }),
    );
    expect(fingerprintOf('r', labels)).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprintOf('r', labels)).toBe('d1779ce392f4aefb');
    expect(fingerprintOf('r', { a: 'b,c' })).not.toBe(fingerprintOf('r', { a: 'b', c: '' }));
    const first = harness([anyDie]).feed(event(T0, 'die'))[0];
    const second = harness([anyDie]).feed(event(T0 + M, 'die', { receivedAtMs: T0 + 2 * M }))[0];
    expect(first.fingerprint).toBe(second.fingerprint);
    expect(first.fingerprint).toBe(fingerprintOf('any-die', first.labels));
  });
});

describe('PartitionEngine: rules changing', () => {
  it('resolves the alerts of a rule that disappeared at the next tick', () => {
    const h = harness([anyDie]);
    h.feed(event(T0, 'die'));
    h.state.rules = [];
    expect(h.feed(event(T0 + S, 'die'))).toEqual([]);
    const resolved = h.engine.tick(T0 + 2 * S);
    expect(brief(resolved)).toEqual([['resolved', 2 * S]]);
    expect(resolved[0].endsAtMs).toBe(T0 + 2 * S);
    expect(h.engine.alerts()).toEqual([]);
  });

  it('keeps state when the definition changes with the same source; moves the alert if labels change', () => {
    const h = harness([anyDie]);
    const [fired] = h.feed(event(T0, 'die'));
    h.state.rules = [
      rule({ name: 'any-die', source: 'events', when: 'event.action == "die"', resolve_after: '10m' }),
    ];
    expect(h.engine.tick(T0 + 6 * M)).toEqual([]);
    h.state.rules = [
      rule({
        name: 'any-die',
        source: 'events',
        when: 'event.action == "die"',
        labels: { team: 'x' },
        resolve_after: '10m',
      }),
    ];
    const moved = h.engine.tick(T0 + 7 * M);
    expect(moved.map((c) => [c.state, c.fingerprint === fired.fingerprint])).toEqual([
      ['resolved', true],
      ['firing', false],
    ]);
    expect(moved[1]).toMatchObject({ startsAtMs: T0, labels: { team: 'x' } });
    expect(h.engine.alerts()).toEqual([moved[1]]);
  });

  it('drops state and resolves when the source changes', () => {
    const h = harness([anyDie]);
    h.feed(event(T0, 'die'));
    h.state.rules = [rule({ name: 'any-die', source: 'stats', when: 'stats.cpu_percent > 90' })];
    expect(brief(h.engine.tick(T0 + S))).toEqual([['resolved', S]]);
    expect(brief(h.feed(stats(T0 + 2 * S, 95)))).toEqual([['firing', 2 * S]]);
  });
});

describe('PartitionEngine: memory bounds', () => {
  it('caps tracked series and reports the refusals', () => {
    const h = harness([anyDie], 0, 2);
    h.feed(event(T0, 'die', { name: 'a' }));
    h.feed(event(T0, 'die', { name: 'b' }));
    expect(h.feed(event(T0, 'die', { name: 'c' }))).toEqual([]);
    expect(h.capped.length).toBeGreaterThan(0);
  });

  it('forgets idle series without a live alert', () => {
    const h = harness([anyDie]);
    h.feed(event(T0, 'die'));
    h.engine.tick(T0 + 6 * M);
    expect(h.engine.trackedSeries()).toBe(2);
    h.engine.tick(T0 + 2 * 60 * M);
    expect(h.engine.trackedSeries()).toBe(0);
  });
});

describe('PartitionEngine: the example rules of the issue', () => {
  it('loads and runs end to end', () => {
    const loaded = loadRulesFile(EXAMPLE_RULES_YAML, 'rules.yaml');
    if (!loaded.ok) throw new Error(loaded.error);
    const rules = loaded.rules.map((definition) => rule(definitionAsWritten(definition)));
    const h = harness(rules, 60 * S);
    h.feed(agent(T0, 'registered'), list(T0, [{ id: 'c1', name: 'web' }]));
    const died = h.feed(event(T0 + S, 'die', { attrs: { exitCode: '137' } }));
    expect(died.map((c) => c.ruleName)).toEqual(['container-died']);
    expect(died[0].annotations.summary).toBe('web on h1 exited with 137');
    const oom = h.feed(event(T0 + 2 * S, 'oom'), event(T0 + 3 * S, 'die', { attrs: { exitCode: '143' } }));
    expect(oom.map((c) => c.ruleName)).toEqual(['restart-web-on-oom']);
    expect(h.feed(event(T0 + 4 * S, 'die', { attrs: { exitCode: '0' } })).map((c) => c.ruleName)).toEqual([
      'restart-loop',
    ]);
  });
});

/** Back from a RuleDefinition to what a YAML author writes, to reuse the spec's rule builder. */
function definitionAsWritten(d: EngineRule['definition']): Record<string, unknown> {
  const written: Record<string, unknown> = { name: d.name, source: d.source, severity: d.severity };
  if (d.when) written.when = d.when;
  if (Object.keys(d.labels).length) written.labels = d.labels;
  if (Object.keys(d.annotations).length) written.annotations = d.annotations;
  if (d.count) written.count = { at_least: d.count.atLeast, within: `${d.count.withinMs}ms` };
  if (d.forMs) written.for = `${d.forMs}ms`;
  if (d.keepFiringForMs) written.keep_firing_for = `${d.keepFiringForMs}ms`;
  if (d.absentForMs) written.absent_for = `${d.absentForMs}ms`;
  return written;
}
