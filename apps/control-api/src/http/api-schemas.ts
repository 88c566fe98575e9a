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
export const ProblemDocument = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string(),
  detail: z.string(),
  field: z.string().optional(),
  instance: z.string().optional(),
});
