import type { Producer } from 'kafkajs';
import { agentpb, commandspb, eventspb, HEADER, SCHEMA } from '@app/contracts';
import type { RunningControlApi } from '../../apps/control-api/src/control-api.app';
import { eventually } from '../support/eventually';
import { CollectedRecord, readTopics, testKafka } from '../support/kafka-records';
import { api, ApiAnswer, startTestControlApi, TOKEN } from '../support/test-control-api';
import { uniqueTopicPrefix } from '../support/test-gateway';

const S = commandspb.CommandStatus;
const ACME_AGENT = 'ag_acacacacacacacacacac';
const PAGED_AGENT = 'ag_acacacacacacacac0001';
const GLOBEX_AGENT = 'ag_01010101010101010101';
const WEB = 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f60001';
const DB = 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f60002';
const CACHE = 'ffee000000000000000000000000000000000000000000000000000000000003';
const CONTROL_API_ID = 'control-api-e2e';

interface CommandJson {
  command_id: string;
  tenant: string;
  requested_at: string;
  expires_at: string;
  requested_by: string;
}
const command = (answer: ApiAnswer) => answer.body as CommandJson;
const items = (answer: ApiAnswer) => (answer.body as { items: CommandJson[] }).items;

/**
 * The commands API against a real broker. The fleet is made by publishing what gateways would:
 * lifecycle REGISTERED records and container lists; delivery and outcome by publishing the
 * command-status records a gateway would write.
 */
