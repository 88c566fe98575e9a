import { z } from 'zod';
import { AGENT_ID, COMMAND_ID, COMMAND_STATUSES, TENANT } from '../http/api-schemas';

/**
 * Request and response shapes of the alerting routes (rules, silences, alerts); validated with
 * these, and the OpenAPI document is generated from them, like api-schemas.ts.
 */
const TIME = z.iso.datetime();
const LIMIT = z.coerce.number().int().min(1).max(500).default(100);
const CURSOR = z.string().regex(/^[A-Za-z0-9_-]{1,400}$/, 'a cursor from next_cursor');
const LABELS = z.record(z.string(), z.string());
/** null: every tenant (an operator's rule or silence). */
const SCOPE = TENANT.nullable();

/** Alert rules (the rule library, libs/alerting, validates the body itself). */
export const RULE_NAME = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_.-]{0,99}$/,
    'a rule name: 1 to 100 of [a-z0-9_.-], starting with a letter or digit',
  );
export const RuleNameParams = z.strictObject({ name: RULE_NAME });
export const ListRulesQuery = z.strictObject({ limit: LIMIT, cursor: CURSOR.optional() });
const DURATION = z.string().describe('a duration: 30s, 5m, 1h30m, 2d');
/** The body of PUT: the rule's fields as in the YAML file; the name is the path's. */
export const PutRuleBody = z
  .object({
    name: z.string().optional().describe('if given, equal to the path'),
    source: z.enum(['events', 'stats', 'agents', 'containers']),
    when: z.string().optional().describe('CEL; required except for agents/containers rules'),
    severity: z.string().optional(),
    labels: LABELS.optional(),
    annotations: LABELS.optional(),
    count: z.object({ at_least: z.number().int(), within: DURATION }).optional(),
    for: DURATION.optional(),
    keep_firing_for: DURATION.optional(),
    absent_for: DURATION.optional(),
    resolve_after: DURATION.optional(),
    action: z
      .object({
        command: z.enum(['START', 'STOP', 'RESTART']),
        cooldown: DURATION.optional(),
        max_attempts: z.number().int().optional(),
      })
      .optional(),
    tenant: TENANT.optional().describe(
      'operator tokens only: the tenant the rule watches; absent: every tenant',
    ),
  })
  .strict();
export const AlertRule = z.object({
  name: z.string(),
  source: z.enum(['events', 'stats', 'agents', 'containers']),
  when: z.string(),
  severity: z.string(),
  labels: LABELS,
  annotations: LABELS,
  count: z.object({ at_least: z.number().int(), within: z.string() }).optional(),
  for: z.string().optional(),
  keep_firing_for: z.string().optional(),
  absent_for: z.string().optional(),
  resolve_after: z.string().optional(),
  action: z
    .object({
      command: z.enum(['START', 'STOP', 'RESTART']),
      cooldown: z.string(),
      max_attempts: z.number().int(),
    })
    .optional(),
  tenant: SCOPE,
  revision: z.number().int(),
  updated_at: TIME,
  /** The API token id (`tok_…`) that set it. */
  updated_by: z.string(),
});
export const AlertRulePage = z.object({ items: z.array(AlertRule), next_cursor: z.string().optional() });

