export const RULE_SOURCES = ['events', 'stats', 'agents', 'containers'] as const;
export type RuleSource = (typeof RULE_SOURCES)[number];

export const ACTION_COMMANDS = ['START', 'STOP', 'RESTART'] as const;
export type ActionCommand = (typeof ACTION_COMMANDS)[number];

/** Labels the alerter sets on every alert itself; a rule may not set them. */
export const RESERVED_LABELS: readonly string[] = [
  'alertname',
  'severity',
  'tenant',
  'agent_id',
  'host',
  'container',
];

/** A validated rule; every duration in milliseconds, defaults filled in. */
export interface RuleDefinition {
  name: string;
  source: RuleSource;
  /** CEL condition; '' only for agents/containers rules (no filter). */
  when: string;
  /** Default 'warning'. */
  severity: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Events only: fire when at least `atLeast` matches per container within `withinMs`. */
  count?: { atLeast: number; withinMs: number };
  /** Stats only: the condition must hold this long before firing (0 = at once). */
  forMs: number;
  /** Stats only: keep firing this long after the condition stopped holding. */
  keepFiringForMs: number;
  /** Agents/containers only: fire when nothing was heard for this long. */
  absentForMs: number;
  /** Events only (default 5m): resolved after this long without a new match; 0 for other sources. */
  resolveAfterMs: number;
  /** Remediation, opt-in: a command sent to the alert's container. */
  action?: { command: ActionCommand; cooldownMs: number; maxAttempts: number };
  /** '' = every tenant. */
  tenantId: string;
}

export interface FieldError {
  /** JSON pointer into the rule as written: `/when`, `/count/at_least`, `/labels/team`. */
  field: string;
  message: string;
}

export type ParseRuleResult = { ok: true; rule: RuleDefinition } | { ok: false; errors: FieldError[] };
