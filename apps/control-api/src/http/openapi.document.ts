import { z } from 'zod';
import * as A from '../alerts/alerting.schemas';
import * as S from './api-schemas';

interface Route {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  body?: z.ZodType;
  /** Status of success → its body schema (null: no body). */
  ok: [number, z.ZodType | null];
  errors: number[];
}

/**
 * Every route of the API. openapi.document.spec.ts (against the controllers' metadata) and the
 * control-api e2e (against the running app's router) check that the app serves exactly these.
 */
export const ROUTES: Route[] = [
  {
    method: 'post',
    path: '/v1/agent-keys',
    summary: 'Issue an agent key (shown once)',
    body: S.IssueKeyBody,
    ok: [201, S.IssuedKey],
    errors: [400, 401, 413],
  },
  {
    method: 'get',
    path: '/v1/agent-keys',
    summary: 'List agent keys (never a secret)',
    query: S.ListKeysQuery,
    ok: [200, S.KeyPage],
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/v1/agent-keys/{key_id}',
    summary: 'One agent key',
    params: S.KeyIdParams,
    ok: [200, S.AgentKey],
    errors: [400, 401, 404],
  },
  {
    method: 'post',
    path: '/v1/agent-keys/{key_id}/rotate',
    summary: 'A new key for the same agent; the old one works until the grace ends',
    params: S.KeyIdParams,
    body: S.RotateKeyBody,
    ok: [201, S.IssuedKey],
    errors: [400, 401, 404, 409, 413],
  },
  {
    method: 'delete',
    path: '/v1/agent-keys/{key_id}',
    summary: 'Revoke an agent key; gateways end its streams',
    params: S.KeyIdParams,
    ok: [204, null],
    errors: [400, 401, 404],
  },
  {
    method: 'get',
    path: '/v1/agents',
    summary: 'The fleet: agents, online or offline',
    query: S.ListAgentsQuery,
    ok: [200, S.AgentPage],
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/v1/agents/{agent_id}',
    summary: 'One agent',
    params: S.AgentIdParams,
    ok: [200, S.Agent],
    errors: [400, 401, 404],
  },
  {
    method: 'get',
    path: '/v1/agents/{agent_id}/containers',
    summary: 'The latest container list of each host of an agent',
    params: S.AgentIdParams,
    ok: [200, S.Containers],
    errors: [400, 401, 404],
  },
  {
    method: 'post',
    path: '/v1/commands',
    summary:
      'Start, stop or restart a container (202: accepted, pending). With Idempotency-Key, a retry gets the same command',
    headers: S.CommandHeaders,
    body: S.CreateCommandBody,
    ok: [202, S.Command],
    errors: [400, 401, 404, 409, 413, 503],
  },
  {
    method: 'get',
    path: '/v1/commands',
    summary: 'Commands, newest first',
    query: S.ListCommandsQuery,
    ok: [200, S.CommandPage],
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/v1/commands/{command_id}',
    summary: 'One command: its status and the history of its transitions',
    params: S.CommandIdParams,
    ok: [200, S.Command],
    errors: [400, 401, 404],
  },
  {
    method: 'put',
    path: '/v1/alert-rules/{name}',
    summary:
      "Create (201) or replace (200) an alert rule: the YAML file fields as JSON; 400 names the field (CEL errors with CEL's message)",
    params: A.RuleNameParams,
    body: A.PutRuleBody,
    ok: [200, A.AlertRule],
    errors: [400, 401, 404, 413, 503],
  },
  {
    method: 'get',
    path: '/v1/alert-rules',
    summary: 'Alert rules set through this API, by name (the alerter file rules are not listed)',
    query: A.ListRulesQuery,
    ok: [200, A.AlertRulePage],
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/v1/alert-rules/{name}',
    summary: 'One alert rule',
    params: A.RuleNameParams,
    ok: [200, A.AlertRule],
    errors: [400, 401, 404],
  },
  {
    method: 'delete',
    path: '/v1/alert-rules/{name}',
    summary: 'Delete an alert rule (a tombstone on the alert-rules topic)',
    params: A.RuleNameParams,
    ok: [204, null],
    errors: [400, 401, 404, 503],
  },
  {
    method: 'post',
    path: '/v1/silences',
    summary: 'Silence the notifications of the alerts matching every matcher, from starts_at to ends_at',
    body: A.CreateSilenceBody,
    ok: [201, A.Silence],
    errors: [400, 401, 413, 503],
  },
  {
    method: 'get',
    path: '/v1/silences',
    summary: 'Silences, newest first',
    query: A.ListSilencesQuery,
    ok: [200, A.SilencePage],
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/v1/silences/{id}',
    summary: 'One silence',
    params: A.SilenceIdParams,
    ok: [200, A.Silence],
    errors: [400, 401, 404],
  },
  {
    method: 'delete',
    path: '/v1/silences/{id}',
    summary: 'Expire a silence now',
    params: A.SilenceIdParams,
    ok: [204, null],
    errors: [400, 401, 404, 503],
  },
  {
    method: 'get',
    path: '/v1/alerts',
    summary: 'Current alerts (default: firing and pending), newest first, with notifications and remediation',
    query: A.ListAlertsQuery,
    ok: [200, A.AlertPage],
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/v1/alerts/{fingerprint}',
    summary: 'One alert',
    params: A.FingerprintParams,
    ok: [200, A.Alert],
    errors: [400, 401, 404],
  },
];

function schema(type: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const json = z.toJSONSchema(type, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

function parameters(where: 'path' | 'query' | 'header', object: z.ZodObject | undefined): unknown[] {
  if (!object) return [];
  const json = schema(object, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
  }));
}

/** The OpenAPI 3.1 document, generated from the same zod schemas the controllers validate with. */
export function openApiDocument(serverUrl?: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const [okStatus, okBody] = route.ok;
    const responses: Record<string, unknown> = {
      [okStatus]: okBody
        ? { description: 'OK', content: { 'application/json': { schema: schema(okBody, 'output') } } }
        : { description: 'No Content' },
    };
    for (const status of route.errors) {
      responses[status] = {
        description: 'Problem',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }
    (paths[route.path] ??= {})[route.method] = {
      summary: route.summary,
      operationId: `${route.method}${route.path.replace(/[{}]/g, '').replace(/[/_-](\w)/g, (_, c: string) => c.toUpperCase())}`,
      security: [{ bearer: [] }],
      parameters: [
        ...parameters('path', route.params),
        ...parameters('query', route.query),
        ...parameters('header', route.headers),
      ],
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schema(route.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Container agent control API',
      version: '1.0.0',
      description:
        'Agent keys, the fleet view, container commands, alert rules, silences and alerts. Errors are application/problem+json (RFC 9457) with a stable code.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    paths,
    components: {
      schemas: { Problem: schema(S.ProblemDocument, 'output') },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'CONTROL_API_TOKENS entry' },
      },
    },
  };
}