/** Silences. */
export const MAX_SILENCE_MATCHERS = 32;
export const MAX_SILENCE_DAYS = 90;
export { MAX_REGEX_LENGTH as MAX_SILENCE_REGEX_LENGTH } from '@app/alerting';
export const SILENCE_ID = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a silence id: a lowercase UUID');
export const SILENCE_STATES = ['active', 'pending', 'expired'] as const;
export const SilenceMatcher = z.strictObject({
  name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a label name: [a-zA-Z_][a-zA-Z0-9_]*'),
  value: z.string().max(1024, 'at most 1024 characters'),
  /** The value is a regular expression matching the whole label value (RE2 syntax). */
  is_regex: z.boolean().default(false),
  /** false: the label must NOT match. */
  is_equal: z.boolean().default(true),
});
export const CreateSilenceBody = z.strictObject({
  matchers: z
    .array(SilenceMatcher)
    .min(1, 'at least one matcher')
    .max(MAX_SILENCE_MATCHERS, `at most ${MAX_SILENCE_MATCHERS} matchers`),
  /** Default: now. */
  starts_at: TIME.optional(),
  ends_at: TIME,
  comment: z
    .string()
    .min(1, 'must not be empty')
    .refine((c) => Buffer.byteLength(c) <= 1024, 'at most 1 KiB'),
  /** Operator tokens only: the tenant whose alerts it silences; absent: every tenant. */
  tenant: TENANT.optional(),
});
export const SilenceIdParams = z.strictObject({ id: SILENCE_ID });
export const ListSilencesQuery = z.strictObject({
  state: z.enum(SILENCE_STATES, { message: `one of ${SILENCE_STATES.join(', ')}` }).optional(),
  limit: LIMIT,
  cursor: CURSOR.optional(),
});
export const Silence = z.object({
  id: SILENCE_ID,
  tenant: SCOPE,
  matchers: z.array(
    z.object({ name: z.string(), value: z.string(), is_regex: z.boolean(), is_equal: z.boolean() }),
  ),
  starts_at: TIME,
  ends_at: TIME,
  comment: z.string(),
  created_by: z.string(),
  created_at: TIME,
  state: z.enum(SILENCE_STATES),
  /** Expired early through DELETE. */
  deleted: z.boolean(),
});
export const SilencePage = z.object({ items: z.array(Silence), next_cursor: z.string().optional() });

/** Alerts (read only: the alerter writes them). */
export const ALERT_STATES = ['pending', 'firing', 'resolved'] as const;
export const FINGERPRINT = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'a fingerprint from an alert');
export const FingerprintParams = z.strictObject({ fingerprint: FINGERPRINT });
export const ListAlertsQuery = z.strictObject({
  /** One state or several, comma-separated; default `firing,pending`. */
  state: z
    .string()
    .default('firing,pending')
    .refine(
      (s) => s.split(',').every((x) => (ALERT_STATES as readonly string[]).includes(x.trim())),
      `one or more (comma-separated) of ${ALERT_STATES.join(', ')}`,
    )
    .transform((s) => s.split(',').map((x) => x.trim() as (typeof ALERT_STATES)[number])),
  rule: RULE_NAME.optional(),
  agent_id: AGENT_ID.optional(),
  limit: LIMIT,
  cursor: CURSOR.optional(),
});
export const Alert = z.object({
  fingerprint: z.string(),
  rule: z.string(),
  state: z.enum(ALERT_STATES),
  tenant: z.string(),
  agent_id: z.string(),
  host: z.string(),
  container_id: z.string(),
  container_name: z.string(),
  labels: LABELS,
  annotations: LABELS,
  /** What made it fire, as text (e.g. the cpu_percent). */
  value: z.string(),
  starts_at: TIME,
  ends_at: TIME.optional(),
  /** Time of its latest transition. */
  updated_at: TIME,
  notifications: z.array(
    z.object({
      channel: z.string(),
      state: z.enum(ALERT_STATES).optional(),
      ok: z.boolean(),
      attempts: z.number().int(),
      detail: z.string().optional(),
      at: TIME,
    }),
  ),
  /** Commands sent by the rule's action; status from the command-status topic (unknown once forgotten). */
  remediation: z.array(
    z.object({
      command_id: COMMAND_ID.or(z.string()),
      attempt: z.number().int(),
      command: z.string(),
      status: z.enum([...COMMAND_STATUSES, 'unknown']),
      detail: z.string().optional(),
    }),
  ),
});
export const AlertPage = z.object({ items: z.array(Alert), next_cursor: z.string().optional() });
