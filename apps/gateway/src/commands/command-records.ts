import { randomUUID } from 'node:crypto';
import { commandspb, HEADER, SCHEMA } from '@app/contracts';
import type { Message } from 'kafkajs';

const { CommandLogRecord, CommandStatusChanged } = commandspb;
export type LogEntry = Omit<
  Partial<commandspb.CommandLogRecord>,
  'recordId' | 'tenantId' | 'agentId' | 'atMs' | 'writer'
>;

/** A record of an agent's command log (`commands` topic, keyed by agent_id). */
export function logRecord(
  agent: { tenantId: string; agentId: string },
  writer: string,
  entry: LogEntry,
  partition?: number,
): Message {
  const now = Date.now();
  const recordId = randomUUID();
  const record = CommandLogRecord.fromPartial({
    ...entry,
    recordId,
    tenantId: agent.tenantId,
    agentId: agent.agentId,
    atMs: String(now),
    writer,
  });
  return {
    key: agent.agentId,
    partition,
    value: Buffer.from(CommandLogRecord.encode(record).finish()),
    headers: headers(agent, writer, recordId, now, SCHEMA.commandLog),
  };
}

/** One transition of a command (`command-status` topic, keyed by command_id). */
export function statusRecord(
  request: commandspb.CommandRequest,
  status: commandspb.CommandStatus,
  writer: string,
  details: { detail?: string; streamId?: string; gatewayId?: string } = {},
): Message {
  const now = Date.now();
  const eventId = randomUUID();
  const event = CommandStatusChanged.fromPartial({
    ...details,
    eventId,
    commandId: request.commandId,
    status,
    atMs: String(now),
    writer,
    command: request,
  });
  return {
    key: request.commandId,
    value: Buffer.from(CommandStatusChanged.encode(event).finish()),
    headers: headers(request, writer, eventId, now, SCHEMA.commandStatus),
  };
}

function headers(
  agent: { tenantId: string; agentId: string },
  writer: string,
  messageId: string,
  now: number,
  schema: string,
): Record<string, string> {
  return {
    [HEADER.tenantId]: agent.tenantId,
    [HEADER.agentId]: agent.agentId,
    [HEADER.messageId]: messageId,
    [HEADER.receivedAt]: String(now),
    [HEADER.gatewayId]: writer,
    [HEADER.schema]: schema,
  };
}

/** Decodes a command log record; undefined (to be skipped and counted) when it is not one. */
export function decodeLogRecord(value: Buffer | null): commandspb.CommandLogRecord | undefined {
  if (!value) return undefined;
  try {
    return CommandLogRecord.decode(value);
  } catch {
    return undefined;
  }
}
