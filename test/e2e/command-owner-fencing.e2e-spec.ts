import { randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { commandspb, topicSpecs } from '@app/contracts';
import { createKafkaClient, ensureTopics } from '@app/kafka';
import { createLogger, Metrics } from '@app/observability';
import { CommandOwner } from '../../apps/gateway/src/commands/command-owner';
import { OwnedPartition } from '../../apps/gateway/src/commands/owned-partition';
import { eventually } from '../support/eventually';
import { testKafka } from '../support/kafka-records';
import { uniqueTopicPrefix } from '../support/test-gateway';
import { TopicTail } from '../support/topic-tail';

const TIMINGS = {
  outcomeTimeoutMs: 60_000,
  presenceStaleMs: 1_200_000,
  dispatchConfirmMs: 30_000,
  startSettleMs: 1000,
};

/**
 * A late claim of a closed owner instance (its InitProducerId retried past the rebalance that
 * closed it) bumps the partition's producer epoch after the real owner claimed. The real owner is
 * then fenced at its next transaction: it must claim again and go on deciding, not give up.
 */
describe('command log owner fenced by a stale claim', () => {
  const prefix = uniqueTopicPrefix();
  const logger = createLogger('gateway', process.env.TEST_LOG_LEVEL ?? 'error');
  const kafka = createKafkaClient({
    brokers: process.env.KAFKA_BROKERS!.split(','),
    clientId: 'fencing-test',
    logger,
  });
  const topics = { commands: `${prefix}commands`, commandStatus: `${prefix}command-status` };
  const status = new TopicTail([topics.commandStatus], (v) => commandspb.CommandStatusChanged.decode(v));
  let owner: CommandOwner;

  beforeAll(async () => {
    await ensureTopics(kafka, topicSpecs(prefix, 1, 1));
    owner = new CommandOwner(
      kafka,
      {
        topics,
        groupId: `${prefix}owners`,
        transactionalIdPrefix: prefix,
        ownerId: 'real',
        timings: TIMINGS,
        tickMs: 100,
      },
      logger,
      new Metrics('gateway', false),
    );
    await owner.start();
    await status.start();
  }, 60_000);

  afterAll(async () => {
    await owner.stop();
    await status.stop();
  });

  const expireSoon = async () => {
    const request = commandspb.CommandRequest.fromPartial({
      commandId: randomUUID(),
      tenantId: 't',
      agentId: 'ag_offline',
      host: 'h',
      container: 'web',
      action: commandspb.CommandAction.COMMAND_ACTION_STOP,
      expiresAtMs: String(Date.now() + 200),
    });
    const producer = testKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic: topics.commands,
      messages: [
        {
          key: request.agentId,
          value: Buffer.from(
            commandspb.CommandLogRecord.encode(
              commandspb.CommandLogRecord.fromPartial({
                agentId: request.agentId,
                tenantId: 't',
                requested: request,
              }),
            ).finish(),
          ),
        },
      ],
    });
    await producer.disconnect();
    return request.commandId;
  };
  const expired = (id: string) =>
    status.items.some(
      (s) => s.commandId === id && s.status === commandspb.CommandStatus.COMMAND_STATUS_EXPIRED,
    );

  it('the owner decides, is fenced by a stale claim, claims again and decides again', async () => {
    const first = await expireSoon();
    await eventually(async () => expect(expired(first)).toBe(true), 30_000);

    // A stray instance of the same partition claims (new epoch) and is closed, as after a rebalance.
    const stray = new OwnedPartition(0, {
      kafka,
      topics,
      transactionalIdPrefix: prefix,
      ownerId: 'stale',
      timings: TIMINGS,
      logger,
      counted: () => undefined,
    });
    stray.ensureClaimed();
    await eventually(async () => {
      const records = status.items.length; // wait until the stray's claim went through (its epoch is the newest)
      expect(records).toBeGreaterThan(0);
      expect((stray as unknown as { claiming: boolean }).claiming).toBe(false);
    }, 30_000);
    await stray.close();

    const second = await expireSoon();
    await eventually(async () => expect(expired(second)).toBe(true), 30_000);
    expect(status.items.filter((s) => s.commandId === second)).toHaveLength(1);
  }, 90_000);
});
