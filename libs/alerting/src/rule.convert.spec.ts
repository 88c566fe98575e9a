import { alertspb } from '@app/contracts';
import { EXAMPLE_RULES_YAML } from './example-rules.fixture';
import { loadRulesFile } from './rule-file.loader';
import { ruleFromProto, ruleToJson, ruleToProto } from './rule.convert';
import { parseRule } from './rule.parse';
import type { RuleDefinition } from './rule.types';

function exampleRules(): RuleDefinition[] {
  const loaded = loadRulesFile(EXAMPLE_RULES_YAML, 'rules.yaml');
  if (!loaded.ok) throw new Error(loaded.error);
  return loaded.rules;
}

const everything: RuleDefinition = {
  name: 'all.fields_1',
  source: 'events',
  when: 'event.action == "oom"',
  severity: 'critical',
  labels: { team: 'ops', tier: 'web' },
  annotations: { summary: '{{ .container }} oom' },
  count: { atLeast: 2, withinMs: 90_500 },
  forMs: 0,
  keepFiringForMs: 0,
  absentForMs: 0,
  resolveAfterMs: 3_600_000,
  action: { command: 'STOP', cooldownMs: 0, maxAttempts: 100 },
  tenantId: 'acme',
};

describe('rule conversions', () => {
  it.each([...exampleRules(), everything].map((rule) => [rule.name, rule]))(
    '%s: proto round trip through the wire encoding is lossless',
    (_name, rule) => {
      const bytes = alertspb.AlertRule.encode(ruleToProto(rule)).finish();
      expect(ruleFromProto(alertspb.AlertRule.decode(bytes))).toEqual(rule);
    },
  );

  it.each([...exampleRules(), everything].map((rule) => [rule.name, rule]))(
    '%s: ruleToJson parses back into the same rule',
    (_name, rule) => {
      expect(parseRule(JSON.parse(JSON.stringify(ruleToJson(rule))))).toEqual({ ok: true, rule });
    },
  );

  it('writes the API shape in snake_case with durations as strings', () => {
    const [died, loop, cpu, silent, , oom] = exampleRules();
    expect(ruleToJson(died)).toEqual({
      name: 'container-died',
      source: 'events',
      when: 'event.action == "die" && !(event.attrs["exitCode"] in ["0", "143"])',
      severity: 'critical',
      labels: { team: 'ops' },
      annotations: { summary: '{{ .container }} on {{ .host }} exited with {{ .attrs.exitCode }}' },
      resolve_after: '5m',
      tenant: '',
    });
    expect(ruleToJson(loop).count).toEqual({ at_least: 3, within: '5m' });
    expect(ruleToJson(cpu)).toMatchObject({ for: '2m', keep_firing_for: '1m' });
    expect(ruleToJson(silent)).toMatchObject({ absent_for: '1m30s' });
    expect(ruleToJson(oom).action).toEqual({ command: 'RESTART', cooldown: '10m', max_attempts: 3 });
  });

  it('omits count and action from the proto when the rule has none', () => {
    const proto = ruleToProto(exampleRules()[2]);
    expect(proto.count).toBeUndefined();
    expect(proto.action).toBeUndefined();
    expect(proto.forMs).toBe('120000');
  });
});
