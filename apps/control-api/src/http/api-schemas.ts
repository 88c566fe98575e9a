import { z } from 'zod';

/**
 * Every request and response shape of the API, once: the controllers validate with these and
 * the OpenAPI document is generated from them (openapi.document.ts).
 */
export const TENANT = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a tenant: 1 to 64 of [A-Za-z0-9_-]');
export const KEY_ID = z.string().regex(/^[0-9a-f]{12}$/, 'a key id: 12 lowercase hex digits');
export const AGENT_ID = z.string().regex(/^ag_[0-9a-f]{20}$/, 'an agent id: ag_ + 20 lowercase hex digits');
const NAME = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(128, 'at most 128 characters')
  .regex(/^[^\p{Cc}]*$/u, 'no control characters');
const LIMIT = z.coerce.number().int().min(1).max(500).default(100);
const CURSOR = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'a cursor from next_cursor');
const TIME = z.iso.datetime();

export const IssueKeyBody = z.strictObject({
  name: NAME,
  /** Required with an operator token, refused with a tenant token. */
  tenant: TENANT.optional(),
});
export const RotateKeyBody = z.strictObject({
  /** How long the old key keeps working; 0 ends it at once. */
  grace_seconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 86400),
});
export const KeyIdParams = z.strictObject({ key_id: KEY_ID });
export const AgentIdParams = z.strictObject({ agent_id: AGENT_ID });
export const ListKeysQuery = z.strictObject({ limit: LIMIT, cursor: CURSOR.optional() });
export const ListAgentsQuery = z.strictObject({
  limit: LIMIT,
  cursor: CURSOR.optional(),
  status: z.enum(['online', 'offline']).optional(),
});

export const KeyStatus = z.enum(['active', 'expiring', 'expired', 'revoked']);
export const AgentKey = z.object({
  key_id: KEY_ID,
  agent_id: AGENT_ID,
  tenant: TENANT,
  name: z.string(),
  status: KeyStatus,
  created_at: TIME,
  updated_at: TIME,
  expires_at: TIME.optional(),
  rotated_from: KEY_ID.optional(),
  rotated_to: KEY_ID.optional(),
});
export const IssuedKey = z.object({
  key_id: KEY_ID,
  agent_id: AGENT_ID,
  tenant: TENANT,
  name: z.string(),
  key: z.string().regex(/^ak_[A-Za-z0-9]{32}$/),
  created_at: TIME,
  rotated_from: KEY_ID.optional(),
});
export const KeyPage = z.object({ items: z.array(AgentKey), next_cursor: z.string().optional() });

const Host = z.object({ name: z.string(), addr: z.string() });
export const Agent = z.object({
  agent_id: z.string(),
  tenant: TENANT,
  name: z.string(),
  key_id: z.string().optional(),
  hosts: z.array(Host),
  status: z.enum(['online', 'offline']),
  last_seen: TIME,
  streams: z.array(z.object({ stream_id: z.string(), gateway_id: z.string(), since: TIME })),
});
export const AgentPage = z.object({ items: z.array(Agent), next_cursor: z.string().optional() });
export const Containers = z.object({
  agent_id: z.string(),
  hosts: z.array(
    z.object({
      host: z.string(),
      reported_at: TIME,
      containers: z.array(
        z.object({
          id: z.string(),
          name: z.string(),
          image: z.string(),
          state: z.string(),
          status: z.string(),
        }),
      ),
    }),
  ),
});
/** Commands (apps/control-api/src/commands). */
export const COMMAND_ACTIONS = ['START', 'STOP', 'RESTART'] as const;
export const COMMAND_STATUSES = [
  'pending',
  'delivered',
  'succeeded',
  'failed',
  'timed_out',
  'expired',
] as const;
export const MAX_COMMAND_EXPIRY_SECONDS = 7 * 86400;
export const COMMAND_ID = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a command id: a lowercase UUID');
const TARGET = (what: string) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(256, 'at most 256 characters')
    .regex(/^[^\p{Cc}]*$/u, `no control characters in a ${what}`);
export const CreateCommandBody = z.strictObject({
  agent_id: AGENT_ID,
  /** A host of the agent, as it registered it or reports container lists for it. */
  host: TARGET('host'),
  /** As with Docker: a full id, a name (with or without its leading "/"), or a unique id prefix. */
  container: TARGET('container'),
  command: z.enum(COMMAND_ACTIONS, { message: 'one of START, STOP, RESTART' }),
  /** Not delivered within this many seconds: expired. Default COMMAND_DEFAULT_EXPIRY_SECONDS. */
  expires_in_seconds: z
    .number({ message: 'a whole number of seconds' })
    .int('a whole number of seconds')
    .min(1, 'at least 1')
    .max(MAX_COMMAND_EXPIRY_SECONDS, `at most ${MAX_COMMAND_EXPIRY_SECONDS} (7 days)`)
    .optional(),
});
/** `Idempotency-Key` request header. */
export const CommandHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x20-\x7e]{1,200}$/, '1 to 200 printable ASCII characters')
    .optional(),
});
export const CommandIdParams = z.strictObject({ command_id: COMMAND_ID });
export const ListCommandsQuery = z.strictObject({
  agent_id: AGENT_ID.optional(),
  status: z.enum(COMMAND_STATUSES, { message: `one of ${COMMAND_STATUSES.join(', ')}` }).optional(),
  limit: LIMIT,
  cursor: CURSOR.optional(),
});
export const CommandTransition = z.object({
  status: z.enum(COMMAND_STATUSES),
  at: TIME,
  writer: z.string(),
  detail: z.string().optional(),
  gateway_id: z.string().optional(),
  stream_id: z.string().optional(),
});
export const Command = z.object({
  command_id: COMMAND_ID,
  tenant: TENANT,
  agent_id: z.string(),
  host: z.string(),
  /** As the request named it. */
  container: z.string(),
  container_id: z.string(),
  container_name: z.string(),
  command: z.enum(COMMAND_ACTIONS),
  status: z.enum(COMMAND_STATUSES),
  requested_at: TIME,
  expires_at: TIME,
  /** The API token id (`tok_…`) or `alerter:<rule>`. */
  requested_by: z.string(),
  idempotency_key: z.string().optional(),
  updated_at: TIME,
  /** One entry per status reached, in the order pending, delivered, the terminal one. */
  history: z.array(CommandTransition),
});
export const CommandPage = z.object({ items: z.array(Command), next_cursor: z.string().optional() });
export const ProblemDocument = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string(),
  detail: z.string(),
  field: z.string().optional(),
  instance: z.string().optional(),
});
