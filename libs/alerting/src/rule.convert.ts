import type { alertspb } from '@app/contracts';
import { formatDuration } from './duration';
import type { ActionCommand, RuleDefinition, RuleSource } from './rule.types';

/** The rule as it travels on the alert-rules topic (int64 as decimal strings, per ts-proto). */
export function ruleToProto(rule: RuleDefinition): alertspb.AlertRule {
  return {
    name: rule.name,
    source: rule.source,
    when: rule.when,
    severity: rule.severity,
    labels: { ...rule.labels },
    annotations: { ...rule.annotations },
    count: rule.count ? { atLeast: rule.count.atLeast, withinMs: String(rule.count.withinMs) } : undefined,
    forMs: String(rule.forMs),
    keepFiringForMs: String(rule.keepFiringForMs),
    absentForMs: String(rule.absentForMs),
    resolveAfterMs: String(rule.resolveAfterMs),
    action: rule.action
      ? {
          command: rule.action.command,
          cooldownMs: String(rule.action.cooldownMs),
          maxAttempts: rule.action.maxAttempts,
        }
      : undefined,
    tenantId: rule.tenantId,
  };
}

/**
 * The inverse of ruleToProto. It converts and does not validate: a record from the topic was
 * validated by whoever wrote it; to check one anyway, `parseRule(ruleToJson(ruleFromProto(p)))`.
 */
export function ruleFromProto(p: alertspb.AlertRule): RuleDefinition {
  const rule: RuleDefinition = {
    name: p.name,
    source: p.source as RuleSource,
    when: p.when,
    severity: p.severity,
    labels: { ...p.labels },
    annotations: { ...p.annotations },
    forMs: Number(p.forMs),
    keepFiringForMs: Number(p.keepFiringForMs),
    absentForMs: Number(p.absentForMs),
    resolveAfterMs: Number(p.resolveAfterMs),
    tenantId: p.tenantId,
  };
  if (p.count) rule.count = { atLeast: p.count.atLeast, withinMs: Number(p.count.withinMs) };
  if (p.action) {
    rule.action = {
      command: p.action.command as ActionCommand,
      cooldownMs: Number(p.action.cooldownMs),
      maxAttempts: p.action.maxAttempts,
    };
  }
  return rule;
}

export interface RuleJson {
  name: string;
  source: RuleSource;
  when: string;
  severity: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  count?: { at_least: number; within: string };
  for?: string;
  keep_firing_for?: string;
  absent_for?: string;
  resolve_after?: string;
  action?: { command: ActionCommand; cooldown: string; max_attempts: number };
  tenant: string;
}

/**
 * The rule as the API shows it: the file's snake_case fields, durations as canonical strings,
 * defaults written out. Only the fields valid for the rule's source appear, so the output parses
 * back with parseRule into the same rule.
 */
export function ruleToJson(rule: RuleDefinition): RuleJson {
  const json: RuleJson = {
    name: rule.name,
    source: rule.source,
    when: rule.when,
    severity: rule.severity,
    labels: { ...rule.labels },
    annotations: { ...rule.annotations },
    tenant: rule.tenantId,
  };
  switch (rule.source) {
    case 'events':
      if (rule.count)
        json.count = { at_least: rule.count.atLeast, within: formatDuration(rule.count.withinMs) };
      json.resolve_after = formatDuration(rule.resolveAfterMs);
      break;
    case 'stats':
      json.for = formatDuration(rule.forMs);
      json.keep_firing_for = formatDuration(rule.keepFiringForMs);
      break;
    case 'agents':
    case 'containers':
      json.absent_for = formatDuration(rule.absentForMs);
      break;
  }
  if (rule.action) {
    json.action = {
      command: rule.action.command,
      cooldown: formatDuration(rule.action.cooldownMs),
      max_attempts: rule.action.maxAttempts,
    };
  }
  return json;
}
