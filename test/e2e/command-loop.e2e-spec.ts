import { randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { agentpb, commandspb } from '@app/contracts';
import type { RunningControlApi } from '../../apps/control-api/src/control-api.app';
import type { RunningGateway } from '../../apps/gateway/src/gateway.app';
import { CommandAgent } from '../support/command-agent';
import { eventually } from '../support/eventually';
import { api, startTestControlApi, TOKEN } from '../support/test-control-api';
import { testKafka } from '../support/kafka-records';
import { gatewayCounter, KEY, startTestGateway, uniqueTopicPrefix } from '../support/test-gateway';
import { TopicTail } from '../support/topic-tail';

const { CommandStatus } = commandspb;
const { CommandType } = agentpb;

/**
 * The command loop end to end: the control-api takes commands over HTTP, two gateways share the
 * command log, agents on the generated gRPC client receive them, and their container events tell
 * the outcome. Every ServerMessage an agent ever receives is kept, across all its connections, so
 * "exactly once" is counted, not assumed.
 */
describe('command loop: control-api, two gateways, agents on the generated client', () => {
  const prefix = uniqueTopicPrefix();
  let control: RunningControlApi;
  let gateways: RunningGateway[] = [];
  const agents: CommandAgent[] = [];
  const statusTail = new TopicTail([`${prefix}command-status`], (v) =>
    commandspb.CommandStatusChanged.decode(v),
  );

  const startGateways = async (ids: string[]) => {
    gateways = await Promise.all(
      ids.map((id) =>
        startTestGateway({
          KAFKA_TOPIC_PREFIX: prefix,
          GATEWAY_ID: id,
          COMMAND_OUTCOME_TIMEOUT_MS: '3000',
          COMMAND_START_SETTLE_MS: '200',
        }),
      ),
    );
  };
  const startControl = async () => {
    control = await startTestControlApi({ KAFKA_TOPIC_PREFIX: prefix });
  };

  beforeAll(async () => {
    await startGateways(['gw-a', 'gw-b']);
    await startControl();
    await statusTail.start();
  }, 120_000);

  afterAll(async () => {
    agents.forEach((a) => a.kill());
    await Promise.all(gateways.map((g) => g.close()));
    await control?.close();
    await statusTail.stop();
  });

  /** Every ServerMessage each key's agent received, over all its connections. */
  const received = (key: string) => agents.filter((a) => a.key === key).flatMap((a) => a.commands);
  const connect = async (key: string, gateway: RunningGateway) => {
    const agent = await new CommandAgent(key).connect(gateway.grpcPort);
    agents.push(agent);
    return agent;
  };
  const statuses = (commandId: string) =>
    statusTail.items.filter((s) => s.commandId === commandId).map((s) => CommandStatus[s.status]);
  const post = async (token: string, body: object, idempotencyKey?: string) => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    };
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    const res = await fetch(`http://127.0.0.1:${control.httpPort}/v1/commands`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  };
  /** POSTs a command and returns its id once the control-api accepted it. */
  const command = async (agent: CommandAgent, container: string, action: string, extra: object = {}) => {
    const answer = await eventually(async () => {
      const a = await post(TOKEN.operator, {
        agent_id: agent.agentId,
        host: agent.host,
        container,
        command: action,
        ...extra,
      });
      expect(a.status).toBe(202); // 404 until the fleet view has seen the agent's container list
      return a;
    });
    return answer.body.command_id;
  };

  it('reaches the right agent exactly once, whichever gateway holds it, and its events conclude it', async () => {
    const alpha = await connect(KEY.alpha, gateways[0]);
    const beta = await connect(KEY.beta, gateways[1]);
    const restart = await command(alpha, 'web', 'RESTART');
    const stop = await command(beta, 'db', 'STOP');
    await eventually(async () => {
      expect(received(KEY.alpha)).toEqual([
        expect.objectContaining({
          command: CommandType.RESTART_CONTAINER,
          targetContainer: 'web',
          host: 'host-1',
        }),
      ]);
      expect(received(KEY.beta)).toEqual([
        expect.objectContaining({ command: CommandType.STOP_CONTAINER, targetContainer: 'db' }),
      ]);
    });
    alpha.event('kill', 'c0ffee000001aaaa', 'web', { signal: '15' });
    alpha.event('die', 'c0ffee000001aaaa', 'web', { exitCode: '143' });
    alpha.event('start', 'c0ffee000001aaaa', 'web');
    await eventually(async () =>
      expect(statuses(restart)).toEqual([
        'COMMAND_STATUS_PENDING',
        'COMMAND_STATUS_DELIVERED',
        'COMMAND_STATUS_SUCCEEDED',
      ]),
    );
    // beta never reports an event for db: timed out after COMMAND_OUTCOME_TIMEOUT_MS
    await eventually(async () =>
      expect(statuses(stop)).toEqual([
        'COMMAND_STATUS_PENDING',
        'COMMAND_STATUS_DELIVERED',
        'COMMAND_STATUS_TIMED_OUT',
      ]),
    );
    const view = await api(control.httpPort, 'GET', `/v1/commands/${restart}`, TOKEN.operator);
    expect(view.body.status).toBe('succeeded');
    expect((view.body.history as { status: string }[]).map((h) => h.status)).toEqual([
      'pending',
      'delivered',
      'succeeded',
    ]);
    expect(received(KEY.alpha)).toHaveLength(1);
    expect(received(KEY.beta)).toHaveLength(1);
  }, 60_000);

  it('a START that dies at once fails, read from the container events', async () => {
    const alpha = agents.find((a) => a.key === KEY.alpha)!;
    const start = await command(alpha, 'cache', 'START');
    await eventually(async () => expect(received(KEY.alpha)).toHaveLength(2));
    alpha.event('start', 'cace00000003cccc', 'cache');
    alpha.event('die', 'cace00000003cccc', 'cache', { exitCode: '1' });
    await eventually(async () => expect(statuses(start)).toContain('COMMAND_STATUS_FAILED'));
    const view = await api(control.httpPort, 'GET', `/v1/commands/${start}`, TOKEN.operator);
    expect(view.body.status).toBe('failed');
  }, 60_000);

  it('after the agent moves to the other gateway, nothing is delivered twice and new commands follow it', async () => {
    const before = received(KEY.alpha).length;
    const old = agents.find((a) => a.key === KEY.alpha && a.commands.length > 0)!;
    await old.disconnect();
    const moved = await connect(KEY.alpha, gateways[1]);
    const next = await command(moved, 'db', 'STOP');
    await eventually(async () => expect(moved.commands).toHaveLength(1));
    expect(moved.commands[0]).toMatchObject({ command: CommandType.STOP_CONTAINER, targetContainer: 'db' });
    expect(received(KEY.alpha)).toHaveLength(before + 1);
    await eventually(async () => expect(statuses(next)).toContain('COMMAND_STATUS_DELIVERED'));
    expect(statuses(next).filter((s) => s === 'COMMAND_STATUS_DELIVERED')).toHaveLength(1);
  }, 60_000);

  it('an offline agent gets its command when it connects, on either gateway', async () => {
    await Promise.all(agents.filter((a) => a.key === KEY.beta).map((a) => a.disconnect()));
    const beta = agents.find((a) => a.key === KEY.beta)!;
    const waiting = await command(beta, 'web', 'START');
    await new Promise((r) => setTimeout(r, 1000));
    expect(statuses(waiting)).toEqual(['COMMAND_STATUS_PENDING']);
    const back = await connect(KEY.beta, gateways[0]);
    await eventually(async () =>
      expect(back.commands).toEqual([
        expect.objectContaining({ command: CommandType.START_CONTAINER, targetContainer: 'web' }),
      ]),
    );
  }, 60_000);

  it('a command not delivered before it expires is expired, and never delivered after', async () => {
    await Promise.all(agents.filter((a) => a.key === KEY.beta).map((a) => a.disconnect()));
    const beta = agents.find((a) => a.key === KEY.beta)!;
    const late = await command(beta, 'cache', 'RESTART', { expires_in_seconds: 1 });
    await eventually(async () =>
      expect(statuses(late)).toEqual(['COMMAND_STATUS_PENDING', 'COMMAND_STATUS_EXPIRED']),
    );
    const back = await connect(KEY.beta, gateways[1]);
    // A later command to the same agent arrives; the expired one, before it in the log, never does.
    await command(back, 'db', 'RESTART');
    await eventually(async () => expect(back.commands).toHaveLength(1));
    expect(back.commands[0]).toMatchObject({ command: CommandType.RESTART_CONTAINER, targetContainer: 'db' });
  }, 60_000);

  it('a retried POST with the same Idempotency-Key is the same command, delivered once', async () => {
    const alpha = agents.filter((a) => a.key === KEY.alpha).at(-1)!;
    const body = { agent_id: alpha.agentId, host: alpha.host, container: 'web', command: 'STOP' };
    const first = await post(TOKEN.operator, body, 'retry-me-1');
    const second = await post(TOKEN.operator, body, 'retry-me-1');
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.command_id).toBe(first.body.command_id);
    expect((await post(TOKEN.operator, { ...body, command: 'START' }, 'retry-me-1')).status).toBe(409);
    await eventually(async () =>
      expect(statuses(first.body.command_id)).toContain('COMMAND_STATUS_DELIVERED'),
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(
      alpha.commands.filter((c) => c.command === CommandType.STOP_CONTAINER && c.targetContainer === 'web'),
    ).toHaveLength(1);
  }, 60_000);

  it('a tenant commands and sees only its own agents', async () => {
    const alpha = agents.filter((a) => a.key === KEY.alpha).at(-1)!; // tenant "default"
    const globexAgent = await connect(KEY.otherTenant, gateways[0]);
    const body = { agent_id: alpha.agentId, host: alpha.host, container: 'web', command: 'RESTART' };
    expect((await post(TOKEN.globex, body)).status).toBe(404);
    const own = await eventually(async () => {
      const a = await post(TOKEN.globex, { ...body, agent_id: globexAgent.agentId });
      expect(a.status).toBe(202);
      return a.body.command_id;
    });
    await eventually(async () => expect(globexAgent.commands).toHaveLength(1));
    const theirs = statusTail.items.find((s) => s.command?.agentId === alpha.agentId)!.commandId;
    expect((await api(control.httpPort, 'GET', `/v1/commands/${theirs}`, TOKEN.globex)).status).toBe(404);
    expect((await api(control.httpPort, 'GET', `/v1/commands/${own}`, TOKEN.globex)).status).toBe(200);
    const listed = await api(control.httpPort, 'GET', '/v1/commands', TOKEN.globex);
    expect((listed.body.items as { command_id: string }[]).map((c) => c.command_id)).toEqual([own]);
  }, 60_000);

  it('hostile records on the command log are skipped or failed; the commands around them are delivered', async () => {
    const alpha = agents.filter((a) => a.key === KEY.alpha).at(-1)!;
    const before = alpha.commands.length;
    const producer = testKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const bogus = commandspb.CommandRequest.fromPartial({
      commandId: randomUUID(),
      tenantId: 'default',
      agentId: alpha.agentId,
      host: alpha.host,
      container: 'web',
      action: commandspb.CommandAction.COMMAND_ACTION_UNSPECIFIED,
      expiresAtMs: String(Date.now() + 60_000),
    });
    const record = (entry: Partial<commandspb.CommandLogRecord>) =>
      Buffer.from(
        commandspb.CommandLogRecord.encode(
          commandspb.CommandLogRecord.fromPartial({ agentId: alpha.agentId, tenantId: 'default', ...entry }),
        ).finish(),
      );
    await producer.send({
      topic: `${prefix}commands`,
      messages: [
        { key: alpha.agentId, value: Buffer.from('not a protobuf \xff\xff\xff') },
        { key: alpha.agentId, value: Buffer.alloc(0) },
        { key: alpha.agentId, value: record({ requested: bogus }) },
        // a dispatch nobody decided, naming a stream of this agent: not a decision of the owner
        {
          key: alpha.agentId,
          value: record({
            dispatched: {
              command: { ...bogus, commandId: 'forged' },
              streamId: 'nope',
              gatewayId: 'gw-a',
              watchOnly: false,
            },
          }),
        },
      ],
    });
    await producer.disconnect();
    const after = await command(alpha, 'db', 'RESTART');
    await eventually(async () => expect(statuses(after)).toContain('COMMAND_STATUS_DELIVERED'));
    await eventually(async () => expect(statuses(bogus.commandId)).toEqual(['COMMAND_STATUS_FAILED']));
    expect(alpha.commands.slice(before)).toEqual([
      expect.objectContaining({ command: CommandType.RESTART_CONTAINER, targetContainer: 'db' }),
    ]);
    // The undecodable record is counted by the partition's owner (one of the two gateways).
    const skipped = await Promise.all(
      gateways.map((g) => gatewayCounter(g, 'gateway_command_log_records_skipped_total')),
    );
    expect(skipped[0] + skipped[1]).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('gateways and control-api restarted while commands are pending: none lost, none doubled', async () => {
    // One command delivered just before the restart, its outcome not in yet: never sent again.
    const connected = await connect(KEY.alpha, gateways[0]);
    await command(connected, 'cache', 'STOP');
    await eventually(async () => expect(connected.commands).toHaveLength(1));
    await Promise.all(agents.map((a) => a.disconnect()));
    const [alpha, beta] = [KEY.alpha, KEY.beta].map((k) => agents.filter((a) => a.key === k).at(-1)!);
    const before = { alpha: received(KEY.alpha).length, beta: received(KEY.beta).length };
    const pending = [
      await command(alpha, 'web', 'STOP'),
      await command(alpha, 'db', 'START'),
      await command(beta, 'cache', 'RESTART'),
      await command(beta, 'web', 'RESTART'),
    ];
    await new Promise((r) => setTimeout(r, 1000)); // the owners commit where a rebuild must start
    await Promise.all(gateways.map((g) => g.close()));
    await control.close();
    await startGateways(['gw-c', 'gw-d']);
    await startControl();
    const alphaBack = await connect(KEY.alpha, gateways[1]);
    const betaBack = await connect(KEY.beta, gateways[0]);
    await eventually(async () => {
      expect(alphaBack.commands.map((c) => [c.command, c.targetContainer])).toEqual([
        [CommandType.STOP_CONTAINER, 'web'],
        [CommandType.START_CONTAINER, 'db'],
      ]);
      expect(betaBack.commands.map((c) => [c.command, c.targetContainer])).toEqual([
        [CommandType.RESTART_CONTAINER, 'cache'],
        [CommandType.RESTART_CONTAINER, 'web'],
      ]);
    });
    await new Promise((r) => setTimeout(r, 1000));
    expect(received(KEY.alpha)).toHaveLength(before.alpha + 2);
    expect(received(KEY.beta)).toHaveLength(before.beta + 2);
    for (const id of pending) {
      expect(statuses(id).filter((s) => s === 'COMMAND_STATUS_DELIVERED')).toHaveLength(1);
      await eventually(async () => {
        const view = await api(control.httpPort, 'GET', `/v1/commands/${id}`, TOKEN.operator);
        expect(['delivered', 'timed_out']).toContain(view.body.status);
      });
    }
  }, 120_000);
});
