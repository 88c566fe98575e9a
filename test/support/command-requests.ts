import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners } from 'kafkajs';
import { commandspb } from '@app/contracts';

/**
 * Puts a command on the command log directly, as the control-api does after its checks (for tests
 * of delivery that do not need the API in front).
 */
export async function requestCommand(
  kafka: Kafka,
  prefix: string,
  request: Partial<commandspb.CommandRequest> & { agentId: string },
): Promise<commandspb.CommandRequest> {
  const now = Date.now();
  const command = commandspb.CommandRequest.fromPartial({
    commandId: randomUUID(),
    tenantId: 'default',
    host: 'host-1',
    container: 'web',
    containerId: 'c0ffee000001',
    containerName: 'web',
    action: commandspb.CommandAction.COMMAND_ACTION_RESTART,
    requestedAtMs: String(now),
    expiresAtMs: String(now + 300_000),
    requestedBy: 'test',
    ...request,
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const record = commandspb.CommandLogRecord.fromPartial({
      recordId: randomUUID(),
      tenantId: command.tenantId,
      agentId: command.agentId,
      atMs: String(now),
      writer: 'test',
      requested: command,
    });
    await producer.send({
      topic: `${prefix}commands`,
      acks: -1,
      messages: [
        { key: command.agentId, value: Buffer.from(commandspb.CommandLogRecord.encode(record).finish()) },
      ],
    });
  } finally {
    await producer.disconnect();
  }
  return command;
}
