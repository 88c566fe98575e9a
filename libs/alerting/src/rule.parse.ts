import { compileCondition, MAX_CONDITION_LENGTH } from './cel.condition';
import { DAY_MS, FieldReader, isAbsent, type Fields } from './rule.fields';
import {
  ACTION_COMMANDS,
  RESERVED_LABELS,
  RULE_SOURCES,
  type ActionCommand,
  type ParseRuleResult,
  type RuleDefinition,
  type RuleSource,
} from './rule.types';

const RULE_FIELDS = [
  'name',
  'source',
  'when',
  'severity',
  'labels',
  'annotations',
  'count',
  'for',
  'keep_firing_for',
  'absent_for',
  'resolve_after',
  'action',
  'tenant',
] as const;
const NAME = /^[a-z0-9][a-z0-9_.-]{0,99}$/;
const SEVERITY = /^[a-z]{1,20}$/;
const TENANT = /^[A-Za-z0-9_.:-]{0,128}$/;
const DEFAULT_RESOLVE_AFTER_MS = 5 * 60_000;
const DEFAULT_COOLDOWN_MS = 10 * 60_000;
const DEFAULT_MAX_ATTEMPTS = 3;

/**
 * Validates a rule as written in the YAML file or sent to the API (snake_case, durations as
 * strings), compiles its CEL condition, and fills in defaults. Every problem is reported, each
 * under the JSON pointer of its field.
 */
export function parseRule(input: unknown): ParseRuleResult {
  const r = new FieldReader();
  const fields = r.object(input, '', RULE_FIELDS);
  if (!fields) return { ok: false, errors: r.errors };

  const name = required(r, fields, 'name', (v) => r.string(v, '/name', NAME));
  const source = required(r, fields, 'source', (v) => readSource(r, v));
  const when = isAbsent(fields.when) ? '' : r.string(fields.when, '/when', undefined, MAX_CONDITION_LENGTH);
  const severity = isAbsent(fields.severity) ? 'warning' : r.string(fields.severity, '/severity', SEVERITY);
  const labels = isAbsent(fields.labels) ? {} : r.stringMap(fields.labels, '/labels', RESERVED_LABELS);
  const annotations = isAbsent(fields.annotations) ? {} : r.stringMap(fields.annotations, '/annotations');
  const tenantId = isAbsent(fields.tenant) ? '' : r.string(fields.tenant, '/tenant', TENANT, 128);
  if (source === undefined) return { ok: false, errors: r.errors };

  const only = (field: string, sources: readonly RuleSource[]): boolean => {
    if (isAbsent(fields[field])) return false;
    if (sources.includes(source)) return true;
    r.fail(`/${field}`, `only allowed for ${sources.join('/')} rules, not ${source}`);
    return false;
  };
  const count = only('count', ['events']) ? readCount(r, fields.count) : undefined;
  const forMs = only('for', ['stats']) ? r.duration(fields.for, '/for', 0, DAY_MS) : 0;
  const keepFiringForMs = only('keep_firing_for', ['stats'])
    ? r.duration(fields.keep_firing_for, '/keep_firing_for', 0, DAY_MS)
    : 0;
  const absentForMs = only('absent_for', ['agents', 'containers'])
    ? r.duration(fields.absent_for, '/absent_for', 1000, DAY_MS)
    : 0;
  const resolveAfterMs = only('resolve_after', ['events'])
    ? r.duration(fields.resolve_after, '/resolve_after', 1000, 7 * DAY_MS)
    : source === 'events'
      ? DEFAULT_RESOLVE_AFTER_MS
      : 0;
  const action = only('action', ['events', 'stats', 'containers']) ? readAction(r, fields.action) : undefined;

  const absence = source === 'agents' || source === 'containers';
  if (absence && isAbsent(fields.absent_for)) r.fail('/absent_for', `required for ${source} rules`);
  if (when !== undefined && when.trim() === '') {
    if (!absence) r.fail('/when', `required for ${source} rules`);
  } else if (when !== undefined) {
    const compiled = compileCondition(source, when);
    if (!compiled.ok) r.fail('/when', compiled.message);
  }

  if (
    r.errors.length > 0 ||
    name === undefined ||
    when === undefined ||
    severity === undefined ||
    labels === undefined ||
    annotations === undefined ||
    tenantId === undefined ||
    forMs === undefined ||
    keepFiringForMs === undefined ||
    absentForMs === undefined ||
    resolveAfterMs === undefined
  ) {
    return { ok: false, errors: r.errors };
  }
  const rule: RuleDefinition = {
    name,
    source,
    when,
    severity,
    labels,
    annotations,
    forMs,
    keepFiringForMs,
    absentForMs,
    resolveAfterMs,
    tenantId,
  };
  if (count) rule.count = count;
  if (action) rule.action = action;
  return { ok: true, rule };
}

function required<T>(r: FieldReader, fields: Fields, key: string, read: (value: unknown) => T | undefined) {
  if (isAbsent(fields[key])) return r.fail(`/${key}`, 'required');
  return read(fields[key]);
}

function readSource(r: FieldReader, value: unknown): RuleSource | undefined {
  if (typeof value === 'string' && (RULE_SOURCES as readonly string[]).includes(value))
    return value as RuleSource;
  return r.fail('/source', `must be one of ${RULE_SOURCES.join(', ')}`);
}

function readCount(r: FieldReader, value: unknown): RuleDefinition['count'] {
  const fields = r.object(value, '/count', ['at_least', 'within']);
  if (!fields) return undefined;
  const atLeast = isAbsent(fields.at_least)
    ? r.fail('/count/at_least', 'required')
    : r.integer(fields.at_least, '/count/at_least', 1, 10_000);
  const withinMs = isAbsent(fields.within)
    ? r.fail('/count/within', 'required')
    : r.duration(fields.within, '/count/within', 1000, DAY_MS);
  return atLeast === undefined || withinMs === undefined ? undefined : { atLeast, withinMs };
}

function readAction(r: FieldReader, value: unknown): RuleDefinition['action'] {
  const fields = r.object(value, '/action', ['command', 'cooldown', 'max_attempts']);
  if (!fields) return undefined;
  let command: ActionCommand | undefined;
  if (typeof fields.command === 'string' && (ACTION_COMMANDS as readonly string[]).includes(fields.command)) {
    command = fields.command as ActionCommand;
  } else {
    r.fail(
      '/action/command',
      `${isAbsent(fields.command) ? 'required' : 'invalid'}: one of ${ACTION_COMMANDS.join(', ')}`,
    );
  }
  const cooldownMs = isAbsent(fields.cooldown)
    ? DEFAULT_COOLDOWN_MS
    : r.duration(fields.cooldown, '/action/cooldown', 0, 7 * DAY_MS);
  const maxAttempts = isAbsent(fields.max_attempts)
    ? DEFAULT_MAX_ATTEMPTS
    : r.integer(fields.max_attempts, '/action/max_attempts', 1, 100);
  if (command === undefined || cooldownMs === undefined || maxAttempts === undefined) return undefined;
  return { command, cooldownMs, maxAttempts };
}
