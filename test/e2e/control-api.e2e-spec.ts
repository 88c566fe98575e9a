import { status } from '@grpc/grpc-js';
import { compileErrors, validate } from '@readme/openapi-parser';
import type { RunningControlApi } from '../../apps/control-api/src/control-api.app';
import type { RunningGateway } from '../../apps/gateway/src/gateway.app';
import {
  agentClient,
  bearer,
  expectGrpcError,
  heartbeat,
  register,
  statsMessage,
  streamMessages,
} from '../support/agent-client';
import { eventually } from '../support/eventually';
import { api, startTestControlApi, TOKEN } from '../support/test-control-api';
import { startTestGateway, uniqueTopicPrefix } from '../support/test-gateway';

const OFFLINE_AFTER_MS = 1500;

/** The ids of a page of items. */
function ids(page: unknown, field: 'key_id' | 'agent_id'): string[] {
  return (page as { items: Record<string, string>[] }).items.map((item) => item[field]);
}

describe('control-api with two gateways', () => {
  const prefix = uniqueTopicPrefix();
  let control: RunningControlApi;
  let gateways: RunningGateway[] = [];
  // The second gateway has no AGENT_KEYS: it runs on issued keys alone.
  const startGateways = async () => {
    gateways = await Promise.all(
      ([{}, { AGENT_KEYS: '' }] as Record<string, string>[]).map((env) =>
        startTestGateway({ KAFKA_TOPIC_PREFIX: prefix, ...env }),
      ),
    );
  };
  const call = (method: string, path: string, token: string | undefined, body?: unknown) =>
    api(control.httpPort, method, path, token, body);
  const issue = async (token: string, body: object) => {
    const answer = await call('POST', '/v1/agent-keys', token, body);
    expect(answer.status).toBe(201);
    return answer.body as { key_id: string; agent_id: string; key: string };
  };

  beforeAll(async () => {
    control = await startTestControlApi({
      KAFKA_TOPIC_PREFIX: prefix,
      AGENT_OFFLINE_AFTER_MS: String(OFFLINE_AFTER_MS),
    });
    await startGateways();
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await control?.close();
  });

  it("a key issued over HTTP works on either gateway (one without AGENT_KEYS), with its record's agent id", async () => {
    const issued = await issue(TOKEN.acme, { name: 'web-1' });
    expect(issued.key).toMatch(/^ak_[A-Za-z0-9]{32}$/);
    for (const gateway of gateways) {
      const client = agentClient(gateway.grpcPort);
      const answer = await eventually(
        () => register(client, bearer(issued.key), { agentKey: issued.key, agentName: 'web-1' }),
        5000,
      );
      expect(answer.agentId).toBe(issued.agent_id);
      client.close();
    }
  });

  it('revoking a key ends an open stream on the other gateway with UNAUTHENTICATED within 1 s', async () => {
    const issued = await issue(TOKEN.acme, { name: 'doomed' });
    const client = agentClient(gateways[1].grpcPort);
    await eventually(
      () => register(client, bearer(issued.key), { agentKey: issued.key, agentName: 'doomed' }),
      5000,
    );
    let opened!: () => void;
    const isOpen = new Promise<void>((r) => (opened = r));
    const ended = streamMessages(client, bearer(issued.key), [statsMessage(issued.key, 'h1', 1)], {
      halfClose: false,
      onOpen: () => setTimeout(opened, 300),
    });
    await isOpen;
    const started = Date.now();
    expect((await call('DELETE', `/v1/agent-keys/${issued.key_id}`, TOKEN.acme)).status).toBe(204);
    const result = await ended;
    const latencyMs = Date.now() - started;
    process.stdout.write(`revoke → stream ended: ${latencyMs} ms\n`);
    expect(result.code).toBe(status.UNAUTHENTICATED);
    expect(latencyMs).toBeLessThanOrEqual(1000);
    const refused = await expectGrpcError(
      heartbeat(agentClient(gateways[0].grpcPort), bearer(issued.key), {
        agentKey: issued.key,
        timestamp: '1',
      }),
    );
    expect(refused.code).toBe(status.UNAUTHENTICATED);
    expect((await call('GET', `/v1/agent-keys/${issued.key_id}`, TOKEN.acme)).body.status).toBe('revoked');
    client.close();
  });

  it('rotation with grace: both keys work, same agent id, then the old one is refused', async () => {
    const old = await issue(TOKEN.acme, { name: 'rotating' });
    const rotated = await call('POST', `/v1/agent-keys/${old.key_id}/rotate`, TOKEN.acme, {
      grace_seconds: 2,
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body.agent_id).toBe(old.agent_id);
    expect(rotated.body.key).not.toBe(old.key);
    const client = agentClient(gateways[0].grpcPort);
    const fresh = rotated.body.key as string;
    const viaNew = await eventually(
      () => register(client, bearer(fresh), { agentKey: fresh, agentName: 'r' }),
      5000,
    );
    expect(viaNew.agentId).toBe(old.agent_id);
    expect((await register(client, bearer(old.key), { agentKey: old.key, agentName: 'r' })).agentId).toBe(
      old.agent_id,
    );
    await eventually(async () => {
      const e = await expectGrpcError(
        register(client, bearer(old.key), { agentKey: old.key, agentName: 'r' }),
      );
      expect(e.code).toBe(status.UNAUTHENTICATED);
    }, 5000);
    expect(
      (await call('POST', `/v1/agent-keys/${old.key_id}/rotate`, TOKEN.acme, { grace_seconds: 0 })).body.code,
    ).toBe('key_not_active');
    client.close();
  });

  it('tenant A cannot list, read, rotate or revoke tenant B keys, nor see its agents (404)', async () => {
    const theirs = await issue(TOKEN.operator, { name: 'globex-1', tenant: 'globex' });
    const client = agentClient(gateways[0].grpcPort);
    await eventually(
      () => register(client, bearer(theirs.key), { agentKey: theirs.key, agentName: 'g' }),
      5000,
    );
    client.close();
    const listed = await call('GET', '/v1/agent-keys?limit=500', TOKEN.acme);
    expect(ids(listed.body, 'key_id')).not.toContain(theirs.key_id);
    for (const [method, path, body] of [
      ['GET', `/v1/agent-keys/${theirs.key_id}`],
      ['POST', `/v1/agent-keys/${theirs.key_id}/rotate`, { grace_seconds: 0 }],
      ['DELETE', `/v1/agent-keys/${theirs.key_id}`],
      ['GET', `/v1/agents/${theirs.agent_id}`],
      ['GET', `/v1/agents/${theirs.agent_id}/containers`],
    ] as const) {
      const answer = await call(method, path, TOKEN.acme, body);
      expect([path, answer.status, answer.type]).toEqual([
        path,
        404,
        expect.stringContaining('application/problem+json'),
      ]);
    }
    await eventually(async () =>
      expect((await call('GET', `/v1/agents/${theirs.agent_id}`, TOKEN.globex)).status).toBe(200),
    );
    const agents = await call('GET', '/v1/agents', TOKEN.acme);
    expect(ids(agents.body, 'agent_id')).not.toContain(theirs.agent_id);
    expect((await call('GET', `/v1/agent-keys/${theirs.key_id}`, TOKEN.operator)).status).toBe(200);
  });

  it('online → offline → online as an agent stops and resumes heartbeats', async () => {
    const issued = await issue(TOKEN.acme, { name: 'beating' });
    const client = agentClient(gateways[0].grpcPort);
    await eventually(
      () =>
        register(client, bearer(issued.key), {
          agentKey: issued.key,
          agentName: 'beating',
          hosts: [{ name: 'h1', addr: '10.0.0.1' }],
        }),
      5000,
    );
    const statusNow = async (): Promise<unknown> =>
      (await call('GET', `/v1/agents/${issued.agent_id}`, TOKEN.acme)).body as unknown;
    await eventually(async () => {
      const agent = await statusNow();
      expect(agent).toMatchObject({
        status: 'online',
        name: 'beating',
        key_id: issued.key_id,
        hosts: [{ name: 'h1', addr: '10.0.0.1' }],
      });
    }, 5000);
    await eventually(
      async () => expect(((await statusNow()) as { status: string }).status).toBe('offline'),
      OFFLINE_AFTER_MS + 5000,
    );
    const offline = await call('GET', '/v1/agents?status=offline&limit=500', TOKEN.acme);
    expect(ids(offline.body, 'agent_id')).toContain(issued.agent_id);
    await heartbeat(client, bearer(issued.key), { agentKey: issued.key, timestamp: String(Date.now()) });
    await eventually(
      async () => expect(((await statusNow()) as { status: string }).status).toBe('online'),
      5000,
    );
    client.close();
  });

  it('both gateways restarted: the registry is rebuilt from the topic', async () => {
    const kept = await issue(TOKEN.acme, { name: 'survivor' });
    const gone = await issue(TOKEN.acme, { name: 'revoked-before-restart' });
    expect((await call('DELETE', `/v1/agent-keys/${gone.key_id}`, TOKEN.acme)).status).toBe(204);
    await Promise.all(gateways.map((g) => g.close()));
    await startGateways();
    for (const gateway of gateways) {
      const client = agentClient(gateway.grpcPort);
      expect((await register(client, bearer(kept.key), { agentKey: kept.key, agentName: 's' })).agentId).toBe(
        kept.agent_id,
      );
      const e = await expectGrpcError(
        register(client, bearer(gone.key), { agentKey: gone.key, agentName: 'g' }),
      );
      expect(e.code).toBe(status.UNAUTHENTICATED);
      client.close();
    }
  });

  it.each([
    [
      'unknown field',
      'POST',
      '/v1/agent-keys',
      { name: 'x', color: 'red' },
      400,
      'invalid_request',
      '/body/color',
    ],
    ['wrong type', 'POST', '/v1/agent-keys', { name: 5 }, 400, 'invalid_request', '/body/name'],
    [
      'oversized name',
      'POST',
      '/v1/agent-keys',
      { name: 'x'.repeat(129) },
      400,
      'invalid_request',
      '/body/name',
    ],
    [
      'tenant from a tenant token',
      'POST',
      '/v1/agent-keys',
      { name: 'x', tenant: 'globex' },
      400,
      'tenant_not_allowed',
      '/body/tenant',
    ],
    [
      'body over the limit',
      'POST',
      '/v1/agent-keys',
      { name: 'x'.repeat(20_000) },
      413,
      'payload_too_large',
      undefined,
    ],
    ['malformed JSON', 'POST', '/v1/agent-keys', '{"name":', 400, 'invalid_request', undefined],
    [
      'path id that is not an id',
      'GET',
      '/v1/agent-keys/..%2Fetc',
      undefined,
      400,
      'invalid_request',
      '/path/key_id',
    ],
    [
      'agent id that is not an id',
      'GET',
      '/v1/agents/nope',
      undefined,
      400,
      'invalid_request',
      '/path/agent_id',
    ],
    [
      'bad grace',
      'POST',
      '/v1/agent-keys/abcdef012345/rotate',
      { grace_seconds: -1 },
      400,
      'invalid_request',
      '/body/grace_seconds',
    ],
    [
      'unknown query parameter',
      'GET',
      '/v1/agent-keys?tenant=globex',
      undefined,
      400,
      'invalid_request',
      '/query/tenant',
    ],
    ['unknown key', 'GET', '/v1/agent-keys/abcdef012345', undefined, 404, 'not_found', undefined],
  ] as const)('%s → a problem+json answer', async (_label, method, path, body, statusCode, code, field) => {
    const answer = await call(method, path, TOKEN.acme, body);
    expect(answer.type).toContain('application/problem+json');
    expect(answer.body).toMatchObject({ status: statusCode, code, ...(field ? { field } : {}) });
    expect(answer.status).toBe(statusCode);
  });

  it('401 without a valid token', async () => {
    for (const token of [undefined, 'not-a-token-not-a-token-0000']) {
      const answer = await call('GET', '/v1/agent-keys', token);
      expect([answer.status, answer.body.code]).toEqual([401, 'unauthorized']);
    }
  });

  it('serves a valid OpenAPI 3.1 document with every route the app serves, and /docs', async () => {
    const doc = (await call('GET', '/openapi.json', undefined)).body;
    const result = await validate(structuredClone(doc));
    if (!result.valid) throw new Error(compileErrors(result));
    expect([result.specification, doc.openapi, result.warnings]).toEqual(['OpenAPI', '3.1.0', []]);
    const documented = Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m} ${p}`),
    );
    const served = servedRoutes(control).filter((r) => r.includes(' /v1/'));
    expect(served.length).toBeGreaterThanOrEqual(8);
    expect(documented.sort()).toEqual(served);
    const docs = await fetch(`http://127.0.0.1:${control.httpPort}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('/v1/agent-keys/{key_id}/rotate');
  });
});

interface ExpressLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** `get /v1/agents/{agent_id}` for every route in the running app's Express router. */
function servedRoutes(control: RunningControlApi): string[] {
  const express = control.app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } };
  return express.router.stack
    .flatMap((layer) =>
      layer.route
        ? Object.keys(layer.route.methods).map((m) => `${m} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`)
        : [],
    )
    .sort();
}