describe('control-api: commands', () => {
  const prefix = uniqueTopicPrefix();
  const topics = { status: `${prefix}command-status`, log: `${prefix}commands` };
  let control: RunningControlApi;
  let producer: Producer;
  const call = (
    method: string,
    path: string,
    token: string | undefined,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => api(control.httpPort, method, path, token, body, headers);
  const post = (token: string, body: object, key?: string) =>
    call('POST', '/v1/commands', token, body, key === undefined ? {} : { 'idempotency-key': key });
  const restart = { agent_id: ACME_AGENT, host: 'h1', container: 'web', command: 'RESTART' };

  const start = async () => {
    control = await startTestControlApi({ KAFKA_TOPIC_PREFIX: prefix, CONTROL_API_ID });
    await eventually(async () => {
      expect((await fetch(`http://127.0.0.1:${control.httpPort}/readyz`)).status).toBe(200);
    }, 20_000);
  };

  beforeAll(async () => {
    await start();
    producer = testKafka().producer();
    await producer.connect();
    await registered('acme', ACME_AGENT, ['h1', 'h2']);
    await registered('acme', PAGED_AGENT, ['p1']);
    await registered('globex', GLOBEX_AGENT, ['g1']);
    await listed('acme', ACME_AGENT, 'h1', [
      { id: WEB, name: '/web' },
      { id: DB, name: '/db' },
      { id: CACHE, name: '/cache' },
    ]);
    await listed('acme', PAGED_AGENT, 'p1', [{ id: WEB, name: '/web' }]);
    await listed('globex', GLOBEX_AGENT, 'g1', [{ id: WEB, name: '/web' }]);
    await eventually(async () => {
      for (const [token, agent] of [
        [TOKEN.acme, ACME_AGENT],
        [TOKEN.acme, PAGED_AGENT],
        [TOKEN.globex, GLOBEX_AGENT],
      ]) {
        const containers = await call('GET', `/v1/agents/${agent}/containers`, token);
        expect(containers.body.hosts).toHaveLength(1);
      }
    }, 10_000);
  });
  afterAll(async () => {
    await producer?.disconnect();
    await control?.close();
  });

  async function registered(tenantId: string, agentId: string, hosts: string[]): Promise<void> {
    const event = eventspb.AgentLifecycleEvent.fromPartial({
      eventId: `${agentId}-registered`,
      kind: eventspb.LifecycleKind.LIFECYCLE_KIND_REGISTERED,
      tenantId,
      agentId,
      occurredAtMs: String(Date.now()),
      gatewayId: 'gw-test',
      agentName: agentId,
      hosts: hosts.map((name) => ({ name, addr: '10.0.0.1' })),
    });
    await producer.send({
      topic: `${prefix}lifecycle`,
      acks: -1,
      messages: [
        {
          key: agentId,
          value: Buffer.from(eventspb.AgentLifecycleEvent.encode(event).finish()),
          headers: {
            [HEADER.tenantId]: tenantId,
            [HEADER.agentId]: agentId,
            [HEADER.schema]: SCHEMA.lifecycle,
          },
        },
      ],
    });
  }

  async function listed(
    tenantId: string,
    agentId: string,
    host: string,
    containers: { id: string; name: string }[],
  ): Promise<void> {
    const message = agentpb.AgentMessage.fromPartial({
      type: agentpb.DataType.CONTAINER_LIST,
      host,
      timestamp: String(Date.now()),
      listData: {
        containers: containers.map((c) => ({ ...c, image: 'nginx', state: 'running', status: 'Up' })),
      },
    });
    await producer.send({
      topic: `${prefix}list`,
      acks: -1,
      messages: [
        {
          key: `${agentId}/${host}`,
          value: Buffer.from(agentpb.AgentMessage.encode(message).finish()),
          headers: {
            [HEADER.tenantId]: tenantId,
            [HEADER.agentId]: agentId,
            [HEADER.receivedAt]: String(Date.now()),
            [HEADER.schema]: SCHEMA.agentMessage,
          },
        },
      ],
    });
  }

  /** What a gateway writes when the command reaches a stream, or concludes. */
  async function gatewayWrites(
    request: commandspb.CommandRequest,
    status: commandspb.CommandStatus,
    extra: Partial<commandspb.CommandStatusChanged> = {},
  ): Promise<void> {
    const event = commandspb.CommandStatusChanged.fromPartial({
      eventId: `${request.commandId}-${status}-${Math.random()}`,
      commandId: request.commandId,
      status,
      atMs: String(Date.now()),
      writer: 'gw-test',
      command: request,
      ...extra,
    });
    await producer.send({
      topic: topics.status,
      acks: -1,
      messages: [
        {
          key: request.commandId,
          value: Buffer.from(commandspb.CommandStatusChanged.encode(event).finish()),
          headers: {
            [HEADER.tenantId]: request.tenantId,
            [HEADER.agentId]: request.agentId,
            [HEADER.messageId]: event.eventId,
            [HEADER.schema]: SCHEMA.commandStatus,
          },
        },
      ],
    });
  }

  /** The records of a command on both topics (its PENDING status and its log record). */
  async function recordsOf(commandId: string): Promise<{ status: CollectedRecord; log: CollectedRecord }> {
    const isStatus = (r: CollectedRecord) =>
      r.topic === topics.status && commandspb.CommandStatusChanged.decode(r.value).commandId === commandId;
    const isLog = (r: CollectedRecord) =>
      r.topic === topics.log &&
      commandspb.CommandLogRecord.decode(r.value).requested?.commandId === commandId;
    const records = await readTopics(
      [topics.status, topics.log],
      (all) => all.some(isStatus) && all.some(isLog),
    );
    return { status: records.find(isStatus)!, log: records.find(isLog)! };
  }

  it('POST → 202 pending; a PENDING status and the request on the agent command log, decoded', async () => {
    const answer = await post(TOKEN.acme, { ...restart, expires_in_seconds: 120 });
    expect(answer.status).toBe(202);
    const c = command(answer);
    expect(c).toMatchObject({
      status: 'pending',
      tenant: 'acme',
      agent_id: ACME_AGENT,
      host: 'h1',
      container: 'web',
      container_id: WEB,
      container_name: 'web',
      command: 'RESTART',
      requested_by: expect.stringMatching(/^tok_/),
      history: [{ status: 'pending', writer: CONTROL_API_ID }],
    });
    expect(c.command_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(c.expires_at) - Date.parse(c.requested_at)).toBe(120_000);
    // Shown at once.
    const got = await call('GET', `/v1/commands/${c.command_id}`, TOKEN.acme);
    expect([got.status, got.body.status, got.body.command_id]).toEqual([200, 'pending', c.command_id]);

    const { status, log } = await recordsOf(c.command_id);
    const event = commandspb.CommandStatusChanged.decode(status.value);
    expect(status.key).toBe(c.command_id);
    expect(event).toMatchObject({ status: S.COMMAND_STATUS_PENDING, writer: CONTROL_API_ID });
    const request = event.command!;
    expect(request).toMatchObject({
      commandId: c.command_id,
      tenantId: 'acme',
      agentId: ACME_AGENT,
      host: 'h1',
      container: 'web',
      containerId: WEB,
      containerName: 'web',
      action: commandspb.CommandAction.COMMAND_ACTION_RESTART,
      requestedBy: c.requested_by,
      requestHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(Number(request.expiresAtMs) - Number(request.requestedAtMs)).toBe(120_000);
    expect(status.headers).toMatchObject({
      [HEADER.tenantId]: 'acme',
      [HEADER.agentId]: ACME_AGENT,
      [HEADER.messageId]: event.eventId,
      [HEADER.schema]: SCHEMA.commandStatus,
    });
    const entry = commandspb.CommandLogRecord.decode(log.value);
    expect(log.key).toBe(ACME_AGENT);
    expect(entry).toMatchObject({ tenantId: 'acme', agentId: ACME_AGENT, writer: CONTROL_API_ID });
    expect(entry.requested).toEqual(request);
    expect(log.headers).toMatchObject({
      [HEADER.tenantId]: 'acme',
      [HEADER.agentId]: ACME_AGENT,
      [HEADER.messageId]: entry.recordId,
      [HEADER.schema]: SCHEMA.commandLog,
    });
  });

  it('the container by name with "/", by unique id prefix; an operator commands any tenant agent', async () => {
    const byName = await post(TOKEN.acme, { ...restart, container: '/db', command: 'STOP' });
    expect([byName.status, byName.body.container_id, byName.body.container_name]).toEqual([202, DB, 'db']);
    const byPrefix = await post(TOKEN.acme, { ...restart, container: 'ffee', command: 'START' });
    expect([byPrefix.status, byPrefix.body.container_id, byPrefix.body.container]).toEqual([
      202,
      CACHE,
      'ffee',
    ]);
    const byOperator = await post(TOKEN.operator, { ...restart, agent_id: GLOBEX_AGENT, host: 'g1' });
    expect([byOperator.status, byOperator.body.tenant]).toEqual([202, 'globex']);
    expect((await call('GET', `/v1/commands/${byOperator.body.command_id}`, TOKEN.globex)).status).toBe(200);
  });

  it.each([
    ['a wrong command', { ...restart, command: 'KILL' }, 400, 'invalid_request', '/body/command'],
    ['a missing host', { ...restart, host: undefined }, 400, 'invalid_request', '/body/host'],
    ['a missing container', { ...restart, container: undefined }, 400, 'invalid_request', '/body/container'],
    [
      'expires_in_seconds 0',
      { ...restart, expires_in_seconds: 0 },
      400,
      'invalid_request',
      '/body/expires_in_seconds',
    ],
    [
      'expires_in_seconds over 7 days',
      { ...restart, expires_in_seconds: 604801 },
      400,
      'invalid_request',
      '/body/expires_in_seconds',
    ],
    ['an unknown field', { ...restart, force: true }, 400, 'invalid_request', '/body/force'],
    ['a malformed agent id', { ...restart, agent_id: 'web-1' }, 400, 'invalid_request', '/body/agent_id'],
    [
      'an unknown agent',
      { ...restart, agent_id: 'ag_99999999999999999999' },
      404,
      'not_found',
      '/body/agent_id',
    ],
    ['an unknown host', { ...restart, host: 'h9' }, 404, 'not_found', '/body/host'],
    ['an unknown container', { ...restart, container: 'nginx' }, 404, 'not_found', '/body/container'],
    ['a host without a container list', { ...restart, host: 'h2' }, 404, 'not_found', '/body/container'],
    [
      'an ambiguous id prefix',
      { ...restart, container: 'a1b2' },
      409,
      'container_ambiguous',
      '/body/container',
    ],
    [
      "another tenant's agent",
      { ...restart, agent_id: GLOBEX_AGENT, host: 'g1' },
      404,
      'not_found',
      '/body/agent_id',
    ],
    [
      'a body over the limit',
      { ...restart, container: 'x'.repeat(20_000) },
      413,
      'payload_too_large',
      undefined,
    ],
  ] as const)('%s → a problem+json answer', async (_label, body, statusCode, code, field) => {
    const answer = await post(TOKEN.acme, body);
    expect(answer.type).toContain('application/problem+json');
    expect(answer.body).toMatchObject({ status: statusCode, code, ...(field ? { field } : {}) });
    if (statusCode === 404 && field) {
      const named = {
        '/body/agent_id': body.agent_id,
        '/body/host': body.host,
        '/body/container': body.container,
      }[field];
      expect(answer.body.detail).toContain(named);
    }
    expect(answer.status).toBe(statusCode);
  });

  it('Idempotency-Key: a retry gets the same command; another body 409; a bad key 400', async () => {
    const first = await post(TOKEN.acme, restart, 'deploy-42');
    expect(first.status).toBe(202);
    const again = await post(
      TOKEN.acme,
      { command: 'RESTART', container: 'web', host: 'h1', agent_id: ACME_AGENT },
      'deploy-42',
    );
    expect([again.status, again.body.command_id, again.body.idempotency_key]).toEqual([
      202,
      first.body.command_id,
      'deploy-42',
    ]);
    const concurrent = await Promise.all([1, 2, 3].map(() => post(TOKEN.acme, restart, 'deploy-43')));
    expect(concurrent.map((a) => a.status)).toEqual([202, 202, 202]);
    expect(new Set(concurrent.map((a) => command(a).command_id)).size).toBe(1);
    const conflict = await post(TOKEN.acme, { ...restart, command: 'STOP' }, 'deploy-42');
    expect([conflict.status, conflict.body.code, conflict.body.field]).toEqual([
      409,
      'idempotency_key_reused',
      '/header/idempotency-key',
    ]);
    for (const bad of ['x'.repeat(201), 'caf\u00e9']) {
      const answer = await post(TOKEN.acme, restart, bad).catch(() => undefined);
      // fetch refuses non-Latin-1 header values itself; a too long one reaches the API.
      if (answer) expect([answer.status, answer.body.field]).toEqual([400, '/header/idempotency-key']);
    }
    // The same key of another tenant is another key.
    const theirs = await post(TOKEN.globex, { ...restart, agent_id: GLOBEX_AGENT, host: 'g1' }, 'deploy-42');
    expect(theirs.status).toBe(202);
    expect(theirs.body.command_id).not.toBe(first.body.command_id);
    // Exactly one log record per command.
    const records = await readTopics([topics.log], (all) =>
      all.some(
        (r) =>
          commandspb.CommandLogRecord.decode(r.value).requested?.commandId === concurrent[0].body.command_id,
      ),
    );
    const ids = records.map((r) => commandspb.CommandLogRecord.decode(r.value).requested?.commandId);
    expect(ids.filter((id) => id === first.body.command_id)).toHaveLength(1);
    expect(ids.filter((id) => id === concurrent[0].body.command_id)).toHaveLength(1);
  });

  it("tenant isolation: globex can neither see nor list acme's command", async () => {
    const ours = command(await post(TOKEN.acme, restart));
    const got = await call('GET', `/v1/commands/${ours.command_id}`, TOKEN.globex);
    expect([got.status, got.body.code]).toEqual([404, 'not_found']);
    const listed = await call('GET', '/v1/commands?limit=500', TOKEN.globex);
    expect(listed.status).toBe(200);
    expect(items(listed).map((c) => c.tenant)).not.toContain('acme');
    const all = await call('GET', `/v1/commands?limit=500&agent_id=${ACME_AGENT}`, TOKEN.operator);
    expect(items(all).map((c) => c.command_id)).toContain(ours.command_id);
  });

  it('GET shows the history a gateway writes: delivered, then succeeded (duplicates and a late pending change nothing)', async () => {
    const created = command(await post(TOKEN.acme, restart));
    const { status } = await recordsOf(created.command_id);
    const request = commandspb.CommandStatusChanged.decode(status.value).command!;
    await gatewayWrites(request, S.COMMAND_STATUS_DELIVERED, { gatewayId: 'gw-7', streamId: 'st-1' });
    await gatewayWrites(request, S.COMMAND_STATUS_DELIVERED, { gatewayId: 'gw-8', streamId: 'st-2' });
    await gatewayWrites(request, S.COMMAND_STATUS_SUCCEEDED, { detail: 'restart event seen' });
    await gatewayWrites(request, S.COMMAND_STATUS_FAILED, { detail: 'too late' });
    await gatewayWrites(request, S.COMMAND_STATUS_PENDING);
    await eventually(async () => {
      const got = await call('GET', `/v1/commands/${created.command_id}`, TOKEN.acme);
      expect(got.body).toMatchObject({
        status: 'succeeded',
        command_id: created.command_id,
        container_id: WEB,
        history: [
          { status: 'pending', writer: CONTROL_API_ID },
          { status: 'delivered', writer: 'gw-test', gateway_id: 'gw-7', stream_id: 'st-1' },
          { status: 'succeeded', writer: 'gw-test', detail: 'restart event seen' },
        ],
      });
      expect(got.body.history).toHaveLength(3);
    }, 10_000);
    const succeeded = await call('GET', `/v1/commands?status=succeeded&agent_id=${ACME_AGENT}`, TOKEN.acme);
    expect(items(succeeded).map((c) => c.command_id)).toEqual([created.command_id]);
  });

  it('lists newest first, page by page with an opaque cursor', async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const stop = { agent_id: PAGED_AGENT, host: 'p1', container: 'web', command: 'STOP' };
      made.push(command(await post(TOKEN.acme, stop)).command_id);
      await new Promise((r) => setTimeout(r, 5));
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await call(
        'GET',
        `/v1/commands?agent_id=${PAGED_AGENT}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        TOKEN.acme,
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...items(page).map((c) => c.command_id));
      cursor = page.body.next_cursor;
      pages++;
      // A command made between pages is newer: it does not shift the pages still to come.
      if (pages === 1)
        await post(TOKEN.acme, { agent_id: PAGED_AGENT, host: 'p1', container: 'web', command: 'START' });
    } while (cursor);
    expect(seen).toEqual([...made].reverse());
    expect(pages).toBe(3);
    for (const [query, field] of [
      ['status=done', '/query/status'],
      ['limit=0', '/query/limit'],
      ['limit=501', '/query/limit'],
      ['cursor=bm90LWEtY3Vyc29y', '/query/cursor'],
      ['cursor=%20', '/query/cursor'],
    ]) {
      const answer = await call('GET', `/v1/commands?${query}`, TOKEN.acme);
      expect([query, answer.status, answer.body.field]).toEqual([query, 400, field]);
    }
  });

  it('GET of an unknown or malformed id: 404, 400', async () => {
    const unknown = await call('GET', '/v1/commands/0b7c9d3e-1f2a-4b5c-8d6e-7f8091a2b3c4', TOKEN.operator);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'not_found']);
    const malformed = await call('GET', '/v1/commands/not-an-id', TOKEN.operator);
    expect([malformed.status, malformed.body.field]).toEqual([400, '/path/command_id']);
  });

  it('401 without a valid token on every commands endpoint', async () => {
    for (const token of [undefined, 'not-a-token-not-a-token-0000']) {
      for (const [method, path, body] of [
        ['POST', '/v1/commands', restart],
        ['GET', '/v1/commands'],
        ['GET', '/v1/commands/0b7c9d3e-1f2a-4b5c-8d6e-7f8091a2b3c4'],
      ] as const) {
        const answer = await call(method, path, token, body);
        expect([path, answer.status, answer.body.code]).toEqual([path, 401, 'unauthorized']);
      }
    }
  });

  it('idempotency survives a restart of the control API (the index is rebuilt from command-status)', async () => {
    const first = await post(TOKEN.acme, restart, 'before-restart');
    expect(first.status).toBe(202);
    await control.close();
    await start();
    const again = await post(TOKEN.acme, restart, 'before-restart');
    expect([again.status, again.body.command_id, again.body.status]).toEqual([
      202,
      first.body.command_id,
      'pending',
    ]);
    const conflict = await post(TOKEN.acme, { ...restart, command: 'STOP' }, 'before-restart');
    expect(conflict.status).toBe(409);
    const got = await call('GET', `/v1/commands/${first.body.command_id}`, TOKEN.acme);
    expect(got.body.history).toEqual([expect.objectContaining({ status: 'pending' })]);
  });
});
