import { parseRule } from './rule.parse';
import type { ParseRuleResult } from './rule.types';

const events = { name: 'died', source: 'events', when: 'event.action == "die"' };
const stats = { name: 'cpu', source: 'stats', when: 'stats.cpu_percent > 90' };
const agents = { name: 'silent', source: 'agents', absent_for: '90s' };
const containers = { name: 'missing', source: 'containers', absent_for: '2m' };

function errorsOf(result: ParseRuleResult) {
  return result.ok ? [] : result.errors;
}
function expectError(input: unknown, field: string, message: RegExp | string = /./) {
  const errors = errorsOf(parseRule(input));
  expect(errors).toContainEqual({ field, message: expect.stringMatching(message) });
}

describe('parseRule', () => {
  it('fills in defaults', () => {
    expect(parseRule(events)).toEqual({
      ok: true,
      rule: {
        name: 'died',
        source: 'events',
        when: 'event.action == "die"',
        severity: 'warning',
        labels: {},
        annotations: {},
        forMs: 0,
        keepFiringForMs: 0,
        absentForMs: 0,
        resolveAfterMs: 300_000,
        tenantId: '',
      },
    });
  });

  it('reads every field', () => {
    const result = parseRule({
      ...stats,
      severity: 'critical',
      labels: { team: 'ops', _x: '' },
      annotations: { summary: '{{ .container }} hot' },
      for: '2m',
      keep_firing_for: '1m',
      action: { command: 'RESTART' },
      tenant: 'acme',
    });
    expect(result).toMatchObject({
      ok: true,
      rule: {
        severity: 'critical',
        labels: { team: 'ops', _x: '' },
        annotations: { summary: '{{ .container }} hot' },
        forMs: 120_000,
        keepFiringForMs: 60_000,
        resolveAfterMs: 0,
        action: { command: 'RESTART', cooldownMs: 600_000, maxAttempts: 3 },
        tenantId: 'acme',
      },
    });
  });

  it('reads count, resolve_after and absence filters', () => {
    expect(parseRule({ ...events, count: { at_least: 3, within: '5m' }, resolve_after: '1h' })).toMatchObject(
      {
        ok: true,
        rule: { count: { atLeast: 3, withinMs: 300_000 }, resolveAfterMs: 3_600_000 },
      },
    );
    expect(parseRule({ ...agents, when: 'agent.name.startsWith("edge")' })).toMatchObject({
      ok: true,
      rule: { absentForMs: 90_000, when: 'agent.name.startsWith("edge")' },
    });
    expect(
      parseRule({ ...containers, action: { command: 'START', cooldown: '1m', max_attempts: 100 } }),
    ).toMatchObject({
      ok: true,
      rule: { action: { command: 'START', cooldownMs: 60_000, maxAttempts: 100 } },
    });
  });

  it('treats YAML empty values (null) as absent', () => {
    expect(parseRule({ ...events, severity: null, labels: null })).toMatchObject({ ok: true });
  });

  it.each([
    [null, '', /object/],
    [[], '', /object/],
    ['rule', '', /object/],
  ])('refuses a non-object %j', (input, field, message) => expectError(input, field, message));

  describe('field rules', () => {
    it.each([
      ['unknown field', { ...events, severity_level: 'x' }, '/severity_level', /unknown field/],
      ['missing name', { source: 'events', when: 'true' }, '/name', 'required'],
      ['bad name', { ...events, name: 'Died' }, '/name', /must match/],
      ['long name', { ...events, name: 'a'.repeat(101) }, '/name', /must match/],
      ['missing source', { name: 'x', when: 'true' }, '/source', 'required'],
      ['bad source', { ...events, source: 'logs' }, '/source', /one of events, stats/],
      ['missing when (events)', { name: 'x', source: 'events' }, '/when', 'required for events rules'],
      ['empty when (stats)', { ...stats, when: '  ' }, '/when', 'required for stats rules'],
      ['when not a string', { ...stats, when: true }, '/when', /must be a string/],
      ['when too long', { ...stats, when: `true${' '.repeat(4096)}` }, '/when', /at most 4096/],
      ['CEL syntax', { ...stats, when: 'stats.cpu_percent >' }, '/when', /<input>:1:\d+: /],
      ['CEL unknown variable', { ...stats, when: 'cpu > 1' }, '/when', /undeclared reference to 'cpu'/],
      ['bad severity', { ...events, severity: 'Critical!' }, '/severity', /must match/],
      ['labels not a map', { ...events, labels: ['a'] }, '/labels', /map of strings/],
      ['label key', { ...events, labels: { 'a-b': 'x' } }, '/labels/a-b', /name must match/],
      ['label key slash', { ...events, labels: { 'a/b': 'x' } }, '/labels/a~1b', /name must match/],
      [
        'label key length',
        { ...events, labels: { ['k'.repeat(65)]: 'x' } },
        `/labels/${'k'.repeat(65)}`,
        /64/,
      ],
      ['label value type', { ...events, labels: { team: 1 } }, '/labels/team', /must be a string/],
      ['label value length', { ...events, labels: { team: 'x'.repeat(1025) } }, '/labels/team', /1024/],
      ['reserved label', { ...events, labels: { severity: 'x' } }, '/labels/severity', /set by the alerter/],
      ['annotation key', { ...events, annotations: { '1st': 'x' } }, '/annotations/1st', /name must match/],
      [
        'too many labels',
        { ...events, labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`l${i}`, 'v'])) },
        '/labels',
        /at most 32/,
      ],
      [
        'count on stats',
        { ...stats, count: { at_least: 2, within: '1m' } },
        '/count',
        /only allowed for events/,
      ],
      [
        'count at_least 0',
        { ...events, count: { at_least: 0, within: '1m' } },
        '/count/at_least',
        /between 1/,
      ],
      [
        'count at_least float',
        { ...events, count: { at_least: 1.5, within: '1m' } },
        '/count/at_least',
        /integer/,
      ],
      ['count within missing', { ...events, count: { at_least: 2 } }, '/count/within', 'required'],
      ['count within number', { ...events, count: { at_least: 2, within: 60 } }, '/count/within', /no unit/],
      [
        'count unknown',
        { ...events, count: { at_least: 2, within: '1m', per: 'host' } },
        '/count/per',
        /unknown/,
      ],
      ['for on events', { ...events, for: '1m' }, '/for', /only allowed for stats/],
      ['for > 1 day', { ...stats, for: '25h' }, '/for', /at most 1d/],
      ['for bad', { ...stats, for: '2 minutes' }, '/for', /invalid duration/],
      ['keep_firing_for on agents', { ...agents, keep_firing_for: '1m' }, '/keep_firing_for', /only allowed/],
      ['absent_for missing', { name: 'x', source: 'agents' }, '/absent_for', 'required for agents rules'],
      ['absent_for on stats', { ...stats, absent_for: '1m' }, '/absent_for', /only allowed for agents/],
      ['absent_for < 1s', { ...agents, absent_for: '500ms' }, '/absent_for', /at least 1s/],
      ['absent_for > 1 day', { ...containers, absent_for: '2d' }, '/absent_for', /at most 1d/],
      [
        'resolve_after on stats',
        { ...stats, resolve_after: '1m' },
        '/resolve_after',
        /only allowed for events/,
      ],
      ['resolve_after < 1s', { ...events, resolve_after: '10ms' }, '/resolve_after', /at least 1s/],
      ['action on agents', { ...agents, action: { command: 'RESTART' } }, '/action', /only allowed/],
      [
        'action command',
        { ...events, action: { command: 'KILL' } },
        '/action/command',
        /invalid: one of START/,
      ],
      ['action command missing', { ...events, action: {} }, '/action/command', /required/],
      [
        'action cooldown',
        { ...events, action: { command: 'STOP', cooldown: 'soon' } },
        '/action/cooldown',
        /dura/,
      ],
      [
        'max_attempts 0',
        { ...events, action: { command: 'STOP', max_attempts: 0 } },
        '/action/max_attempts',
        /1/,
      ],
      [
        'max_attempts 101',
        { ...events, action: { command: 'STOP', max_attempts: 101 } },
        '/action/max_attempts',
        /100/,
      ],
      ['action not an object', { ...events, action: 'RESTART' }, '/action', /must be an object/],
      ['tenant type', { ...events, tenant: 7 }, '/tenant', /must be a string/],
      ['tenant chars', { ...events, tenant: 'a b' }, '/tenant', /must match/],
    ])('%s', (_name, input, field, message) => expectError(input, field, message));
  });

  it('reports every problem at once', () => {
    const errors = errorsOf(parseRule({ name: 'X', source: 'stats', when: 'nope > 1', for: 90, count: {} }));
    expect(errors.map((e) => e.field).sort()).toEqual(['/count', '/for', '/name', '/when']);
  });
});
