import { EXAMPLE_RULES_YAML } from './example-rules.fixture';
import { loadRulesFile } from './rule-file.loader';

function errorOf(text: string): string {
  const result = loadRulesFile(text, 'rules.yaml');
  if (result.ok) throw new Error('expected the file to be refused');
  return result.error;
}

describe('loadRulesFile', () => {
  it('loads the example of the issue: all six rules', () => {
    const result = loadRulesFile(EXAMPLE_RULES_YAML, 'rules.yaml');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.rules.map((r) => [r.name, r.source])).toEqual([
      ['container-died', 'events'],
      ['restart-loop', 'events'],
      ['high-cpu', 'stats'],
      ['agent-silent', 'agents'],
      ['container-stats-missing', 'containers'],
      ['restart-web-on-oom', 'events'],
    ]);
    expect(result.rules[0]).toMatchObject({ severity: 'critical', labels: { team: 'ops' } });
    expect(result.rules[1].count).toEqual({ atLeast: 3, withinMs: 300_000 });
    expect(result.rules[2]).toMatchObject({ forMs: 120_000, keepFiringForMs: 60_000 });
    expect(result.rules[3].absentForMs).toBe(90_000);
    expect(result.rules[4].absentForMs).toBe(120_000);
    expect(result.rules[5].action).toEqual({ command: 'RESTART', cooldownMs: 600_000, maxAttempts: 3 });
  });

  it.each(['', '# only a comment\n', 'rules: []\n', 'rules:\n'])('%j is zero rules', (text) => {
    expect(loadRulesFile(text, 'rules.yaml')).toEqual({ ok: true, rules: [] });
  });

  it('names file, line and column of a YAML syntax error', () => {
    const text = EXAMPLE_RULES_YAML.replace('severity: critical', 'severity: [critical');
    expect(errorOf(text)).toMatch(/^rules\.yaml:6:\d+: /);
  });

  it('names the line of a bad `when` with CEL’s own message', () => {
    const text = EXAMPLE_RULES_YAML.replace(
      'when: \'event.action == "oom"\'',
      'when: \'event.action == == "oom"\'',
    );
    expect(errorOf(text)).toMatch(
      /^rules\.yaml:25:11: rule "restart-web-on-oom": \/when: <input>:1:\d+: found/,
    );
  });

  it('names the line of an unknown field in a condition', () => {
    const text = EXAMPLE_RULES_YAML.replace('stats.cpu_percent > 90', 'stats.cpu > 90');
    expect(errorOf(text)).toBe(
      `rules.yaml:14:11: rule "high-cpu": /when: 'stats' has no field 'cpu' (fields: cpu_percent, memory_usage, memory_limit, memory_percent, network_rx, network_tx)`,
    );
  });

  it('points at the rule for a missing field', () => {
    const text = 'rules:\n  - name: a\n    source: agents\n  - name: b\n    source: stats\n';
    expect(errorOf(text)).toBe('rules.yaml:2:5: rule "a": /absent_for: required for agents rules');
  });

  it('points at nested fields and unknown fields', () => {
    const nested =
      'rules:\n  - name: a\n    source: events\n    when: "true"\n    count:\n      at_least: 0\n      within: 1m\n';
    expect(errorOf(nested)).toMatch(/^rules\.yaml:6:17: rule "a": \/count\/at_least: must be between 1/);
    const unknown = 'rules:\n  - name: a\n    source: agents\n    absent_for: 1m\n    team: ops\n';
    expect(errorOf(unknown)).toMatch(/^rules\.yaml:5:11: rule "a": \/team: unknown field/);
  });

  it('refuses duplicate names at the second one', () => {
    const text =
      'rules:\n  - name: a\n    source: agents\n    absent_for: 1m\n  - name: a\n    source: agents\n    absent_for: 2m\n';
    expect(errorOf(text)).toBe('rules.yaml:5:11: duplicate rule name "a" (first at line 2)');
  });

  it('refuses duplicate keys in a rule', () => {
    expect(errorOf('rules:\n  - name: a\n    name: b\n')).toMatch(/^rules\.yaml:3:\d+: .*unique/);
  });

  it.each([
    ['- name: a\n', /^rules\.yaml:1:1: the file must be a map/],
    ['rule:\n  - name: a\n', /^rules\.yaml:1:1: unknown top-level key "rule"/],
    ['rules: {name: a}\n', /^rules\.yaml:1:8: rules must be a list/],
    [
      'rules:\n  - just-a-string\n',
      /^rules\.yaml:2:5: rule 1: : must be an object|^rules\.yaml:2:5: rule 1: rule: must be an object/,
    ],
  ])('refuses the shape %j', (text, error) => {
    expect(errorOf(text)).toMatch(error);
  });

  it('limits size and rule count', () => {
    expect(errorOf(`# ${'x'.repeat(1024 * 1024)}\n`)).toMatch(/^rules\.yaml:1:1: rules file is larger than/);
    const many = `rules:\n${Array.from({ length: 1001 }, (_, i) => `  - {name: r${i}, source: agents, absent_for: 1m}\n`).join('')}`;
    expect(errorOf(many)).toMatch(/^rules\.yaml:2:3: too many rules: 1001 > 1000/);
  });

  it('survives alias bombs', () => {
    const bomb = `rules:\n  - {name: r, source: agents, absent_for: 1m, labels: &a {x: y}}\n${Array.from({ length: 150 }, (_, i) => `  - {name: r${i}, source: agents, absent_for: 1m, labels: *a}\n`).join('')}`;
    expect(() => loadRulesFile(bomb, 'rules.yaml')).not.toThrow();
    const nested = `rules:\n  - &a {name: r, source: agents, absent_for: 1m}\n  - [${Array(120).fill('*a').join(', ')}]\n`;
    expect(errorOf(nested)).toMatch(/^rules\.yaml:3:5: rule 2: /);
  });
});
