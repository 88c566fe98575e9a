import { agentpb, commandspb } from '@app/contracts';
import type { RunningGateway } from '../../apps/gateway/src/gateway.app';
import { CommandAgent } from '../support/command-agent';
import { requestCommand } from '../support/command-requests';
import { eventually } from '../support/eventually';
import { testKafka } from '../support/kafka-records';
import { KEY, startTestGateway, uniqueTopicPrefix } from '../support/test-gateway';
import { TopicTail } from '../support/topic-tail';

const { CommandStatus } = commandspb;

describe('command delivery through the command log, two gateways', () => {
  const prefix = uniqueTopicPrefix();
  const kafka = testKafka();
  let gateways: RunningGateway[] = [];
  const agents: CommandAgent[] = [];
  const status = new TopicTail([`${prefix}command-status`], (v) => commandspb.CommandStatusChanged.decode(v));

  beforeAll(async () => {
    gateways = await Promise.all(
      ['gw-a', 'gw-b'].map((id) =>
        startTestGateway({ KAFKA_TOPIC_PREFIX: prefix, GATEWAY_ID: id, COMMAND_OUTCOME_TIMEOUT_MS: '3000' }),
      ),
    );
    await status.start();
  }, 120_000);

  afterAll(async () => {
    agents.forEach((a) => a.kill());
    await Promise.all(gateways.map((g) => g.close()));
    await status.stop();
  });

  const statuses = async (commandId: string) =>
    status.items.filter((s) => s.commandId === commandId).map((s) => s.status);

  it('a connected agent gets the command once; its events conclude it', async () => {
    const agent = await new CommandAgent(KEY.alpha).connect(gateways[0].grpcPort);
    agents.push(agent);
    const command = await requestCommand(kafka, prefix, { agentId: agent.agentId });
    await eventually(async () => expect(agent.commands).toHaveLength(1));
    expect(agent.commands[0]).toMatchObject({
      command: agentpb.CommandType.RESTART_CONTAINER,
      targetContainer: 'web',
      host: 'host-1',
    });
    agent.event('restart', 'c0ffee000001', 'web');
    await eventually(async () =>
      expect(await statuses(command.commandId)).toEqual([
        CommandStatus.COMMAND_STATUS_DELIVERED,
        CommandStatus.COMMAND_STATUS_SUCCEEDED,
      ]),
    );
    expect(agent.commands).toHaveLength(1);
  }, 60_000);

  it('an offline agent gets the command when it connects, on the other gateway', async () => {
    const probe = await new CommandAgent(KEY.beta).connect(gateways[0].grpcPort);
    const agentId = probe.agentId;
    await probe.disconnect();
    const command = await requestCommand(kafka, prefix, {
      agentId,
      action: commandspb.CommandAction.COMMAND_ACTION_STOP,
    });
    await new Promise((r) => setTimeout(r, 1000));
    const agent = await new CommandAgent(KEY.beta).connect(gateways[1].grpcPort);
    agents.push(agent);
    await eventually(async () => expect(agent.commands).toHaveLength(1));
    expect(probe.commands).toHaveLength(0);
    expect(agent.commands[0].command).toBe(agentpb.CommandType.STOP_CONTAINER);
    await eventually(async () =>
      expect(await statuses(command.commandId)).toEqual([
        CommandStatus.COMMAND_STATUS_DELIVERED,
        CommandStatus.COMMAND_STATUS_TIMED_OUT,
      ]),
    );
  }, 60_000);
});
